// Converts one `virtual_server IP PORT { ... }` block (and its real_server blocks) into a
// VirtualServerConfig, applying keepalived's defaults.

import type { ConfigWarning, ForwardMethod, RealServerConfig, VirtualServerConfig } from './model.js';
import type { SchedFlag } from '../sched/types.js';
import type { Statement } from './keepalived-parser.js';
import { UNSUPPORTED_RS, UNSUPPORTED_VS, ignored, warn } from './keepalived-keywords.js';
import * as v from './keepalived-values.js';
import { convertCheckers, isCheckerKeyword, parseChecker, type CheckDraft, type CheckerContext } from './keepalived-checkers.js';
import { healthKeyword, mergeDefaults, type HealthDefaults } from './keepalived-health-timing.js';
import { availabilityKeyword, finishAvailability, newAvailabilityDraft, type AvailabilityDraft } from './keepalived-vs-availability.js';
import { MAX_FWMARK } from './keepalived-service-group.js';
import { DEFAULT_SCHEDULER, FLAG_SCHEDULER, genericFlag, isKnownScheduler, isSchedFlag, SCHEDULER_NAMES } from './schedulers.js';

/** keepalived's delay_loop default (KEEPALIVED_DEFAULT_DELAY). */
export const DEFAULT_DELAY_LOOP = 60;
const MAX_WEIGHT = 65535;
const MAX_THRESHOLD = 4294967295;
const MAX_SLOWSTART = 86400;
/** The address of a mark service, and of a group's block before its members are known (IPVS's 0.0.0.0). */
const ANY_ADDRESS = '0.0.0.0';

/** What the validator needs to know beyond the config itself: where things were said. */
export interface VirtualServerSource {
  stmt: Statement;
  protocolSet: boolean;
  /** Line of laddr_group_name, for the FULLNAT checks. */
  laddrStmt: Statement | null;
  /** ip_family and persistence_granularity, checked against the service's family once it is known. */
  familyStmt?: Statement;
  granularityStmt?: Statement;
}

/**
 * The SYN proxy answers handshakes itself and translates sequence numbers both ways, so every
 * segment must pass the director: TCP only, and NAT or FULLNAT real servers only (DR and TUN
 * replies go straight to the client, as DPVS requires too).
 */
function checkSynProxy(stmt: Statement, vs: VirtualServerConfig): void {
  if (vs.protocol !== 'tcp') v.fail(stmt, `syn_proxy needs protocol TCP (this virtual_server is ${vs.protocol.toUpperCase()})`);
  const direct = vs.realServers.find((rs) => rs.method === 'dr' || rs.method === 'tun');
  if (direct) {
    v.fail(stmt, `syn_proxy needs NAT or FNAT real servers: ${direct.address}:${direct.port} is ${direct.method.toUpperCase()}, whose replies bypass the director`);
  }
  const sorry = vs.sorryServer;
  if (sorry && (sorry.method === 'dr' || sorry.method === 'tun')) {
    v.fail(stmt, `syn_proxy needs a NAT or FNAT sorry_server: ${sorry.address}:${sorry.port} is ${sorry.method.toUpperCase()}, whose replies bypass the director`);
  }
}

interface Draft {
  vs: VirtualServerConfig;
  source: VirtualServerSource;
  methodSet: boolean;
  schedulerSet: boolean;
  defaultWeight: number;
  flagStmts: Statement[];
  rsStmts: Statement[];
  /** Where `ops` was said, if it was (it needs the protocol, which may come after it). */
  opsStmt: Statement | null;
  /** Health keywords said at virtual_server level (inherited by checkers). */
  health: HealthDefaults;
  availability: AvailabilityDraft;
  /** Where syn_proxy was said (its checks need the real servers). */
  synProxyStmt: Statement | null;
}

/**
 * Converts a virtual_server statement: `IP PORT`, `fwmark N` or `group NAME` (whose members
 * keepalived-service-group.ts expands once every group is read).
 */
export function convertVirtualServer(
  stmt: Statement,
  checkers: CheckerContext,
): { vs: VirtualServerConfig; source: VirtualServerSource } {
  const warnings = checkers.warnings;
  const draft = newDraft(stmt, serviceAddress(stmt));
  if (!stmt.block) v.fail(stmt, "expects a block '{ ... }' after the address and port");
  for (const s of stmt.block) {
    if (!availabilityKeyword(draft.availability, s, checkers.scripts, warnings)) vsKeyword(draft, s, warnings);
  }
  resolveFlags(draft, warnings);
  resolveOps(draft, warnings);
  defaultsSaid(draft, warnings);
  draft.vs.realServers = draft.rsStmts.map((s) => convertRealServer(s, draft, checkers));
  finishAvailability(draft.availability, draft.vs, warnings);
  if (draft.synProxyStmt) checkSynProxy(draft.synProxyStmt, draft.vs);
  return { vs: draft.vs, source: draft.source };
}

/** What follows `virtual_server`: the address and port, the mark, or the group. */
type ServiceAddress = Pick<VirtualServerConfig, 'vip' | 'port' | 'fwmark' | 'group'>;

function serviceAddress(stmt: Statement): ServiceAddress {
  const first = stmt.args[0];
  if (first === 'fwmark') {
    v.expectArgs(stmt, 2, 2, 'fwmark MARK');
    return { vip: ANY_ADDRESS, port: 0, fwmark: v.uint(stmt, stmt.args[1] as string, 1, MAX_FWMARK) };
  }
  if (first === 'group') {
    v.expectArgs(stmt, 2, 2, 'group NAME');
    return { vip: ANY_ADDRESS, port: 0, group: stmt.args[1] as string };
  }
  v.expectArgs(stmt, 1, 2, 'IP PORT');
  const vip = v.address(stmt, first as string);
  return { vip: vip.text, port: v.port(stmt, stmt.args[1], true), ...(vip.v6 ? { family: 'inet6' as const } : {}) };
}

function newDraft(stmt: Statement, address: ServiceAddress): Draft {
  const vs: VirtualServerConfig = {
    ...address,
    protocol: 'udp',
    scheduler: DEFAULT_SCHEDULER,
    schedFlags: [],
    method: 'nat',
    delayLoop: DEFAULT_DELAY_LOOP,
    persistenceTimeout: 0,
    persistenceGranularity: '255.255.255.255',
    laddrGroup: null,
    slowStart: 0,
    synProxy: false,
    realServers: [],
    line: stmt.line,
  };
  return {
    vs,
    source: { stmt, protocolSet: false, laddrStmt: null },
    methodSet: false,
    schedulerSet: false,
    defaultWeight: 1,
    flagStmts: [],
    rsStmts: [],
    opsStmt: null,
    health: {},
    availability: newAvailabilityDraft(),
    synProxyStmt: null,
  };
}

function vsKeyword(d: Draft, s: Statement, warnings: ConfigWarning[]): void {
  const vs = d.vs;
  switch (s.keyword) {
    case 'lb_algo':
    case 'lvs_sched':
      vs.scheduler = scheduler(s);
      d.schedulerSet = true;
      return;
    case 'lb_kind':
    case 'lvs_method':
      vs.method = v.method(s);
      d.methodSet = true;
      return;
    case 'protocol':
      vs.protocol = v.protocol(s);
      d.source.protocolSet = true;
      return;
    case 'delay_loop':
      v.expectArgs(s, 1, 1, 'SECONDS');
      vs.delayLoop = v.seconds(s, s.args[0] as string, 86400);
      return;
    case 'persistence_timeout':
      vs.persistenceTimeout = persistenceTimeout(s, warnings);
      return;
    case 'persistence_granularity':
      v.expectArgs(s, 1, 1, 'NETMASK or PREFIX_LENGTH');
      // A prefix length for IPv6, a netmask for IPv4: which one fits is checked once the family is known.
      vs.persistenceGranularity = /^\d+$/.test(s.args[0] as string) ? String(v.uint(s, s.args[0] as string, 1, 128)) : v.ipv4(s, s.args[0] as string);
      d.source.granularityStmt = s;
      return;
    case 'laddr_group_name':
      vs.laddrGroup = v.name(s);
      d.source.laddrStmt = s;
      return;
    case 'slowstart':
      v.expectArgs(s, 1, 1, 'SECONDS');
      vs.slowStart = v.uint(s, s.args[0] as string, 0, MAX_SLOWSTART);
      return;
    case 'weight':
      v.expectArgs(s, 1, 1, 'WEIGHT');
      d.defaultWeight = v.uint(s, s.args[0] as string, 0, MAX_WEIGHT);
      return;
    case 'ip_family':
      v.expectArgs(s, 1, 1, 'inet|inet6');
      if (s.args[0] !== 'inet' && s.args[0] !== 'inet6') v.fail(s, `'${s.args[0]}' is not an address family (inet or inet6)`);
      d.source.familyStmt = s;
      return;
    case 'real_server':
      d.rsStmts.push(s);
      return;
    case 'ops':
      v.expectArgs(s, 0);
      d.opsStmt = s;
      return;
    case 'syn_proxy':
      vs.synProxy = v.optionalBool(s);
      d.synProxyStmt = vs.synProxy ? s : null;
      return;
    default:
      if (healthKeyword(d.health, s, 'vs')) return;
      if (isSchedFlag(s.keyword) || s.keyword === 'flag-1' || s.keyword === 'flag-2') d.flagStmts.push(s);
      else ignored(s, UNSUPPORTED_VS, warnings);
  }
}

/** keepalived logs `persistence_timeout 0` as invalid and goes on without persistence; so do we. */
function persistenceTimeout(s: Statement, warnings: ConfigWarning[]): number {
  v.expectArgs(s, 0, 1, '[SECONDS]');
  if (s.args[0] === undefined) return v.DEFAULT_PERSISTENCE_SECONDS;
  if (/^0+$/.test(s.args[0])) {
    warn(s, `0 is not a timeout (1..${v.MAX_PERSISTENCE_SECONDS}), persistence off (as keepalived goes on)`, warnings);
    return 0;
  }
  return v.uint(s, s.args[0], 1, v.MAX_PERSISTENCE_SECONDS);
}

/**
 * IPVS schedules one packet at a time only for UDP (ip_vs_schedule ignores the flag for TCP);
 * said here rather than kept as a flag that would do nothing.
 */
function resolveOps(d: Draft, warnings: ConfigWarning[]): void {
  if (d.opsStmt === null) return;
  if (d.vs.protocol !== 'udp' && d.vs.fwmark === undefined) {
    warn(d.opsStmt, 'ops applies to UDP only (IPVS ignores it for TCP), ignored', warnings);
    return;
  }
  d.vs.ops = true;
}

/** keepalived reports the defaults it picks for a missing lb_algo and lb_kind; so do we. */
function defaultsSaid(d: Draft, warnings: ConfigWarning[]): void {
  const stmt = d.source.stmt;
  if (!d.schedulerSet) warn(stmt, `no lb_algo set, using ${DEFAULT_SCHEDULER} (the IPVS and keepalived default)`, warnings);
  if (!d.methodSet) warn(stmt, 'no lb_kind set, using NAT (the keepalived default)', warnings);
}

function scheduler(s: Statement): string {
  v.expectArgs(s, 1, 1, 'SCHEDULER');
  const name = s.args[0] as string;
  if (!isKnownScheduler(name)) v.fail(s, `'${name}' is not one of ${SCHEDULER_NAMES.join(', ')}`);
  return name;
}

/**
 * Scheduler flags are bare keywords; unlike keepalived, the order against lb_algo does not matter.
 * A flag for another scheduler is an error: it would silently change nothing.
 */
function resolveFlags(d: Draft, warnings: ConfigWarning[]): void {
  const flags = new Set<SchedFlag>();
  for (const s of d.flagStmts) {
    v.expectArgs(s, 0);
    if (s.keyword === 'flag-1' || s.keyword === 'flag-2') {
      const flag = genericFlag(s.keyword, d.vs.scheduler);
      if (flag) flags.add(flag);
      else warn(s, `${s.keyword} means nothing to scheduler ${d.vs.scheduler}, ignored`, warnings);
      continue;
    }
    const flag = s.keyword as SchedFlag;
    if (FLAG_SCHEDULER[flag] !== d.vs.scheduler) {
      v.fail(s, `applies only to lb_algo ${FLAG_SCHEDULER[flag]} (this virtual_server uses ${d.vs.scheduler})`);
    }
    flags.add(flag);
  }
  d.vs.schedFlags = [...flags];
}

function convertRealServer(s: Statement, d: Draft, ctx: CheckerContext): RealServerConfig {
  const warnings = ctx.warnings;
  v.expectArgs(s, 1, 2, 'IP PORT');
  const rs: RealServerConfig = {
    address: v.address(s, s.args[0] as string).text,
    // A missing or zero port means the virtual server's port, as ipvsadm does.
    port: v.port(s, s.args[1], true) || d.vs.port,
    weight: d.defaultWeight,
    method: d.vs.method,
    upperThreshold: 0,
    lowerThreshold: 0,
    line: s.line,
  };
  const health: HealthDefaults = {};
  const checkers: CheckDraft[] = [];
  for (const k of s.block ?? []) {
    if (isCheckerKeyword(k.keyword)) checkers.push(parseChecker(k, warnings));
    else if (k.keyword === 'notify_up' || k.keyword === 'notify_down') notifyKeyword(rs, k, ctx);
    else if (!healthKeyword(health, k, 'rs')) rsKeyword(rs, k, warnings);
  }
  checkThresholds(s, rs);
  // A group's members set their own ports (keepalived-service-group.ts). A mark service's DR or
  // TUN server keeps the port it is written with (its checkers' default port, keepalived's
  // samples write one): the packet is not rewritten, it arrives on its own port.
  if (d.vs.group === undefined && d.vs.fwmark === undefined) samePortUnlessMapped(s, rs, d.vs.port, warnings);
  convertCheckers(rs, checkers, mergeDefaults(d.health, health), d.vs.delayLoop, ctx);
  return rs;
}

function rsKeyword(rs: RealServerConfig, k: Statement, warnings: ConfigWarning[]): void {
  switch (k.keyword) {
    case 'weight':
      v.expectArgs(k, 1, 1, 'WEIGHT');
      rs.weight = v.uint(k, k.args[0] as string, 0, MAX_WEIGHT);
      return;
    case 'uthreshold':
      v.expectArgs(k, 1, 1, 'CONNECTIONS');
      rs.upperThreshold = v.uint(k, k.args[0] as string, 0, MAX_THRESHOLD);
      return;
    case 'lthreshold':
      v.expectArgs(k, 1, 1, 'CONNECTIONS');
      rs.lowerThreshold = v.uint(k, k.args[0] as string, 0, MAX_THRESHOLD);
      return;
    case 'lvs_method':
    case 'lb_kind':
      rs.method = v.method(k);
      return;
    default:
      ignored(k, UNSUPPORTED_RS, warnings);
  }
}

/** notify_up / notify_down "COMMAND ARGS" [USER [GROUP]]; a second one is ignored, as keepalived does. */
function notifyKeyword(rs: RealServerConfig, k: Statement, ctx: CheckerContext): void {
  const field = k.keyword === 'notify_up' ? 'notifyUp' : 'notifyDown';
  const script = v.scriptCommand(k);
  if (rs[field] !== undefined) {
    warn(k, `${k.keyword} script already given, this one ignored (as keepalived does)`, ctx.warnings);
    return;
  }
  rs[field] = { ...script, ...ctx.scripts };
}

function checkThresholds(s: Statement, rs: RealServerConfig): void {
  if (rs.upperThreshold !== 0 && rs.lowerThreshold > rs.upperThreshold) {
    v.fail(s, `lthreshold ${rs.lowerThreshold} is above uthreshold ${rs.upperThreshold}`);
  }
}

/** DR and TUN cannot change the port (the packet is not rewritten); ipvsadm forces it too. */
function samePortUnlessMapped(s: Statement, rs: RealServerConfig, vsPort: number, warnings: ConfigWarning[]): void {
  const mapsPorts: readonly ForwardMethod[] = ['nat', 'fnat'];
  if (mapsPorts.includes(rs.method) || rs.port === vsPort) return;
  const kept = vsPort === 0 ? "the packet's port" : `the virtual port ${vsPort}`;
  warn(s, `port ${rs.port} ignored: ${rs.method.toUpperCase()} keeps ${kept}`, warnings);
  rs.port = vsPort;
}
