// Converts the checker blocks of a real_server (TCP_CHECK, HTTP_GET, MISC_CHECK and director's
// AGENT_CHECK) into HealthCheckConfig records with every value resolved, so the health layer
// never looks at keepalived inheritance rules.

import type { ConfigWarning, HealthCheckConfig, HttpUrlConfig, RealServerConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { ignored, warn } from './keepalived-keywords.js';
import {
  DEFAULT_CONNECT_TIMEOUT, healthKeyword, mergeDefaults, resolveTiming, type HealthDefaults,
} from './keepalived-health-timing.js';
import * as v from './keepalived-values.js';

/** Checker block keywords and the kind each becomes. */
export const CHECKER_KINDS: Readonly<Record<string, HealthCheckConfig['kind']>> = {
  TCP_CHECK: 'tcp', HTTP_GET: 'http', MISC_CHECK: 'misc', AGENT_CHECK: 'agent',
};

/** Keywords keepalived knows inside checker blocks that director does not act on. */
const UNSUPPORTED_IN_CHECK = new Set([
  'bindto', 'bind_port', 'bind_if', 'fwmark', 'log_all_failures', 'http_protocol', 'user',
  'enable_sni', 'fast_recovery', 'regex', 'regex_no_match', 'regex_options', 'regex_stack',
  'regex_min_offset', 'regex_max_offset', 'digest_check', 'tls_compliant', 'protocol',
]);

/** A parsed checker block, before inheritance is resolved. */
export interface CheckDraft {
  kind: HealthCheckConfig['kind'];
  stmt: Statement;
  own: HealthDefaults;
  connectIp: string | null;
  connectPort: number;
  urls: HttpUrlConfig[];
  virtualhost: string | null;
  miscPath: string | null;
  miscTimeout: number;
  miscDynamic: boolean;
}

/**
 * Builds the resolved checks of one real server from its parsed checker blocks; `inherited` is the
 * virtual server's and real server's health keywords merged. Sets rs.checks/alpha/inhibit.
 */
export function convertCheckers(
  rs: RealServerConfig, drafts: CheckDraft[], inherited: HealthDefaults, vsDelayLoop: number, warnings: ConfigWarning[],
): void {
  const checks = drafts.map((d) => resolve(d, rs, mergeDefaults(inherited, d.own), vsDelayLoop));
  if (checks.length > 0) rs.checks = checks;
  if (inherited.inhibitOnFailure === true) rs.inhibitOnFailure = true;
  if (inherited.alpha === true || drafts.some((d) => d.own.alpha === true)) rs.alpha = true;
  const reporters = drafts.filter((d) => d.kind === 'agent' || (d.kind === 'misc' && d.miscDynamic));
  if (reporters.length > 1) {
    warn(reporters[1]!.stmt, 'more than one load report (misc_dynamic or AGENT_CHECK) for this real server: their weights will fight', warnings);
  }
}

/** Parses one checker block (warnings in line order); inheritance is resolved by convertCheckers. */
export function parseChecker(s: Statement, warnings: ConfigWarning[]): CheckDraft {
  v.expectArgs(s, 0);
  const d: CheckDraft = {
    kind: CHECKER_KINDS[s.keyword]!, stmt: s, own: {}, connectIp: null, connectPort: 0, urls: [],
    virtualhost: null, miscPath: null, miscTimeout: 0, miscDynamic: false,
  };
  for (const k of s.block ?? []) checkerKeyword(d, k, warnings);
  if (d.kind === 'misc' && d.miscPath === null) v.fail(s, 'needs misc_path (the script to run)');
  if (d.kind === 'http' && d.urls.length === 0) v.fail(s, 'needs at least one url { path ... } block');
  if (d.kind === 'agent' && d.connectPort === 0) v.fail(s, 'needs connect_port (the port the agent answers on)');
  return d;
}

function checkerKeyword(d: CheckDraft, k: Statement, warnings: ConfigWarning[]): void {
  if (healthKeyword(d.own, k, 'check')) return;
  const connecting = d.kind !== 'misc';
  if (connecting && connectionKeyword(d, k)) return;
  if (d.kind === 'http' && httpKeyword(d, k, warnings)) return;
  if (d.kind === 'misc' && miscKeyword(d, k)) return;
  if (UNSUPPORTED_IN_CHECK.has(k.keyword)) warn(k, `keyword ${k.keyword} not supported yet, ignored`, warnings);
  else ignored(k, UNSUPPORTED_IN_CHECK, warnings);
}

function connectionKeyword(d: CheckDraft, k: Statement): boolean {
  if (k.keyword === 'connect_ip') {
    v.expectArgs(k, 1, 1, 'IP');
    d.connectIp = v.ipv4(k, k.args[0] as string);
    return true;
  }
  if (k.keyword === 'connect_port') {
    v.expectArgs(k, 1, 1, 'PORT');
    d.connectPort = v.port(k, k.args[0], false);
    return true;
  }
  return false;
}

function httpKeyword(d: CheckDraft, k: Statement, warnings: ConfigWarning[]): boolean {
  switch (k.keyword) {
    case 'url':
      d.urls.push(parseUrl(k, warnings));
      return true;
    case 'virtualhost':
      v.expectArgs(k, 1, 1, 'HOST');
      d.virtualhost = k.args[0] as string;
      return true;
    case 'nb_get_retry':
      warn(k, 'nb_get_retry is deprecated, use retry (as keepalived says)', warnings);
      v.expectArgs(k, 1, 1, 'COUNT');
      d.own.retry = v.uint(k, k.args[0] as string, 0, 1_000_000);
      return true;
    default:
      return false;
  }
}

function miscKeyword(d: CheckDraft, k: Statement): boolean {
  switch (k.keyword) {
    case 'misc_path':
      if (k.args.length === 0) v.fail(k, 'expects the script to run (misc_path "/path/to/script ARGS")');
      d.miscPath = k.args.join(' ');
      return true;
    case 'misc_timeout':
      v.expectArgs(k, 1, 1, 'SECONDS');
      d.miscTimeout = v.uint(k, k.args[0] as string, 0, 86400);
      return true;
    case 'misc_dynamic':
      v.expectArgs(k, 0);
      d.miscDynamic = true;
      return true;
    default:
      return false;
  }
}

function parseUrl(s: Statement, warnings: ConfigWarning[]): HttpUrlConfig {
  v.expectArgs(s, 0);
  const url: HttpUrlConfig = { path: '', statusCodes: [], digest: null };
  for (const k of s.block ?? []) {
    if (k.keyword === 'path') {
      v.expectArgs(k, 1, 1, '/PATH');
      const p = k.args[0] as string;
      if (!p.startsWith('/') || /\s/.test(p)) v.fail(k, `'${p}' is not an absolute path such as /healthz`);
      url.path = p;
    } else if (k.keyword === 'status_code') {
      if (k.args.length === 0) v.fail(k, 'expects status codes or ranges (status_code 200 301-302)');
      for (const a of k.args) url.statusCodes.push(statusRange(k, a));
    } else if (k.keyword === 'digest') {
      v.expectArgs(k, 1, 1, 'MD5HEX');
      const hex = (k.args[0] as string).toLowerCase();
      if (!/^[0-9a-f]{32}$/.test(hex)) v.fail(k, `'${k.args[0]}' is not an md5 digest (32 hex digits, as genhash prints)`);
      url.digest = hex;
    } else if (UNSUPPORTED_IN_CHECK.has(k.keyword)) {
      warn(k, `keyword ${k.keyword} not supported yet, ignored`, warnings);
    } else {
      ignored(k, UNSUPPORTED_IN_CHECK, warnings);
    }
  }
  if (url.path === '') v.fail(s, 'needs a path (url { path /healthz })');
  if (url.statusCodes.length === 0) url.statusCodes.push([200, 299]);
  return url;
}

function statusRange(s: Statement, text: string): [number, number] {
  const m = /^(\d{3})(?:-(\d{3}))?$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo < 100 || hi > 599 || hi < lo) v.fail(s, `'${text}' is not a status code or range in 100..599`);
  return [lo, hi];
}

function resolve(d: CheckDraft, rs: RealServerConfig, h: HealthDefaults, vsDelayLoop: number): HealthCheckConfig {
  const base = { timing: resolveTiming(d.kind, h, vsDelayLoop), line: d.stmt.line };
  if (d.kind === 'misc') {
    // keepalived: no misc_timeout (or 0) means the delay_loop.
    const timeout = d.miscTimeout || base.timing.delayLoop;
    return { kind: 'misc', ...base, path: d.miscPath!, timeout, dynamic: d.miscDynamic };
  }
  const conn = {
    ...base,
    connectIp: d.connectIp ?? rs.address,
    connectPort: d.connectPort || rs.port,
    connectTimeout: h.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
  };
  if (conn.connectPort === 0) v.fail(d.stmt, 'the real server has port 0: give connect_port');
  if (d.kind === 'http') return { kind: 'http', ...conn, urls: d.urls, virtualhost: d.virtualhost };
  return { kind: d.kind, ...conn };
}
