// The main thread's side of the workers: starts workers 1..N-1 one after another (fanout members
// are numbered in join order, and the steering program's result names a member by that number),
// hands them every table the main thread installs, the weights and flags the weight governor
// sets and the VRRP gates, and keeps each one's last counters for stats(), metrics and rates.
// It also asks them for their connections (adm -L -c), gives them their share of a state file
// and collects their tables on stop, and carries connection sync between them and the socket.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DataPlane } from '../datapath/data-plane.js';
import type { AdmConnection } from '../adm/model.js';
import type { DirectorStats } from '../director-stats.js';
import type { Logger } from '../log/logger.js';
import type { PageLimits } from '../stats/connections.js';
import type { SyncConn } from '../sync/ipvs-sync-codec.js';
import type { SyncSysctls } from '../sync/ipvs-sync-policy.js';
import type { SyncWorkers } from '../sync/sync-routing.js';
import type { WorkerSyncReport, WorkerSyncSetup } from '../sync/worker-sync.js';
import { destIdentity } from './identity.js';
import { MAX_WORKERS } from './limits.js';
import type { AdoptResult, DestWeight, FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { WorkerSums, type WorkerTotals } from './worker-totals.js';

/** A worker that has not reported for this long is reported as an error in the log. */
const START_TIMEOUT_MS = 20_000;
/** How long a stopping worker may take before it is terminated; with its table to send, longer. */
const STOP_MS = 5000;
const STOP_DUMP_MS = 30_000;

interface Member {
  worker: Worker;
  last: { stats: DirectorStats; totals: WorkerTotals; sync?: WorkerSyncReport | undefined } | null;
  at: number;
  /** Its table, sent with 'stopped' when the stop asked for it. */
  state: SyncConn[] | null;
  /** Answers awaited from it (connection pages, adoptions), by request id. */
  waiting: Map<number, (m: FromWorker) => void>;
  exited: boolean;
}

/** The worker script: the compiled .js, or the .ts source through tsx under tests. */
function workerScript(): { file: string; eval: boolean } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `worker-thread${ext}`);
  if (ext !== '.ts') return { file, eval: false };
  const tsx = pathToFileURL(require.resolve('tsx/cjs')).href;
  return { file: `require(${JSON.stringify(new URL(tsx).pathname)}); require(${JSON.stringify(file)});`, eval: true };
}

export class WorkerPool {
  private readonly members: Member[] = [];
  private pending = false;
  private stopped = false;
  private nextRequest = 1;
  /** Sends the sync messages workers post (set by syncWorkers). */
  private sendSync: (message: Buffer) => void = () => {};
  /** Per worker index: sync messages posted and not sent yet (the workers' outbox bound). */
  private readonly syncInFlight = new SharedArrayBuffer(4 * MAX_WORKERS);
  private readonly syncCounts = new Int32Array(this.syncInFlight);

  private constructor(private readonly plane: DataPlane, private readonly log: Logger) {}

  /**
   * Starts workers 1..count-1 beside the main thread's plane (worker 0), each ready (its socket
   * in the group) before the next starts. Rejects, with those started stopped, if one fails.
   */
  static async start(plane: DataPlane, base: Omit<WorkerInit, 'index'>, log: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(plane, log);
    try {
      for (let index = 1; index < base.workers; index++) await pool.spawn({ ...base, index });
    } catch (err) {
      await pool.stop();
      throw err;
    }
    plane.table.onDestsChanged = () => pool.syncWeights();
    plane.onInstall((table, routes) => {
      pool.broadcast({ type: 'install', config: table.config, routes: routes ?? null });
      table.onDestsChanged = () => pool.syncWeights();
      pool.syncWeights();
    });
    plane.gate.onChange = (instance, addresses) => pool.broadcast({ type: 'gate', instance, addresses: [...addresses] });
    return pool;
  }

  get size(): number {
    return this.members.length + 1;
  }

  private spawn(init: WorkerInit): Promise<void> {
    const script = workerScript();
    const worker = new Worker(script.file, { eval: script.eval, workerData: init, name: `director-worker-${init.index}` });
    const member: Member = { worker, last: null, at: 0, state: null, waiting: new Map(), exited: false };
    this.members.push(member);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${init.index} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'stats' || m.type === 'stopped') {
          member.last = { stats: m.stats, totals: m.totals, sync: m.sync };
          member.at = performance.now();
          if (m.type === 'stopped') member.state = m.state;
        } else if (m.type === 'connections' || m.type === 'adopted' || m.type === 'sync-dumped') {
          member.waiting.get(m.id)?.(m);
        } else if (m.type === 'sync-out') {
          for (const bytes of m.messages) this.sendSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          Atomics.sub(this.syncCounts, init.index, m.messages.length);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          this.log.error({ event: 'worker', worker: init.index }, m.message);
          reject(new Error(m.message));
        }
      });
      worker.on('error', (err) => {
        clearTimeout(timer);
        this.log.error({ event: 'worker', worker: init.index }, `worker ${init.index} failed: ${err.message}`);
        reject(err);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        member.exited = true;
        // Nobody answers these any more: an empty, final answer each.
        for (const [id, answer] of member.waiting) answer({ type: 'connections', id, rows: [], done: true });
        if (!this.stopped) this.log.error({ event: 'worker', worker: init.index }, `worker ${init.index} exited (code ${code})`);
        reject(new Error(`worker ${init.index} exited (code ${code})`));
      });
    });
  }

  /**
   * Hands the weights, flags and timeouts of the main thread's table to the workers: once per
   * tick, and soon (coalesced to one message) after the governor changed something.
   */
  syncWeights(): void {
    if (this.pending || this.stopped || this.members.length === 0) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      const table = this.plane.table;
      const dests: DestWeight[] = [];
      for (const svc of table.services) for (const d of svc.sched.dests) dests.push([destIdentity(svc, d), d.weight, d.flags]);
      const t = this.plane.timeouts;
      this.broadcast({ type: 'weights', dests, timeouts: { tcp: t.tcp, tcpFin: t.tcpFin, udp: t.udp } });
    });
  }

  /** adm -Z: the workers zero these services' counters (identities), or all with null. */
  zero(services: string[] | null): void {
    this.broadcast({ type: 'zero', services });
  }

  /** Each other worker's last counters and their age in seconds (workers that never reported are left out). */
  reports(): Array<{ stats: DirectorStats; age: number }> {
    const now = performance.now();
    return this.members.flatMap((m) => (m.last ? [{ stats: m.last.stats, age: Math.round((now - m.at) / 1000) }] : []));
  }

  /** Workers 1..N-1's last monotonic totals and counters, summed (metrics and rate estimators add them). */
  sums(): WorkerSums {
    return new WorkerSums(this.members.flatMap((m) => (m.last ? [m.last] : [])));
  }

  /**
   * adm -L -c: each other worker's connections, a page per request, so a listing holds at most
   * a page of each in memory and a worker walks its table between its own batches.
   */
  async *connections(limits: PageLimits): AsyncGenerator<AdmConnection[]> {
    for (const m of this.members) {
      const id = this.nextRequest++;
      try {
        for (;;) {
          const page = await this.ask(m, id, { type: 'connections', id, limits });
          if (page.type !== 'connections') break;
          if (page.rows.length > 0) yield page.rows;
          if (page.done) break;
        }
      } finally {
        if (!m.exited && !this.stopped) m.worker.postMessage({ type: 'connections-end', id } satisfies ToWorker);
      }
    }
  }

  /** Hands worker i (1..N-1) the entries shares[i]; resolves with what each made of them. */
  adopt(shares: ReadonlyArray<Array<[SyncConn, number]>>): Promise<AdoptResult[]> {
    return Promise.all(this.members.map(async (m, i) => {
      const entries = shares[i + 1] ?? [];
      if (entries.length === 0) return { conns: 0, templates: 0, drops: {} };
      const id = this.nextRequest++;
      const answer = await this.ask(m, id, { type: 'adopt', id, entries });
      return answer.type === 'adopted' ? answer.result : { conns: 0, templates: 0, drops: { 'no-service': entries.length } };
    }));
  }

  /**
   * Connection sync over the workers: each gets its role with the daemon's parameters, the
   * entries routed to it, dump requests; the messages they encode go to send.
   */
  syncWorkers(params: { syncId: number; maxLen: number; sysctls: SyncSysctls }): SyncWorkers {
    const setup: WorkerSyncSetup = { ...params, inFlight: this.syncInFlight };
    return {
      size: this.size,
      setRole: (role) => this.broadcast({ type: 'sync-role', role, setup }),
      adopt: (shares, mode) => this.members.forEach((m, i) => {
        const entries = shares[i + 1];
        if (entries !== undefined && entries.length > 0 && !m.exited && !this.stopped) m.worker.postMessage({ type: 'sync-adopt', mode, entries } satisfies ToWorker);
      }),
      dump: async (own) => (await Promise.all(this.members.map(async (m) => {
        const id = this.nextRequest++;
        const answer = await this.ask(m, id, { type: 'sync-dump', id, own });
        return answer.type === 'sync-dumped' ? answer.entries : [];
      }))).flat(),
      flush: () => this.broadcast({ type: 'sync-flush' }),
      reports: () => this.members.flatMap((m, i) => (m.last?.sync ? [{ index: i + 1, sync: m.last.sync }] : [])),
      onMessages: (send) => { this.sendSync = send; },
    };
  }

  /**
   * Stops every worker (their planes close; their last counters stay for stats()). With dump,
   * resolves with their tables' entries (connections and templates with the seconds they have left).
   */
  async stop(dump = false): Promise<SyncConn[]> {
    if (this.stopped) return [];
    this.stopped = true;
    // A table of a million entries takes seconds to walk and to copy across on a busy machine.
    const grace = dump ? STOP_DUMP_MS : STOP_MS;
    await Promise.all(this.members.map((m) => new Promise<void>((resolve) => {
      const done = setTimeout(() => void m.worker.terminate().then(() => resolve()), grace);
      m.worker.once('exit', () => {
        clearTimeout(done);
        resolve();
      });
      m.worker.postMessage({ type: 'stop', dump } satisfies ToWorker);
    })));
    if (dump) {
      this.members.forEach((m, i) => {
        if (m.state === null) this.log.warn({ event: 'state', worker: i + 1 }, `state: worker ${i + 1} did not hand over its table; its connections are not in the state file`);
      });
    }
    return this.members.flatMap((m) => m.state ?? []);
  }

  /** One request to one worker and its answer (an empty final page if the worker is gone). */
  private ask(m: Member, id: number, message: ToWorker): Promise<FromWorker> {
    if (m.exited) return Promise.resolve({ type: 'connections', id, rows: [], done: true });
    return new Promise((resolve) => {
      m.waiting.set(id, (answer) => {
        m.waiting.delete(id);
        resolve(answer);
      });
      m.worker.postMessage(message);
    });
  }

  private broadcast(message: ToWorker): void {
    if (this.stopped) return;
    for (const m of this.members) m.worker.postMessage(message);
  }
}
