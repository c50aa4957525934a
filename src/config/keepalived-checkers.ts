// Converts the checker blocks of a real_server (keepalived's TCP_CHECK, HTTP_GET, SSL_GET,
// DNS_CHECK, UDP_CHECK, PING_CHECK, SMTP_CHECK, FILE_CHECK, BFD_CHECK, MISC_CHECK and director's
// AGENT_CHECK) into HealthCheckConfig records with every value resolved, so the health layer never
// looks at keepalived inheritance rules. A checker director cannot run is refused: a real server
// is never silently left unchecked (unless --allow-unchecked says so, loudly).

import { ConfigError, type CheckSource, type ConfigWarning, type HealthCheckConfig, type HttpProtocol, type HttpUrlConfig, type RealServerConfig, type ScriptRunAs } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { ignored, warn } from './keepalived-keywords.js';
import {
  DEFAULT_CONNECT_TIMEOUT, healthKeyword, mergeDefaults, resolveTiming, type HealthDefaults,
} from './keepalived-health-timing.js';
import {
  dnsKeyword, fileKeyword, httpKeyword, miscKeyword, smtpKeyword, udpKeyword, udpReply, UNSUPPORTED_IN_CHECK,
} from './keepalived-checker-options.js';
import type { TrackFileConfig } from './keepalived-track-file.js';
import type { BfdInstanceConfig } from './keepalived-bfd.js';
import * as v from './keepalived-values.js';

type Kind = HealthCheckConfig['kind'];

/** Checker block keywords and the kind each becomes. */
export const CHECKER_KINDS: Readonly<Record<string, Kind>> = {
  TCP_CHECK: 'tcp', HTTP_GET: 'http', SSL_GET: 'ssl', DNS_CHECK: 'dns', UDP_CHECK: 'udp', PING_CHECK: 'ping',
  SMTP_CHECK: 'smtp', FILE_CHECK: 'file', BFD_CHECK: 'bfd', MISC_CHECK: 'misc', AGENT_CHECK: 'agent',
};

/** SMTP's default HELO name, keepalived's. */
const DEFAULT_HELO = 'smtpchecker.keepalived.org';
/** Kinds that take no connect_port. */
const PORTLESS: ReadonlySet<Kind> = new Set(['ping']);

export function isCheckerKeyword(keyword: string): boolean {
  return Object.hasOwn(CHECKER_KINDS, keyword);
}

/** What checker conversion needs from the rest of the configuration and the command line. */
export interface CheckerContext {
  /** --allow-unchecked: a checker director cannot run is dropped with a warning instead of refused. */
  allowUnchecked: boolean;
  trackFiles: ReadonlyMap<string, TrackFileConfig>;
  bfdInstances: ReadonlyMap<string, BfdInstanceConfig>;
  /** The global part of every script's ScriptRunAs (script_user, enable_script_security). */
  scripts: Pick<ScriptRunAs, 'defaultUser' | 'secure'>;
  warnings: ConfigWarning[];
}

/** A parsed checker block, before inheritance is resolved. */
export interface CheckDraft {
  kind: Kind;
  stmt: Statement;
  own: HealthDefaults;
  connectIp: string | null;
  connectPort: number;
  source: CheckSource | null;
  http: { urls: HttpUrlConfig[]; virtualhost: string | null; protocol: HttpProtocol; sni: boolean; sniName: string | null };
  misc: { path: string | null; timeout: number; dynamic: boolean; user: string | null; group: string | null };
  dns: { type: string; name: string };
  udp: { payload: string | null; requireReply: boolean; data: string; mask: string; minLength: number; maxLength: number };
  smtp: { heloName: string };
  file: { trackFile: string | null; weight: number | null; reverse: boolean; stmt: Statement | null };
  bfd: { name: string | null };
  /** SMTP_CHECK's deprecated host blocks: each one more checker with its own connection options. */
  hosts: CheckDraft[];
  /** Why director cannot run this checker as written, or null. */
  refusal: { stmt: Statement; reason: string } | null;
}

/**
 * Builds the resolved checks of one real server from its parsed checker blocks; `inherited` is the
 * virtual server's and real server's health keywords merged. Sets rs.checks/alpha/inhibit/unchecked.
 */
export function convertCheckers(
  rs: RealServerConfig, drafts: CheckDraft[], inherited: HealthDefaults, vsDelayLoop: number, ctx: CheckerContext,
): void {
  drafts = drafts.flatMap(withHosts);
  for (const d of drafts) if (d.kind === 'bfd') d.refusal ??= multihopRefusal(bfdInstance(d, ctx));
  const runnable = drafts.filter((d) => d.refusal === null || !refuse(rs, d, drafts.length, ctx));
  const checks = runnable.map((d) => resolve(d, rs, mergeDefaults(inherited, d.own), vsDelayLoop, ctx));
  if (checks.length > 0) rs.checks = checks;
  if (inherited.inhibitOnFailure === true) rs.inhibitOnFailure = true;
  if (inherited.alpha === true || runnable.some((d) => d.own.alpha === true)) rs.alpha = true;
  const reporters = runnable.filter((d) => d.kind === 'agent' || (d.kind === 'misc' && d.misc.dynamic));
  if (reporters.length > 1) {
    warn(reporters[1]!.stmt, 'more than one load report (misc_dynamic or AGENT_CHECK) for this real server: their weights will fight', ctx.warnings);
  }
}

/**
 * An SMTP_CHECK with host blocks, as keepalived runs it: one checker per host; the block's own
 * connection options make one more, and without any the first host takes the block's place.
 */
function withHosts(d: CheckDraft): CheckDraft[] {
  if (d.hosts.length === 0) return [d];
  const own = d.connectIp !== null || d.connectPort !== 0 || d.source !== null || d.own.connectTimeout !== undefined;
  return own ? [d, ...d.hosts] : d.hosts;
}

/** One host block: the SMTP_CHECK's settings with this host's connection options. */
function parseHost(d: CheckDraft, host: Statement, warnings: ConfigWarning[]): CheckDraft {
  v.expectArgs(host, 0);
  const h: CheckDraft = { ...d, stmt: { ...d.stmt, line: host.line }, own: { ...d.own }, connectIp: null, connectPort: 0, source: null, hosts: [] };
  for (const k of host.block ?? []) {
    if (connectionKeyword(h, k, warnings)) continue;
    if (k.keyword === 'connect_timeout' && healthKeyword(h.own, k, 'check')) continue;
    ignored(k, UNSUPPORTED_IN_CHECK, warnings);
  }
  return h;
}

/** Refuses the config, or (--allow-unchecked) records and warns that the checker is dropped; false = keep it. */
function refuse(rs: RealServerConfig, d: CheckDraft, total: number, ctx: CheckerContext): boolean {
  const { stmt, reason } = d.refusal!;
  if (!ctx.allowUnchecked) {
    throw new ConfigError(stmt.file, stmt.line, stmt.keyword,
      `${reason}; refusing to leave real server ${rs.address}:${rs.port} unchecked (--allow-unchecked runs it without this ${d.stmt.keyword})`);
  }
  (rs.unchecked ??= []).push(reason);
  const alone = (rs.unchecked.length === total) ? ', so it is ALWAYS UP' : '';
  warn(stmt, `UNCHECKED: real server ${rs.address}:${rs.port} runs without this ${d.stmt.keyword}${alone} (--allow-unchecked): ${reason}`, ctx.warnings);
  return true;
}

/** Parses one checker block (warnings in line order); inheritance is resolved by convertCheckers. */
export function parseChecker(s: Statement, warnings: ConfigWarning[]): CheckDraft {
  v.expectArgs(s, 0);
  const d: CheckDraft = {
    kind: CHECKER_KINDS[s.keyword] ?? 'tcp', stmt: s, own: {}, connectIp: null, connectPort: 0, source: null,
    http: { urls: [], virtualhost: null, protocol: '1.0', sni: false, sniName: null },
    misc: { path: null, timeout: 0, dynamic: false, user: null, group: null },
    dns: { type: 'SOA', name: '.' },
    udp: { payload: null, requireReply: false, data: '', mask: '', minLength: 0, maxLength: 255 },
    smtp: { heloName: DEFAULT_HELO },
    file: { trackFile: null, weight: null, reverse: false, stmt: null },
    bfd: { name: null },
    hosts: [],
    refusal: null,
  };
  const hosts: Statement[] = [];
  for (const k of s.block ?? []) {
    if (d.kind === 'smtp' && k.keyword === 'host') hosts.push(k);
    else checkerKeyword(d, k, warnings);
  }
  // Host blocks take the whole block's settings, wherever they stand in it.
  d.hosts = hosts.map((host) => parseHost(d, host, warnings));
  if (hosts.length > 0) warn(hosts[0]!, 'The SMTP_CHECK host block is deprecated. Please define additional checkers. (keepalived says the same; each host is checked)', warnings);
  if (d.kind === 'misc' && d.misc.path === null) v.fail(s, 'needs misc_path (the script to run)');
  if ((d.kind === 'http' || d.kind === 'ssl') && d.http.urls.length === 0) v.fail(s, 'needs at least one url { path ... } block');
  if (d.kind === 'agent' && d.connectPort === 0) v.fail(s, 'needs connect_port (the port the agent answers on)');
  if (d.kind === 'file' && d.file.trackFile === null) v.fail(s, 'needs track_file NAME (a track_file block)');
  if (d.kind === 'bfd' && d.bfd.name === null) v.fail(s, 'needs name NAME (a bfd_instance block)');
  return d;
}

function checkerKeyword(d: CheckDraft, k: Statement, warnings: ConfigWarning[]): void {
  // FILE_CHECK and BFD_CHECK have none of the standard checker keywords (BFD_CHECK: alpha).
  const standard = d.kind !== 'file' && (d.kind !== 'bfd' || k.keyword === 'alpha');
  if (standard && healthKeyword(d.own, k, 'check')) return;
  if (d.kind !== 'misc' && d.kind !== 'file' && d.kind !== 'bfd' && connectionKeyword(d, k, warnings)) return;
  if (kindKeyword(d, k, warnings)) return;
  if (UNSUPPORTED_IN_CHECK.has(k.keyword)) warn(k, `keyword ${k.keyword} not supported, ignored`, warnings);
  else ignored(k, UNSUPPORTED_IN_CHECK, warnings);
}

function kindKeyword(d: CheckDraft, k: Statement, warnings: ConfigWarning[]): boolean {
  switch (d.kind) {
    case 'http':
    case 'ssl':
      return httpKeyword(d, k, warnings);
    case 'dns':
      return dnsKeyword(d, k);
    case 'udp':
      return udpKeyword(d, k);
    case 'smtp':
      return smtpKeyword(d, k);
    case 'file':
      return fileKeyword(d, k);
    case 'bfd':
      if (k.keyword !== 'name') return false;
      v.expectArgs(k, 1, 1, 'NAME');
      d.bfd.name = k.args[0] as string;
      return true;
    case 'misc':
      return miscKeyword(d, k);
    default:
      return false;
  }
}

function connectionKeyword(d: CheckDraft, k: Statement, warnings: ConfigWarning[]): boolean {
  const source = (): CheckSource => (d.source ??= { address: null, port: 0, device: null });
  switch (k.keyword) {
    case 'connect_ip':
      v.expectArgs(k, 1, 1, 'IP');
      d.connectIp = v.ipv4(k, k.args[0] as string);
      return true;
    case 'connect_port':
      v.expectArgs(k, 1, 1, 'PORT');
      if (PORTLESS.has(d.kind)) warn(k, `connect_port means nothing to ${d.stmt.keyword}, ignored`, warnings);
      else d.connectPort = v.port(k, k.args[0], false);
      return true;
    case 'bindto':
      v.expectArgs(k, 1, 1, 'IP');
      source().address = v.ipv4(k, k.args[0] as string);
      return true;
    case 'bind_port':
      v.expectArgs(k, 1, 1, 'PORT');
      if (PORTLESS.has(d.kind)) warn(k, `bind_port means nothing to ${d.stmt.keyword}, ignored`, warnings);
      else source().port = v.port(k, k.args[0], false);
      return true;
    case 'bind_if':
      v.expectArgs(k, 1, 1, 'IFNAME');
      source().device = v.interfaceName(k, k.args[0] as string);
      return true;
    case 'fwmark':
      d.refusal ??= { stmt: k, reason: 'checker fwmark (SO_MARK on check packets) is not supported' };
      return true;
    default:
      return false;
  }
}

function resolve(d: CheckDraft, rs: RealServerConfig, h: HealthDefaults, vsDelayLoop: number, ctx: CheckerContext): HealthCheckConfig {
  const base = { timing: resolveTiming(d.kind, h, vsDelayLoop), line: d.stmt.line };
  if (d.kind === 'misc') {
    // keepalived: no misc_timeout (or 0) means the delay_loop.
    const timeout = d.misc.timeout || base.timing.delayLoop;
    const runAs = { user: d.misc.user, group: d.misc.group, ...ctx.scripts };
    return { kind: 'misc', ...base, path: d.misc.path!, timeout, dynamic: d.misc.dynamic, runAs };
  }
  if (d.kind === 'file') return { kind: 'file', ...base, ...trackFile(d, rs, ctx) };
  if (d.kind === 'bfd') {
    const { stmt: _stmt, multihop: _multihop, ...session } = bfdInstance(d, ctx);
    return { kind: 'bfd', ...base, ...session };
  }
  const connectIp = d.connectIp ?? rs.address;
  const connectTimeout = h.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  const source = d.source ? { source: d.source } : {};
  // The addon's bound check sockets are IPv4: say so at load rather than keep the server down.
  if (connectIp.includes(':') && d.source) v.fail(d.stmt, `bindto, bind_port and bind_if are IPv4 only, and ${connectIp} is IPv6`);
  if (d.kind === 'ping') return { kind: 'ping', ...base, connectIp, connectTimeout, ...source };
  const conn = { ...base, connectIp, connectPort: d.connectPort || rs.port, connectTimeout, ...source };
  if (conn.connectPort === 0) v.fail(d.stmt, 'the real server has port 0: give connect_port');
  switch (d.kind) {
    case 'http':
    case 'ssl': {
      const http = { ...conn, urls: d.http.urls, virtualhost: d.http.virtualhost ?? h.virtualhost ?? null, protocol: d.http.protocol };
      if (d.kind === 'http') return { kind: 'http', ...http };
      return { kind: 'ssl', ...http, sni: d.http.sni, sniName: d.http.sniName };
    }
    case 'dns':
      return { kind: 'dns', ...conn, type: d.dns.type, name: d.dns.name };
    case 'udp':
      return { kind: 'udp', ...conn, payload: d.udp.payload, reply: udpReply(d, ctx.warnings) };
    case 'smtp':
      return { kind: 'smtp', ...conn, heloName: d.smtp.heloName };
    default:
      return { kind: d.kind, ...conn };
  }
}

/** The FILE_CHECK's track_file, with keepalived's rule: the checker's weight, else the file's. */
function trackFile(d: CheckDraft, rs: RealServerConfig, ctx: CheckerContext) {
  const name = d.file.trackFile!;
  const tf = ctx.trackFiles.get(name);
  if (tf === undefined) {
    const known = [...ctx.trackFiles.keys()];
    v.fail(d.file.stmt ?? d.stmt, `no track_file '${name}' (defined: ${known.length ? known.join(', ') : 'none'})`);
  }
  const own = d.file.weight !== null;
  return {
    trackFile: name, path: tf.path, weight: own ? d.file.weight! : tf.weight, reverse: own ? d.file.reverse : tf.reverse,
    baseWeight: rs.weight, init: tf.init,
  };
}

/** The BFD_CHECK's bfd_instance; naming none that exists is an error. */
function bfdInstance(d: CheckDraft, ctx: CheckerContext): BfdInstanceConfig {
  const name = d.bfd.name!;
  const found = ctx.bfdInstances.get(name);
  if (found !== undefined) return found;
  const known = [...ctx.bfdInstances.keys()];
  v.fail(d.stmt, `no bfd_instance '${name}' (defined: ${known.length ? known.join(', ') : 'none'})`);
}

function multihopRefusal(b: BfdInstanceConfig): CheckDraft['refusal'] {
  if (!b.multihop) return null;
  return { stmt: b.stmt, reason: `bfd_instance '${b.name}' is multihop (multihop or max_hops): director runs single-hop BFD only` };
}
