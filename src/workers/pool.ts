// The main thread's side of the workers: starts workers 1..N-1 one after another (fanout members
// are numbered in join order, and the steering program's result names a member by that number),
// hands them every table the main thread installs, the weights and flags the weight governor
// sets and the VRRP gates, and keeps each one's last counters for stats().

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DataPlane } from '../datapath/data-plane.js';
import type { DirectorStats } from '../director-stats.js';
import type { Logger } from '../log/logger.js';
import { destIdentity } from './identity.js';
import type { DestWeight, FromWorker, ToWorker, WorkerInit } from './protocol.js';

/** A worker that has not reported for this long is reported as an error in the log. */
const START_TIMEOUT_MS = 20_000;

interface Member {
  worker: Worker;
  last: DirectorStats | null;
  at: number;
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
    const member: Member = { worker, last: null, at: 0 };
    this.members.push(member);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${init.index} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'stats' || m.type === 'stopped') {
          member.last = m.stats;
          member.at = performance.now();
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
    return this.members.flatMap((m) => (m.last ? [{ stats: m.last, age: Math.round((now - m.at) / 1000) }] : []));
  }

  /** Stops every worker (their planes close; their last counters stay for stats()). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.members.map((m) => new Promise<void>((resolve) => {
      const done = setTimeout(() => void m.worker.terminate().then(() => resolve()), 5000);
      m.worker.once('exit', () => {
        clearTimeout(done);
        resolve();
      });
      m.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    })));
  }

  private broadcast(message: ToWorker): void {
    if (this.stopped) return;
    for (const m of this.members) m.worker.postMessage(message);
  }
}
