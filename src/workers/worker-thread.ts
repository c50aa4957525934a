// A worker thread's whole life: its own engine with one fanout member port, its own data plane
// (connection table, ARP cache, scheduler state) over a replica of the service table built
// from the config the main thread runs, following the main thread's changes (installs,
// weights, VRRP gates) and reporting its counters once a second; it also lists its connections
// for `adm -L -c`, takes its share of a state file on start and hands its table back on stop;
// with connection sync, sends its table's changes through the main thread and applies its share.

import { parentPort, workerData } from 'node:worker_threads';
import { DataPlane } from '../datapath/data-plane.js';
import { ServiceTable } from '../datapath/service-table.js';
import { collectStats } from '../director-stats.js';
import { connectionPages } from '../stats/connections.js';
import { dumpTable, tableAdopter } from '../sync/conn-sync.js';
import { adoptEntries } from '../sync/state-file.js';
import { WorkerSync } from '../sync/worker-sync.js';
import { loadAddon } from '../native/binding.js';
import { vrrpAddresses } from '../vrrp/vrrp-runtime.js';
import type { NativeEngine } from '../native/types.js';
import type { Clock } from '../sched/types.js';
import { destIdentity, serviceIdentity } from './identity.js';
import type { AdmConnection } from '../adm/model.js';
import type { DestWeight, FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { collectTotals } from './worker-totals.js';

const TICK_MS = 1000;

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

function openPlane(init: WorkerInit, clock: Clock): DataPlane {
  const table = ServiceTable.build(init.config, clock, undefined, { workers: init.workers, index: init.index });
  const engine: NativeEngine = new (loadAddon().Engine)();
  try {
    const a = init.attach;
    const port = engine.addPacketPort(a.interface, {
      fanoutGroup: a.fanoutGroup, ...(a.netns ? { netns: `/run/netns/${a.netns}` } : {}), ...(a.rxRing ? { ring: a.rxRing } : {}),
    });
    const plane = new DataPlane({
      engine, port, table, routes: init.routes, clock, timeouts: init.timeouts, vrrpAddresses: vrrpAddresses(init.config),
      flood: init.flood, limits: init.limits, sloppyTcp: init.sloppyTcp, fanout: true,
      ...(init.localIp !== undefined ? { localIp: init.localIp } : {}),
      ...(init.connCapacity !== undefined ? { connCapacity: init.connCapacity } : {}),
    });
    for (const [instance, addresses] of init.masters) plane.gate.setMaster(instance, addresses);
    return plane;
  } catch (err) {
    engine.close();
    throw err;
  }
}


/** Applies the main thread's weights and flags by identity; a real server this worker lacks is skipped. */
function applyWeights(plane: DataPlane, dests: DestWeight[]): void {
  const wanted = new Map(dests.map(([key, weight, flags]) => [key, { weight, flags }]));
  for (const svc of plane.table.services) {
    let changed = false;
    for (const dest of svc.sched.dests) {
      const w = wanted.get(destIdentity(svc, dest));
      if (w === undefined || (w.weight === dest.weight && w.flags === dest.flags)) continue;
      dest.weight = w.weight;
      dest.flags = w.flags;
      changed = true;
    }
    if (changed) plane.table.destsChanged(svc);
  }
}

/** adm -Z on this worker's counters (its rates are not kept: the main thread estimates those). */
function zero(plane: DataPlane, services: string[] | null): void {
  const { serviceCounters, destCounters } = plane.table.registry;
  const wanted = services === null ? null : new Set(services);
  for (const svc of plane.table.services) {
    if (wanted !== null && !wanted.has(serviceIdentity(svc))) continue;
    serviceCounters.zero(svc.id);
    for (const d of svc.sched.dests) destCounters.zero(d.id);
  }
}

/** adm -L -c listings in progress, by the main thread's request id: one page per request. */
class Listings {
  private readonly open = new Map<number, Iterator<AdmConnection[]>>();

  constructor(private readonly plane: DataPlane) {}

  next(id: number, limits: { rows: number; scan: number }): FromWorker {
    let pages = this.open.get(id);
    if (pages === undefined) {
      pages = connectionPages(this.plane, limits);
      this.open.set(id, pages);
    }
    const r = pages.next();
    if (r.done === true) this.open.delete(id);
    return { type: 'connections', id, rows: r.done === true ? [] : r.value, done: r.done === true };
  }

  end(id: number): void {
    this.open.get(id)?.return?.(undefined);
    this.open.delete(id);
  }
}

/** Connection sync's messages; the worker's sync side starts with its first role. */
function syncMessage(m: ToWorker, plane: DataPlane, clock: Clock, index: number, sync: { side: WorkerSync | null }): void {
  if (m.type === 'sync-role') {
    sync.side ??= new WorkerSync(plane, clock, m.setup, index, (messages) => post({ type: 'sync-out', messages }));
    sync.side.setRole(m.role);
  } else if (m.type === 'sync-adopt') sync.side?.adopt(m.entries, m.mode);
  else if (m.type === 'sync-dump') post({ type: 'sync-dumped', id: m.id, entries: sync.side?.dump(m.own) ?? [] });
  else if (m.type === 'sync-flush') sync.side?.flush();
}

function run(init: WorkerInit): void {
  const clock: Clock = { now: () => performance.now() };
  const plane = openPlane(init, clock);
  const listings = new Listings(plane);
  const sync: { side: WorkerSync | null } = { side: null };
  const syncReport = (): { sync?: ReturnType<WorkerSync['report']> } => (sync.side ? { sync: sync.side.report() } : {});
  const report = (): void => post({ type: 'stats', stats: collectStats(plane, clock.now()), totals: collectTotals(plane), ...syncReport() });
  const timer = setInterval(() => {
    plane.tick();
    report();
  }, TICK_MS);
  parentPort!.on('message', (m: ToWorker) => {
    try {
      if (m.type === 'install') plane.install(ServiceTable.build(m.config, clock, plane.table), m.routes ?? undefined);
      else if (m.type === 'weights') {
        applyWeights(plane, m.dests);
        plane.timeouts.apply(m.timeouts);
      } else if (m.type === 'gate') plane.gate.setMaster(m.instance, m.addresses);
      else if (m.type === 'zero') zero(plane, m.services);
      else if (m.type === 'connections') post(listings.next(m.id, m.limits));
      else if (m.type === 'connections-end') listings.end(m.id);
      else if (m.type === 'adopt') post({ type: 'adopted', id: m.id, result: adoptEntries(tableAdopter(plane), m.entries) });
      else if (m.type.startsWith('sync-')) syncMessage(m, plane, clock, init.index, sync);
      else if (m.type === 'stop') {
        clearInterval(timer);
        plane.close();
        // What the sender has pending goes out before 'stopped' (the main thread's socket is still open).
        sync.side?.close();
        // The engine has stopped: the table no longer changes under the dump.
        const state = m.dump ? dumpTable(plane, clock) : null;
        post({ type: 'stopped', stats: collectStats(plane, clock.now()), totals: collectTotals(plane), state, ...syncReport() });
        parentPort!.close();
      }
    } catch (err) {
      post({ type: 'error', message: `worker ${init.index}: ${m.type}: ${(err as Error).message}` });
      if (m.type === 'connections') post({ type: 'connections', id: m.id, rows: [], done: true });
      if (m.type === 'adopt') post({ type: 'adopted', id: m.id, result: { conns: 0, templates: 0, drops: {} } });
      if (m.type === 'sync-dump') post({ type: 'sync-dumped', id: m.id, entries: [] });
    }
  });
  post({ type: 'ready' });
  report();
}

try {
  run(workerData as WorkerInit);
} catch (err) {
  post({ type: 'error', message: `worker ${(workerData as WorkerInit).index}: ${(err as Error).message}` });
  parentPort!.close();
}
