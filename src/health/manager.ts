// The health manager: runs every real server's checkers on their own schedule (delay_loop,
// delay_before_retry while a flip is pending, a random warmup before the first), passes each
// result through the shared dampener, and tells the weight governor when a real server's health
// changes (Up only while all its checkers are up) or it reports load. A check that could not
// run changes nothing. Logs like keepalived.

import type { HealthCheckConfig } from '../config/model.js';
import { describeDest, type WeightGovernor } from '../control/governor.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import type { Clock } from '../sched/types.js';
import { createDampener, type Dampener } from './dampener.js';
import { specOf, type CheckExecutor, type CheckOutcome, type CheckSpec } from './types.js';

/** How often due checks are looked for; delays are honoured to this resolution. */
const POLL_MS = 100;

const KIND_LABEL: Record<HealthCheckConfig['kind'], string> = {
  tcp: 'TCP', http: 'HTTP', ssl: 'SSL', dns: 'DNS', udp: 'UDP', ping: 'ICMP', smtp: 'SMTP', file: 'FILE', bfd: 'BFD', misc: 'MISC', agent: 'AGENT',
};

export interface HealthManagerOptions {
  /** The running table: the checkers of its real servers are run. */
  table: ServiceTable;
  /** Told of every health change and load report. */
  governor: WeightGovernor;
  executor: CheckExecutor;
  clock: Clock;
  log?: (line: string) => void;
  /** For the warmup delay; tests inject a fixed one. */
  random?: () => number;
}

export interface CheckSlot {
  readonly dest: RuntimeDest;
  readonly svc: RuntimeService;
  readonly config: HealthCheckConfig;
  readonly spec: CheckSpec;
  readonly dampener: Dampener;
  nextAt: number;
  running: boolean;
  /** The last outcome (ok null: it could not run), or null before the first. */
  last: CheckOutcome | null;
}

export class HealthManager {
  private readonly slots: CheckSlot[] = [];
  private readonly byDest = new Map<number, CheckSlot[]>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly governor: WeightGovernor;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: HealthManagerOptions) {
    this.log = opts.log ?? (() => {});
    this.governor = opts.governor;
    const now = opts.clock.now();
    const random = opts.random ?? Math.random;
    for (const svc of opts.table.services) {
      for (const dest of svc.sched.dests) {
        const rs = dest.config;
        const alpha = rs.alpha === true;
        const slots = (rs.checks ?? []).map((config) => this.slot(dest, svc, config, alpha, now + random() * config.timing.warmup * 1000));
        if (slots.length === 0) continue;
        this.slots.push(...slots);
        this.byDest.set(dest.id, slots);
        if (alpha) this.governor.setHealth(dest.id, false, 'alpha: waiting for a successful check');
      }
    }
  }

  get checkCount(): number {
    return this.slots.length;
  }

  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.opts.executor.close();
    await this.settled();
  }

  /** Starts every check that is due (the timer calls it; tests with a fake clock too). */
  poll(): void {
    if (this.stopped) return;
    const now = this.opts.clock.now();
    for (const slot of this.slots) {
      if (!slot.running && now >= slot.nextAt) this.launch(slot);
    }
  }

  /** Resolves when the checks running now have been handled (tests). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
  }

  /** The slots of one real server (stats). */
  checksOf(destId: number): readonly CheckSlot[] {
    return this.byDest.get(destId) ?? [];
  }

  private slot(dest: RuntimeDest, svc: RuntimeService, config: HealthCheckConfig, alpha: boolean, nextAt: number): CheckSlot {
    const t = config.timing;
    const dampener = createDampener({
      fall: t.retry + 1, rise: t.rise, intervalMs: t.delayLoop * 1000, retryMs: t.delayBeforeRetry * 1000, startDown: alpha,
    }, this.opts.clock);
    return { dest, svc, config, spec: specOf(config), dampener, nextAt, running: false, last: null };
  }

  private launch(slot: CheckSlot): void {
    slot.running = true;
    const p = this.opts.executor.run(slot.spec).then((r) => this.onResult(slot, r), (err: Error) => {
      this.onResult(slot, { ok: null, detail: `executor: ${err.message}`, latencyMs: 0 });
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private onResult(slot: CheckSlot, r: CheckOutcome): void {
    slot.running = false;
    if (this.stopped) return;
    const before = slot.last;
    slot.last = r;
    if (r.ok === null) {
      slot.nextAt = this.opts.clock.now() + slot.dampener.nextInMs();
      if (before?.ok !== null) this.log(`${this.label(slot)} could not run (${r.detail}); health unchanged`);
      return;
    }
    const verdict = slot.dampener.observe(r.ok);
    slot.nextAt = this.opts.clock.now() + verdict.nextInMs;
    if (r.ok && r.load !== undefined) this.governor.report(slot.dest.id, r.load);
    if (!verdict.changed) return;
    if (verdict.up) this.log(`${this.label(slot)} succeeded. (${r.detail})`);
    else this.log(`${this.label(slot)} failed. (${r.detail}; ${slot.config.timing.retry} retries)`);
    const up = this.checksOf(slot.dest.id).every((s) => s.dampener.snapshot().up);
    this.governor.setHealth(slot.dest.id, up);
  }

  private label(slot: CheckSlot): string {
    return `${KIND_LABEL[slot.config.kind]} check on service ${describeDest(slot.dest)}`;
  }
}
