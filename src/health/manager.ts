// The health manager: runs every real server's checkers on their own schedule (delay_loop,
// delay_before_retry while a flip is pending, a random warmup before the first), passes each
// result through the shared dampener, and tells the weight governor when a real server's health
// changes (Up only while all its checkers are up) or it reports load, and its notifier when it
// flips. A check that could not run changes nothing. Adopts a rebuilt table, keeping what runs for unchanged (real server,
// checker) pairs. The checkers of an ha_suspend service pause while its VIP is away. Logs like keepalived.

import type { HealthCheckConfig } from '../config/model.js';
import { describeDest, describeService, type WeightGovernor } from '../control/governor.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Clock } from '../sched/types.js';
import { createDampener, type Dampener } from './dampener.js';
import { RealServerNotifier } from './rs-notify.js';
import { checkerText, specOf, type CheckExecutor, type CheckOutcome, type CheckSpec } from './types.js';
import { ipv6FromWords } from '../vrrp/vrrp-packet6.js';
import type { VrrpAddr } from '../vrrp/vrrp-types.js';

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
  log?: Logger;
  /** For the warmup delay; tests inject a fixed one. */
  random?: () => number;
  /** Runs notify_up/notify_down; default: one that logs to `log`. */
  notifier?: RealServerNotifier;
}

export interface CheckSlot {
  /** The real server's identity and the checker's config (line numbers aside). */
  readonly key: string;
  /** Views of the table in force (a rebuild hands in new ones for the same identity). */
  dest: RuntimeDest;
  svc: RuntimeService;
  /**
   * The same real server in the other members of its virtual_server_group: one check serves
   * them all, as keepalived checks a group's real server once (notify scripts run once too).
   */
  others: RuntimeDest[];
  readonly config: HealthCheckConfig;
  readonly spec: CheckSpec;
  readonly dampener: Dampener;
  nextAt: number;
  running: boolean;
  /** The last outcome (ok null: it could not run), or null before the first. */
  last: CheckOutcome | null;
  /** Dropped by a reload: a result still in flight is ignored. */
  retired: boolean;
  /** ha_suspend with the VIP away: no check is started (the state stays as it was). */
  suspended: boolean;
}

export class HealthManager {
  private slots: CheckSlot[] = [];
  private byDest = new Map<number, CheckSlot[]>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly governor: WeightGovernor;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly notifier: RealServerNotifier;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** VIPs whose ha_suspend services' checkers pause (keepalived: the address is not here). */
  /** IPv4 VIPs as host-order numbers, IPv6 ones as bigints (vrrp-packet6.ts). */
  private awayVips: ReadonlySet<VrrpAddr> = new Set();

  constructor(private readonly opts: HealthManagerOptions) {
    this.log = opts.log ?? silentLogger;
    this.governor = opts.governor;
    this.random = opts.random ?? Math.random;
    this.notifier = opts.notifier ?? new RealServerNotifier(this.log);
    this.adopt(opts.table);
  }

  /**
   * Takes over a table (the governor has adopted it already). A (real server, checker) pair
   * found before keeps its slot: dampener, schedule, a check in flight. New pairs start after
   * their warmup, Down first with alpha; pairs that left stop, and a result still in flight for
   * them is ignored. A real server whose checkers changed is Up only while all it has now are
   * (with none left, always Up, as keepalived treats a server without checkers).
   */
  adopt(table: ServiceTable): void {
    const now = this.opts.clock.now();
    const old = new Map(this.slots.map((slot) => [slot.key, slot]));
    const made = new Map<string, CheckSlot>();
    const slots: CheckSlot[] = [];
    const byDest = new Map<number, CheckSlot[]>();
    const changed: Array<{ dest: RuntimeDest; alpha: boolean }> = [];
    for (const svc of table.services) {
      for (const dest of svc.sched.dests) {
        const alpha = dest.config.alpha === true;
        let fresh = 0;
        const mine = slotKeys(dest, svc).map(({ key, config }) => {
          const shared = made.get(key);
          if (shared !== undefined) {
            shared.others.push(dest);
            return shared;
          }
          let slot = old.get(key);
          if (slot === undefined) {
            fresh++;
            slot = this.slot(key, dest, svc, config, alpha, now + this.random() * config.timing.warmup * 1000);
          } else {
            old.delete(key);
            slot.dest = dest;
            slot.svc = svc;
            slot.others = [];
          }
          made.set(key, slot);
          slots.push(slot);
          return slot;
        });
        const before = this.byDest.get(dest.id)?.length;
        if (fresh > 0 || before !== mine.length) changed.push({ dest, alpha: alpha && fresh > 0 });
        if (mine.length === 0) continue;
        byDest.set(dest.id, mine);
      }
    }
    for (const slot of old.values()) slot.retired = true;
    this.slots = slots;
    this.byDest = byDest;
    this.applySuspension();
    for (const { dest, alpha } of changed) {
      const up = this.checksOf(dest.id).every((slot) => slot.dampener.snapshot().up);
      this.governor.setHealth(dest.id, up, up ? 'checkers changed' : alpha ? 'alpha: waiting for a successful check' : 'checkers changed');
    }
  }

  /**
   * ha_suspend: the checkers of services with ha_suspend whose VIP is in vips pause, the others
   * run; each change is logged as keepalived does ("Suspending/Activating healthchecker ...").
   */
  suspendVips(vips: ReadonlySet<VrrpAddr>): void {
    this.awayVips = vips;
    this.applySuspension();
  }

  private applySuspension(): void {
    for (const slot of this.slots) {
      const vip = slot.svc.vip6 !== null ? ipv6FromWords(slot.svc.vip6) : slot.svc.vip;
      const suspended = slot.svc.config.haSuspend === true && this.awayVips.has(vip);
      if (suspended === slot.suspended) continue;
      slot.suspended = suspended;
      this.log.info({ event: 'check', check: slot.config.kind, server: describeDest(slot.dest), suspended },
        `${suspended ? 'Suspending' : 'Activating'} healthchecker for service ${describeDest(slot.dest)} for VS ${describeService(slot.svc)}`);
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
      if (!slot.running && !slot.suspended && now >= slot.nextAt) this.launch(slot);
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

  private slot(key: string, dest: RuntimeDest, svc: RuntimeService, config: HealthCheckConfig, alpha: boolean, nextAt: number): CheckSlot {
    const t = config.timing;
    const dampener = createDampener({
      fall: t.retry + 1, rise: t.rise, intervalMs: t.delayLoop * 1000, retryMs: t.delayBeforeRetry * 1000, startDown: alpha,
    }, this.opts.clock);
    return { key, dest, svc, config, spec: specOf(config), dampener, nextAt, running: false, last: null, retired: false, suspended: false, others: [] };
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
    if (this.stopped || slot.retired) return;
    const before = slot.last;
    slot.last = r;
    if (r.ok === null) {
      slot.nextAt = this.opts.clock.now() + slot.dampener.nextInMs();
      if (before?.ok !== null) {
        this.log.warn(this.fields(slot, 'not run', r.detail), `${this.label(slot)} could not run (${r.detail}); health unchanged`);
      }
      return;
    }
    const verdict = slot.dampener.observe(r.ok);
    slot.nextAt = this.opts.clock.now() + verdict.nextInMs;
    const dests = slot.others.length === 0 ? [slot.dest] : [slot.dest, ...slot.others];
    if (r.ok && r.load !== undefined) for (const d of dests) this.governor.report(d.id, r.load);
    const up = this.checksOf(slot.dest.id).every((s) => s.dampener.snapshot().up);
    if (verdict.changed) {
      if (verdict.up) this.log.info(this.fields(slot, 'up', r.detail), `${this.label(slot)} succeeded. (${r.detail})`);
      else this.log.warn(this.fields(slot, 'down', r.detail), `${this.label(slot)} failed. (${r.detail}; ${slot.config.timing.retry} retries)`);
      for (const d of dests) this.governor.setHealth(d.id, this.checksOf(d.id).every((s) => s.dampener.snapshot().up));
    }
    this.notifier.observe(slot.dest, slot.svc, up);
  }

  private fields(slot: CheckSlot, result: string, detail: string): Record<string, unknown> {
    return { event: 'check', check: slot.config.kind, server: describeDest(slot.dest), result, detail };
  }

  private label(slot: CheckSlot): string {
    return `${KIND_LABEL[slot.config.kind]} check on service ${describeDest(slot.dest)}`;
  }
}

/**
 * A real server's checkers with their keys: its identity and the checker's config without line
 * numbers (an edit elsewhere in the file moves them), numbered when one is given twice. In a
 * virtual_server_group the identity is the group and the server's address: every member's copy
 * of the server has the same key, so they share one check.
 */
function slotKeys(dest: RuntimeDest, svc: RuntimeService): Array<{ key: string; config: HealthCheckConfig }> {
  const seen = new Map<string, number>();
  const group = svc.config.group;
  const who = group === undefined ? String(dest.id) : `group ${group} ${dest.config.address}`;
  return (dest.config.checks ?? []).map((config) => {
    const base = `${who} ${checkerText(config)}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return { key: `${base} #${n}`, config };
  });
}
