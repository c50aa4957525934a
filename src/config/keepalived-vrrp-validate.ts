// Settles the VRRP part of a keepalived.conf once every block is read: names and references
// (track_script, sync group members, lvs_sync_daemon's instance), the version each instance
// runs, and the combinations keepalived corrects with a warning (which director corrects the same way).

import type { ConfigWarning, GlobalDefsConfig, TrackConfig, VrrpConfig, VrrpScriptConfig, VrrpSyncGroupConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import type { InstanceDraft } from './keepalived-vrrp-instance.js';
import { warn } from './keepalived-keywords.js';
import { defaultSyncDaemon } from './keepalived-global.js';
import * as v from './keepalived-values.js';
import { isIPv6 } from '../net/addr6.js';

export interface Sourced<T> {
  config: T;
  stmt: Statement;
}

/** Largest VRRPv3 interval: 4095 centiseconds. */
const MAX_V3_ADVERT_INT = 40.95;

export function settleVrrp(
  instances: InstanceDraft[], scripts: Sourced<VrrpScriptConfig>[], groups: Sourced<VrrpSyncGroupConfig>[],
  globals: GlobalDefsConfig, syncStmt: Statement | null, warnings: ConfigWarning[],
): VrrpConfig {
  uniqueNames('vrrp_script', scripts);
  uniqueNames('vrrp_instance', instances);
  uniqueNames('vrrp_sync_group', groups);
  const byScript = new Map(scripts.map((s) => [s.config.name, s.config]));
  const grouped = syncGroupMembers(groups, instances, warnings);
  const vrids = new Map<string, InstanceDraft>();
  for (const d of instances) {
    settleFamily(d, warnings);
    settleVersion(d, warnings);
    settleTrackScripts(d, byScript);
    settlePreemption(d, warnings);
    if (grouped.has(d.config.name)) unweighTrackers(d, 'is in a vrrp_sync_group', warnings);
    if (d.config.priority === 255) unweighTrackers(d, 'is the address owner (priority 255)', warnings);
    checkAddresses(d, warnings);
    // One VRID may serve IPv4 and IPv6 on one interface: two protocols, two routers (RFC 5798).
    const key = `${d.config.interface}/${d.config.family}/${d.config.vrid}`;
    const other = vrids.get(key);
    if (other) v.fail(d.stmt, `virtual_router_id ${d.config.vrid} on ${d.config.interface} (IPv${d.config.family}) is already used by ${other.config.name} (line ${other.stmt.line})`);
    vrids.set(key, d);
  }
  legacySyncDaemon(globals, instances, warnings);
  settleSyncDaemon(globals, syncStmt, instances);
  return { instances: instances.map((d) => d.config), scripts: scripts.map((s) => s.config), syncGroups: groups.map((g) => g.config) };
}

function uniqueNames(what: string, list: Array<{ config: { name: string }; stmt: Statement }>): void {
  const seen = new Map<string, Statement>();
  for (const { config, stmt } of list) {
    const first = seen.get(config.name);
    if (first) v.fail(stmt, `${what} '${config.name}' is already defined at ${first.file}:${first.line}`);
    seen.set(config.name, stmt);
  }
}

/**
 * keepalived's family rules: `native_ipv6`, else the first virtual_ipaddress, decides (IPv4 when
 * there is none); an address of the other family is dropped with keepalived's complaint, as is
 * a unicast peer; unicast_src_ip must match. IPv6 runs VRRPv3 whatever vrrp_version says, and a
 * `version 2` is corrected with keepalived's vrrp_strict warning (keepalived without vrrp_strict
 * would send VRRPv2 over IPv6, which no RFC defines and director does not build).
 */
function settleFamily(d: InstanceDraft, warnings: ConfigWarning[]): void {
  const c = d.config;
  const first = c.virtualAddresses[0];
  c.family = d.nativeIpv6 || (first !== undefined && isIPv6(first.address)) ? 6 : 4;
  const ours = (text: string): boolean => isIPv6(text) === (c.family === 6);
  const vipAt = (line: number): Statement => ({ keyword: 'virtual_ipaddress', args: [], file: d.stmt.file, line, block: null });
  c.virtualAddresses = c.virtualAddresses.filter((a) => {
    if (!ours(a.address)) warn(vipAt(a.line), `(${c.name}): address family must match VRRP instance [${a.address}] - ignoring (as keepalived)`, warnings);
    return ours(a.address);
  });
  c.unicastPeers = c.unicastPeers.filter((p, i) => {
    if (!ours(p)) warn(d.peerStmts[i] ?? d.stmt, `VRRP instance ${c.name} and unicast peer address ${p} must be of the same family - skipping (as keepalived)`, warnings);
    return ours(p);
  });
  if (c.unicastSrcIp !== null && !ours(c.unicastSrcIp)) {
    v.fail(d.said.get('unicast_src_ip') ?? d.stmt, `${c.unicastSrcIp} is not IPv${c.family}, the family of vrrp_instance ${c.name}`);
  }
  if (c.family === 4) return;
  if (d.versionSaid !== null && c.version === 2) warn(d.versionSaid, `(${c.name}) cannot use IPv6 with VRRP version 2; setting version 3 (as keepalived in strict mode)`, warnings);
  c.version = 3;
  if (c.virtualAddresses.length === 0) v.fail(d.stmt, `(${c.name}) No VIP specified; at least one is required (VRRPv3, as keepalived)`);
  const head = c.virtualAddresses[0]!.address;
  if (c.unicastPeers.length === 0 && !/^fe[89ab]/.test(head)) {
    warn(vipAt(c.virtualAddresses[0]!.line), `(${c.name}) the first IPv6 VIP address should be link local (as keepalived says; RFC 5798 5.2.9)`, warnings);
  }
}

/** v2 intervals are whole seconds (keepalived rounds), v3 in 0.01 s up to 40.95; v3 has no auth. */
function settleVersion(d: InstanceDraft, warnings: ConfigWarning[]): void {
  const c = d.config;
  const at = d.advertStmt ?? d.stmt;
  if (c.version === 2 && !Number.isInteger(c.advertInt)) {
    const rounded = Math.max(1, Math.round(c.advertInt));
    warn(at, `VRRPv2 advert_int must be whole seconds: ${c.advertInt} rounded to ${rounded} (as keepalived does); use version 3 for shorter`, warnings);
    c.advertInt = rounded;
  }
  if (c.version === 3) {
    if (c.advertInt > MAX_V3_ADVERT_INT) v.fail(at, `${c.advertInt} s is above the VRRPv3 maximum of ${MAX_V3_ADVERT_INT} s`);
    c.advertInt = Math.max(1, Math.round(c.advertInt * 100)) / 100;
    if (c.authPass !== null) {
      warn(d.authStmt ?? d.stmt, 'VRRPv3 has no authentication: ignored (as keepalived does)', warnings);
      c.authPass = null;
    }
  }
}

function settleTrackScripts(d: InstanceDraft, byScript: Map<string, VrrpScriptConfig>): void {
  for (const t of d.config.trackScripts) {
    const script = byScript.get(t.name);
    if (!script) v.fail(d.said.get('track_script') ?? d.stmt, `no vrrp_script '${t.name}' (defined: ${[...byScript.keys()].join(', ') || 'none'})`);
    if (!d.scriptWeightSaid.has(t)) {
      t.weight = script.weight;
      t.reverse = script.reverse;
    }
  }
}

/** keepalived's corrections: nopreempt and preempt_delay need an initial BACKUP that is not the owner. */
function settlePreemption(d: InstanceDraft, warnings: ConfigWarning[]): void {
  const c = d.config;
  const at = (k: string): Statement => d.said.get(k) ?? d.stmt;
  if (!c.preempt && (c.priority === 255 || c.state === 'MASTER')) {
    warn(at('nopreempt'), `nopreempt ignored: it needs state BACKUP and a priority below 255 (as keepalived does)`, warnings);
    c.preempt = true;
  }
  if (c.preemptDelay > 0 && (!c.preempt || c.state === 'MASTER')) {
    warn(at('preempt_delay'), `preempt_delay ignored with ${c.preempt ? 'state MASTER' : 'nopreempt'} (as keepalived does)`, warnings);
    c.preemptDelay = 0;
  }
}

/** Sync group members and address owners do not float their priority (keepalived drops weights). */
function unweighTrackers(d: InstanceDraft, why: string, warnings: ConfigWarning[]): void {
  const weighted = (t: TrackConfig): boolean => t.weight !== 0;
  const at = (t: TrackConfig): Statement => ({ keyword: t.name, args: [], file: d.stmt.file, line: t.line, block: null });
  for (const t of d.config.trackInterfaces.filter(weighted)) {
    warn(at(t), `weight of tracked interface ${t.name} ignored: ${d.config.name} ${why} (as keepalived does)`, warnings);
    t.weight = 0;
  }
  for (const t of d.config.trackScripts.filter(weighted)) {
    warn(at(t), `weighted track_script ${t.name} ignored: ${d.config.name} ${why} (as keepalived does)`, warnings);
  }
  d.config.trackScripts = d.config.trackScripts.filter((t) => !weighted(t));
}

function checkAddresses(d: InstanceDraft, warnings: ConfigWarning[]): void {
  const seen = new Set<string>();
  d.config.virtualAddresses = d.config.virtualAddresses.filter((a) => {
    if (!seen.has(a.address)) return seen.add(a.address);
    warn(d.said.get('virtual_ipaddress') ?? d.stmt, `(${d.config.name}): VIP ${a.address} duplicates a VIP - ignoring (as keepalived)`, warnings);
    return false;
  });
  if (seen.size > 255) v.fail(d.stmt, `${seen.size} virtual addresses: an advert carries at most 255`);
  if (seen.size === 0) warn(d.stmt, `vrrp_instance ${d.config.name} has no virtual_ipaddress`, warnings);
}

function syncGroupMembers(groups: Sourced<VrrpSyncGroupConfig>[], instances: InstanceDraft[], warnings: ConfigWarning[]): Map<string, string> {
  const names = new Set(instances.map((d) => d.config.name));
  const member = new Map<string, string>();
  for (const { config, stmt } of groups) {
    for (const name of config.instances) {
      if (!names.has(name)) v.fail(stmt, `no vrrp_instance '${name}' for sync group ${config.name}`);
      const other = member.get(name);
      if (other) v.fail(stmt, `vrrp_instance ${name} is already in sync group ${other}`);
      member.set(name, config.name);
    }
    if (config.instances.length === 1) warn(stmt, `sync group ${config.name} has only one instance`, warnings);
  }
  return member;
}

/**
 * vrrp_instance's lvs_sync_daemon_interface IF (deprecated since keepalived 1.2.19): the first one
 * is global lvs_sync_daemon IF INSTANCE, unless global_defs gives one; keepalived's words.
 */
function legacySyncDaemon(globals: GlobalDefsConfig, instances: InstanceDraft[], warnings: ConfigWarning[]): void {
  for (const d of instances) {
    const s = d.said.get('lvs_sync_daemon_interface');
    if (s === undefined) continue;
    const name = d.config.name;
    warn(s, `(${name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon`, warnings);
    if (globals.lvsSyncDaemon) {
      warn(s, `(${name}) lvs_sync_daemon_interface has already been specified as ${globals.lvsSyncDaemon.interface} - ignoring`, warnings);
      continue;
    }
    globals.lvsSyncDaemon = { ...defaultSyncDaemon(s.args[0] as string, name, s.line), syncId: d.config.vrid };
  }
}

function settleSyncDaemon(globals: GlobalDefsConfig, syncStmt: Statement | null, instances: InstanceDraft[]): void {
  const sd = globals.lvsSyncDaemon;
  if (!sd || !syncStmt || sd.instance === null) return;
  const inst = instances.find((d) => d.config.name === sd.instance);
  if (!inst) v.fail(syncStmt, `no vrrp_instance '${sd.instance}' (defined: ${instances.map((d) => d.config.name).join(', ') || 'none'})`);
  // keepalived: the sync id defaults to the instance's VRID.
  if (sd.syncId === null) sd.syncId = inst.config.vrid;
}
