// The director's statistics across workers: the main thread's (worker 0's, with health, quorum,
// VRRP and sync, which only it has) with every other worker's counters added in, matched by
// identity (a service by protocol, mark, VIP and port; a real server by address and port), plus
// one line per worker so an operator sees how the load spreads.

import type { AdmSnapshot } from '../adm/model.js';
import type { DirectorStats, RealServerStats, ServiceStats } from '../director-stats.js';

/** One worker's share, as stats().workers lists it. */
export interface WorkerShare {
  index: number;
  connections: number;
  rxFrames: number;
  txFrames: number;
  /** Frames the kernel dropped because this worker's ring was full. */
  rxRingDrops: number;
  /** Seconds since its last report (0 for the main thread): a stuck worker shows here. */
  age: number;
}

const TRAFFIC = ['conns', 'inPkts', 'inBytes', 'outPkts', 'outBytes'] as const;

function addNumbers<T extends object>(into: T, from: T): void {
  const target = into as Record<string, unknown>;
  for (const [key, value] of Object.entries(from)) {
    if (typeof value === 'number' && typeof target[key] === 'number') target[key] = (target[key] as number) + value;
  }
}

function serviceKey(s: ServiceStats): string {
  return `${s.protocol}/${s.fwmark ?? 0}/${s.vip}:${s.port}`;
}

function destKey(d: RealServerStats): string {
  return `${d.address}:${d.port}${d.sorry ? '/sorry' : ''}`;
}

function addService(into: ServiceStats, from: ServiceStats): void {
  for (const f of TRAFFIC) into[f] += from[f];
  if (into.localPortsInUse !== undefined && from.localPortsInUse !== undefined) into.localPortsInUse += from.localPortsInUse;
  const dests = new Map(from.realServers.map((d) => [destKey(d), d]));
  for (const d of into.realServers) {
    const other = dests.get(destKey(d));
    if (other === undefined) continue;
    for (const f of TRAFFIC) d[f] += other[f];
    d.activeConns += other.activeConns;
    d.inactConns += other.inactConns;
  }
}

/**
 * main's stats with the others' counters added (others: the last report of workers 1..N-1, in
 * order, each with its age in seconds). main is not changed.
 */
export function mergeStats(main: DirectorStats, others: ReadonlyArray<{ stats: DirectorStats; age: number }>): DirectorStats & { workers: WorkerShare[] } {
  const out = structuredClone(main);
  const services = new Map(out.services.map((s) => [serviceKey(s), s]));
  for (const { stats } of others) {
    out.connections += stats.connections;
    for (const s of stats.services) {
      const mine = services.get(serviceKey(s));
      if (mine !== undefined) addService(mine, s);
    }
    for (const [reason, n] of Object.entries(stats.drops)) out.drops[reason] = (out.drops[reason] ?? 0) + n;
    addNumbers(out.synProxy, stats.synProxy);
    addNumbers(out.port, stats.port);
    addNumbers(out.arp, stats.arp);
    addNumbers(out.icmpSent, stats.icmpSent);
    out.heldFrames += stats.heldFrames;
    out.limits.connTable.size += stats.limits.connTable.size;
    out.limits.connTable.capacity += stats.limits.connTable.capacity;
    out.limits.holdQueue.held += stats.limits.holdQueue.held;
    out.limits.fragCache.evicted += stats.limits.fragCache.evicted;
  }
  const share = (index: number, s: DirectorStats, age: number): WorkerShare => ({
    index, connections: s.connections, rxFrames: s.port.rxFrames, txFrames: s.port.txFrames, rxRingDrops: s.port.rxRingDrops, age,
  });
  return { ...out, workers: [share(0, main, 0), ...others.map((o, i) => share(i + 1, o.stats, o.age))] };
}

/**
 * `adm -L`/`-S` across workers: the main thread's snapshot with the others' connection counts
 * and traffic counters added (rates stay the main thread's estimators). snapshot is changed.
 */
export function mergeSnapshot(snapshot: AdmSnapshot, others: ReadonlyArray<{ stats: DirectorStats }>): AdmSnapshot {
  for (const { stats } of others) {
    snapshot.connTableCapacity += stats.limits.connTable.capacity;
    const services = new Map(stats.services.map((s) => [`${s.protocol}/${s.fwmark ?? 0}/${s.vip}:${s.port}`, s]));
    for (const svc of snapshot.services) {
      const other = services.get(`${svc.protocol}/${svc.fwmark ?? 0}/${svc.fwmark ? '0.0.0.0' : svc.address}:${svc.fwmark ? 0 : svc.port}`);
      if (other === undefined) continue;
      for (const f of TRAFFIC) svc.stats[f] += other[f];
      const dests = new Map(other.realServers.filter((d) => !d.sorry).map((d) => [`${d.address}:${d.port}`, d]));
      for (const rs of svc.realServers) {
        const d = dests.get(`${rs.address}:${rs.port}`);
        if (d === undefined) continue;
        rs.activeConns += d.activeConns;
        rs.inactConns += d.inactConns;
        for (const f of TRAFFIC) rs.stats[f] += d[f];
      }
    }
  }
  return snapshot;
}
