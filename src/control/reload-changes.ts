// What a reload changed, from the table that ran before to the one that runs now: services and
// real servers added, removed (draining) or changed, and global settings, each one change with
// one keepalived-like log line. Pure: reads the two tables, changes nothing.

import { destText, localGroupTexts } from '../datapath/address-text.js';
import { CHECKER_KINDS } from '../config/keepalived-checkers.js';
import { serviceName, type HealthCheckConfig, type RealServerConfig, type VirtualServerConfig } from '../config/model.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { checkerText } from '../health/types.js';

export interface ReloadChange {
  action: 'added' | 'removed' | 'changed';
  /** The virtual server, as "TCP 198.19.0.100:80"; absent for a global setting. */
  service?: string;
  /** The real server, as "198.19.0.11:80"; absent when the change is the virtual server's own. */
  realServer?: string;
  /** What changed ("weight 1 -> 3"), what a removal leaves draining, what an addition brings. */
  details: string[];
  /** The line logged for it. */
  message: string;
}

/** What reload() answers: ok and the changes applied, or not ok, nothing changed, and why. */
export interface ReloadResult {
  ok: boolean;
  changes: ReloadChange[];
  /** Why the config was refused (ok false). */
  error?: string;
}

const METHOD_LABEL = { dr: 'DR', nat: 'NAT', tun: 'TUN', fnat: 'FNAT' } as const;
/** Each checker kind by its keepalived.conf block keyword. */
const CHECK_LABEL = Object.fromEntries(Object.entries(CHECKER_KINDS).map(([keyword, kind]) => [kind, keyword])) as Record<HealthCheckConfig['kind'], string>;

function serviceLabel(svc: RuntimeService): string {
  return serviceName(svc.config);
}

function destName(dest: RuntimeDest): string {
  return `${destText(dest)}:${dest.port}`;
}

/** The line logged when a reload is refused. */
export function rejectionLine(reason: string): string {
  return `reload: configuration rejected, the running one stays in force: ${reason}`;
}

/** Every change from before to after (after built from before), in config order, removals last. */
export function describeChanges(before: ServiceTable, after: ServiceTable): ReloadChange[] {
  const changes = globalChanges(before, after);
  const oldServices = new Map(before.services.map((s) => [s.id, s]));
  for (const svc of after.services) {
    const was = oldServices.get(svc.id);
    oldServices.delete(svc.id);
    changes.push(...(was === undefined ? addedService(svc) : changedService(was, svc, after)));
  }
  for (const svc of oldServices.values()) changes.push(...removedService(svc, after));
  return changes;
}

function globalChanges(before: ServiceTable, after: ServiceTable): ReloadChange[] {
  const out: ReloadChange[] = [];
  if (before.expireNodestConn !== after.expireNodestConn) {
    const value = after.expireNodestConn ? 'on' : 'off';
    out.push({ action: 'changed', details: [`expire_nodest_conn ${before.expireNodestConn ? 'on' : 'off'} -> ${value}`], message: `Setting expire_nodest_conn ${value}` });
  }
  const groups = new Set([...before.allocators.keys(), ...after.allocators.keys()]);
  for (const name of groups) {
    const was = localGroupTexts(before, name)?.join(' ');
    const now = localGroupTexts(after, name)?.join(' ');
    if (was === now) continue;
    const detail = `local_address_group ${name} ${was ?? '(none)'} -> ${now ?? '(none)'}`;
    const action = was === undefined ? 'added' : now === undefined ? 'removed' : 'changed';
    out.push({ action, details: [detail], message: `Setting ${detail}` });
  }
  return out;
}

function addedService(svc: RuntimeService): ReloadChange[] {
  const service = serviceLabel(svc);
  const n = svc.sched.dests.length;
  const detail = `${svc.scheduler.name}, ${n === 1 ? '1 real server' : `${n} real servers`}`;
  return [
    { action: 'added', service, details: [detail], message: `Adding Virtual Server ${service} (${detail})` },
    ...svc.sched.dests.map((d) => addedDest(svc, d)),
  ];
}

function removedService(svc: RuntimeService, after: ServiceTable): ReloadChange[] {
  const service = serviceLabel(svc);
  const draining = svc.sched.dests.reduce((n, d) => n + d.activeConns + d.inactConns, 0);
  const detail = draining > 0 ? `${connections(draining)} draining` : 'no connections';
  return [
    { action: 'removed', service, details: [detail], message: `Removing Virtual Server ${service} (${detail})` },
    ...svc.sched.dests.map((d) => removedDest(svc, d, after)),
  ];
}

function changedService(was: RuntimeService, svc: RuntimeService, after: ServiceTable): ReloadChange[] {
  const service = serviceLabel(svc);
  const details = serviceDetails(was, svc);
  const out: ReloadChange[] = details.length === 0 ? [] : [{
    action: 'changed', service, details, message: `Changing Virtual Server ${service}: ${details.join(', ')}`,
  }];
  const oldDests = new Map(was.sched.dests.map((d) => [d.id, d]));
  for (const dest of svc.sched.dests) {
    const before = oldDests.get(dest.id);
    oldDests.delete(dest.id);
    if (before === undefined) out.push(addedDest(svc, dest));
    else out.push(...changedDest(svc, before, dest));
  }
  for (const dest of oldDests.values()) out.push(removedDest(svc, dest, after));
  return out;
}

function connections(n: number): string {
  return n === 1 ? '1 connection' : `${n} connections`;
}

function addedDest(svc: RuntimeService, dest: RuntimeDest): ReloadChange {
  const rs = dest.config;
  const details = [`weight ${rs.weight}`, METHOD_LABEL[rs.method]];
  if (svc.config.slowStart > 0) details.push(`slow start over ${svc.config.slowStart} s`);
  if (rs.alpha === true && (rs.checks?.length ?? 0) > 0) details.push('alpha: down until a check succeeds');
  if (dest.sorry) details.push('in the pool while the quorum is down');
  const realServer = destName(dest);
  const service = serviceLabel(svc);
  return { action: 'added', service, realServer, details, message: `Adding ${what(dest)} ${realServer} to VS ${service} (${details.join(', ')})` };
}

function removedDest(svc: RuntimeService, dest: RuntimeDest, after: ServiceTable): ReloadChange {
  const conns = dest.activeConns + dest.inactConns;
  const detail = conns === 0 ? 'no connections'
    : after.expireNodestConn ? `expiring ${connections(conns)} at the next packet` : `draining ${connections(conns)}`;
  const realServer = destName(dest);
  const service = serviceLabel(svc);
  return { action: 'removed', service, realServer, details: [detail], message: `Removing ${what(dest)} ${realServer} from VS ${service} (${detail})` };
}

/** keepalived's words: a real server is a "service", the sorry server says what it is. */
function what(dest: RuntimeDest): string {
  return dest.sorry ? 'sorry server' : 'service';
}

function changedDest(svc: RuntimeService, before: RuntimeDest, dest: RuntimeDest): ReloadChange[] {
  const details = destDetails(before.config, dest.config);
  if (details.length === 0) return [];
  const realServer = destName(dest);
  const service = serviceLabel(svc);
  return [{ action: 'changed', service, realServer, details, message: `Changing service ${realServer} in VS ${service}: ${details.join(', ')}` }];
}

/** "name old -> new" for each of a list of settings that differ. */
function differences<T>(a: T, b: T, fields: ReadonlyArray<[string, (x: T) => string]>): string[] {
  return fields.flatMap(([name, get]) => (get(a) === get(b) ? [] : [`${name} ${get(a)} -> ${get(b)}`]));
}

const SERVICE_FIELDS: ReadonlyArray<[string, (vs: VirtualServerConfig) => string]> = [
  ['persistence_timeout', (vs) => String(vs.persistenceTimeout)],
  ['persistence_granularity', (vs) => vs.persistenceGranularity],
  ['laddr_group_name', (vs) => vs.laddrGroup ?? '(none)'],
  ['slowstart', (vs) => String(vs.slowStart)],
  ['syn_proxy', (vs) => (vs.synProxy ? 'on' : 'off')],
];

function serviceDetails(was: RuntimeService, svc: RuntimeService): string[] {
  const sched = (s: RuntimeService): string => [s.scheduler.name, ...s.config.schedFlags].join(' ');
  const details = sched(was) === sched(svc) ? [] : [`lb_algo ${sched(was)} -> ${sched(svc)} (new connections only)`];
  return [...details, ...differences(was.config, svc.config, SERVICE_FIELDS)];
}

const DEST_FIELDS: ReadonlyArray<[string, (rs: RealServerConfig) => string]> = [
  ['weight', (rs) => String(rs.weight)],
  ['lb_kind', (rs) => METHOD_LABEL[rs.method]],
  ['uthreshold', (rs) => String(rs.upperThreshold)],
  ['lthreshold', (rs) => String(rs.lowerThreshold)],
  ['inhibit_on_failure', (rs) => (rs.inhibitOnFailure === true ? 'on' : 'off')],
  ['alpha', (rs) => (rs.alpha === true ? 'on' : 'off')],
  ['checkers', checkersOf],
];

function destDetails(a: RealServerConfig, b: RealServerConfig): string[] {
  const details = differences(a, b, DEST_FIELDS);
  if (a.method !== b.method) details[details.findIndex((d) => d.startsWith('lb_kind'))] += ' (new connections only)';
  const settings = (rs: RealServerConfig): string => (rs.checks ?? []).map(checkerText).join('\n');
  if (checkersOf(a) === checkersOf(b) && settings(a) !== settings(b)) details.push('checker settings');
  return details;
}

function checkersOf(rs: RealServerConfig): string {
  const kinds = (rs.checks ?? []).map((c) => CHECK_LABEL[c.kind]);
  return kinds.length ? kinds.join('+') : '(none)';
}
