// The director's rate estimators: one IPVS estimator (ip_vs_est.c, 2 s samples) per listed
// service and real server, keyed by stable id, fed from the traffic counters. Estimators are
// created as identities appear and dropped when they are reaped; an id reused by another
// identity starts a fresh one. Metrics, `adm --rate` and `director top` all read these. With
// workers, each estimator takes worker 0's totals plus the other workers' last reported ones.

import type { TrafficCounters, TrafficReading } from '../datapath/identities.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { RateEstimator, type RateReading } from '../ipvs/rate-estimator.js';
import type { Clock } from '../sched/types.js';
import { plusTraffic, type WorkerSums } from '../workers/worker-totals.js';
import { listedDests, listedServices } from './listed.js';

interface Tracked {
  /** The identity the estimator belongs to: protocol, VIP, port (and address, port for a real server). */
  readonly identity: readonly number[];
  readonly estimator: RateEstimator;
}

const ZERO: RateReading = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

export class RateSampler {
  private readonly services = new Map<number, Tracked>();
  private readonly dests = new Map<number, Tracked>();

  constructor(private readonly clock: Clock) {}

  /**
   * Feeds every listed identity's counters to its estimator (which takes a sample only when one
   * is due, on its own 2 s grid) and forgets identities that left. Call it at least every 2 s.
   * others: the other workers' totals, added (absent with one worker).
   */
  sample(table: ServiceTable, others?: WorkerSums): void {
    const { serviceCounters, destCounters } = table.registry;
    const services = listedServices(table);
    const seenServices = new Set<number>();
    for (const svc of services) {
      seenServices.add(svc.id);
      this.feed(this.services, svc.id, serviceIdentity(svc), plusTraffic(serviceCounters.total(svc.id), others?.service(svc)));
    }
    const seenDests = new Set<number>();
    for (const dest of listedDests(table)) {
      const svc = table.serviceById[dest.service];
      if (svc === undefined) continue;
      seenDests.add(dest.id);
      this.feed(this.dests, dest.id, [...serviceIdentity(svc), dest.addr, dest.port, ...(dest.addr6 ?? [])], plusTraffic(destCounters.total(dest.id), others?.dest(table, dest)));
    }
    forgetAbsent(this.services, seenServices);
    forgetAbsent(this.dests, seenDests);
  }

  /** A service's rates; zero before its first sample. */
  serviceRate(svc: RuntimeService): RateReading {
    return this.services.get(svc.id)?.estimator.read() ?? ZERO;
  }

  destRate(dest: RuntimeDest): RateReading {
    return this.dests.get(dest.id)?.estimator.read() ?? ZERO;
  }

  /** `adm -Z` (ip_vs_zero_estimator): the service's rates to 0, growth counted from its totals now. */
  zeroService(svc: RuntimeService, counters: TrafficCounters, others?: WorkerSums): void {
    this.services.get(svc.id)?.estimator.zero(plusTraffic(counters.total(svc.id), others?.service(svc)));
  }

  zeroDest(table: ServiceTable, dest: RuntimeDest, counters: TrafficCounters, others?: WorkerSums): void {
    this.dests.get(dest.id)?.estimator.zero(plusTraffic(counters.total(dest.id), others?.dest(table, dest)));
  }

  /** Estimators take the monotonic totals, so `adm -Z` (a moved zero point) is no drop for them. */
  private feed(map: Map<number, Tracked>, id: number, identity: readonly number[], r: TrafficReading): void {
    const tracked = map.get(id);
    if (tracked !== undefined && sameIdentity(tracked.identity, identity)) {
      tracked.estimator.update(r);
      return;
    }
    map.set(id, { identity, estimator: new RateEstimator(this.clock, r) });
  }
}

function serviceIdentity(svc: RuntimeService): number[] {
  return [svc.proto, svc.vip, svc.vport, ...(svc.vip6 ?? [])];
}

function sameIdentity(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function forgetAbsent(map: Map<number, Tracked>, seen: ReadonlySet<number>): void {
  for (const id of map.keys()) if (!seen.has(id)) map.delete(id);
}
