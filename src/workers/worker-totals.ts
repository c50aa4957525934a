// The monotonic counters a worker reports beside its stats, and their sum over workers 1..N-1 on
// the main thread: what the rate estimators and the Prometheus counters add to worker 0's own
// typed arrays. The stats in a report count since the last `adm -Z`; estimators and Prometheus
// counters need totals that never go back, so these are the totals, keyed by identity (ids
// differ between workers).

import { listedDests, listedServices } from '../control/listed.js';
import type { DataPlane } from '../datapath/data-plane.js';
import type { TrafficReading } from '../datapath/identities.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import type { DirectorStats } from '../director-stats.js';
import type { PortCounters } from '../native/types.js';
import { destIdentity, serviceIdentity } from './identity.js';

/** A real server's totals and its connection counts (gauges) on one worker. */
export interface DestTotals extends TrafficReading {
  activeConns: number;
  inactConns: number;
}

/** What a worker reports each tick beside its stats: its listed services' and real servers' totals. */
export interface WorkerTotals {
  /** FULLNAT local ports in use, the service's share on this worker (0 for other methods). */
  services: Array<[identity: string, totals: TrafficReading, localPortsInUse: number]>;
  dests: Array<[identity: string, totals: DestTotals]>;
}

const TRAFFIC = ['conns', 'inPkts', 'inBytes', 'outPkts', 'outBytes'] as const;

/** Worker side: the totals of every listed service and real server (draining ones too, as metrics list them). */
export function collectTotals(plane: DataPlane): WorkerTotals {
  const table = plane.table;
  const { serviceCounters, destCounters } = table.registry;
  const services = listedServices(table).map((svc): [string, TrafficReading, number] =>
    [serviceIdentity(svc), serviceCounters.total(svc.id), svc.localPorts?.usage.reduce((a, b) => a + b, 0) ?? 0]);
  const dests: Array<[string, DestTotals]> = [];
  for (const d of listedDests(table)) {
    const svc = table.serviceById[d.service];
    if (svc === undefined) continue;
    const id = d.id;
    // Field by field: a spread of total()'s reading costs about 5 µs a real server in V8.
    dests.push([destIdentity(svc, d), {
      conns: destCounters.conns[id] ?? 0, inPkts: destCounters.inPkts[id] ?? 0, inBytes: destCounters.inBytes[id] ?? 0,
      outPkts: destCounters.outPkts[id] ?? 0, outBytes: destCounters.outBytes[id] ?? 0, activeConns: d.activeConns, inactConns: d.inactConns,
    }]);
  }
  return { services, dests };
}

const ZERO: TrafficReading = { conns: 0, inPkts: 0, inBytes: 0, outPkts: 0, outBytes: 0 };

/** Adds from into the map's entry for key (a copy of from at first): explicit fields, as spreads are slow here. */
function addTraffic(into: Map<string, TrafficReading>, key: string, from: TrafficReading): void {
  const mine = into.get(key);
  if (mine === undefined) {
    into.set(key, { conns: from.conns, inPkts: from.inPkts, inBytes: from.inBytes, outPkts: from.outPkts, outBytes: from.outBytes });
    return;
  }
  for (const f of TRAFFIC) mine[f] += from[f];
}

function addDest(into: Map<string, DestTotals>, key: string, from: DestTotals): void {
  const mine = into.get(key);
  if (mine === undefined) {
    into.set(key, {
      conns: from.conns, inPkts: from.inPkts, inBytes: from.inBytes, outPkts: from.outPkts, outBytes: from.outBytes,
      activeConns: from.activeConns, inactConns: from.inactConns,
    });
    return;
  }
  for (const f of TRAFFIC) mine[f] += from[f];
  mine.activeConns += from.activeConns;
  mine.inactConns += from.inactConns;
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** One worker's last report, as the pool keeps it. */
export interface WorkerReport {
  stats: DirectorStats;
  totals: WorkerTotals;
}

/**
 * Main side: workers 1..N-1's last reports summed, for the views that read worker 0's typed
 * arrays directly (metrics, rate estimators). Built once per read from at most a report per
 * worker: O(workers × real servers), never per packet.
 */
export class WorkerSums {
  private readonly services = new Map<string, TrafficReading>();
  private readonly dests = new Map<string, DestTotals>();
  readonly drops: Record<string, number> = {};
  readonly parseErrors: Record<string, number> = {};
  readonly port: Partial<Record<keyof PortCounters, number>> = {};
  readonly arp = { requestsSent: 0, repliesLearned: 0, failures: 0 };
  readonly nd = { solicitsSent: 0, learned: 0, failures: 0, solicitsAnswered: 0, notOwned: 0, invalid: 0 };
  readonly icmpSent = { timeExceeded: 0, fragNeeded: 0, echoReplies: 0 };
  readonly synProxy: Record<string, number> = {};
  connections = 0;
  capacity = 0;
  heldFrames = 0;
  fragEvicted = 0;
  /** FULLNAT local ports in use, by service identity. */
  private readonly localPorts = new Map<string, number>();

  constructor(reports: readonly WorkerReport[]) {
    for (const { stats, totals } of reports) {
      for (const [key, t, ports] of totals.services) {
        addTraffic(this.services, key, t);
        if (ports > 0) this.localPorts.set(key, (this.localPorts.get(key) ?? 0) + ports);
      }
      for (const [key, t] of totals.dests) addDest(this.dests, key, t);
      addInto(this.drops, stats.drops);
      addInto(this.parseErrors, stats.parseErrors);
      for (const [k, v] of Object.entries(stats.port)) {
        if (typeof v === 'number') this.port[k as keyof PortCounters] = (this.port[k as keyof PortCounters] ?? 0) + v;
      }
      for (const k of ['requestsSent', 'repliesLearned', 'failures'] as const) this.arp[k] += stats.arp[k];
      for (const k of Object.keys(this.nd) as (keyof WorkerSums['nd'])[]) this.nd[k] += stats.nd?.[k] ?? 0;
      for (const k of ['timeExceeded', 'fragNeeded', 'echoReplies'] as const) this.icmpSent[k] += stats.icmpSent[k];
      addInto(this.synProxy, stats.synProxy as unknown as Record<string, number>);
      this.connections += stats.connections;
      this.capacity += stats.limits.connTable.capacity;
      this.heldFrames += stats.heldFrames;
      this.fragEvicted += stats.limits.fragCache.evicted;
    }
  }

  service(svc: RuntimeService): TrafficReading {
    return this.services.get(serviceIdentity(svc)) ?? ZERO;
  }

  localPortsInUse(svc: RuntimeService): number {
    return this.localPorts.get(serviceIdentity(svc)) ?? 0;
  }

  dest(table: ServiceTable, d: RuntimeDest): DestTotals | undefined {
    const svc = table.serviceById[d.service];
    return svc === undefined ? undefined : this.dests.get(destIdentity(svc, d));
  }
}

/** a + b, field by field (a new object). */
export function plusTraffic(a: TrafficReading, b: TrafficReading | undefined): TrafficReading {
  if (b === undefined) return a;
  return { conns: a.conns + b.conns, inPkts: a.inPkts + b.inPkts, inBytes: a.inBytes + b.inBytes, outPkts: a.outPkts + b.outPkts, outBytes: a.outBytes + b.outBytes };
}
