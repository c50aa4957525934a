// The IPVS rate estimator (ip_vs_est.c): every 2 seconds it turns the growth of a service's or
// real server's counters into per-second rates, smoothed by an EWMA of weight 1/4, in the
// kernel's fixed point and rounding. Pure: the caller feeds counter readings, a Clock tells time.
//
// Kernel arithmetic, per 2 s sample: conns and packets keep rate x 1024 (delta << 9), bytes keep
// rate x 32 (delta << 4); avg += (sample - avg) >> 2 with an arithmetic shift; a reader gets
// (avg + 511) >> 10 and (avg + 15) >> 5. Exact here in doubles while values stay below 2^53.

import type { Clock } from '../sched/types.js';

export interface CounterReading {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

export interface RateReading {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** How often IPVS samples (its estimation timer, 2 * HZ). */
export const ESTIMATOR_INTERVAL_MS = 2000;

/**
 * Intervals caught up at most after a stall: after 32 steps of weight 1/4 the old average keeps
 * (3/4)^32 < 0.01% of its weight, so more steps would change nothing but the cost.
 */
const MAX_CATCH_UP = 32;

const FIELDS = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const;
/** Per-sample scale of a 2 s delta: << 9 for conns and packets, << 4 for bytes. */
const SAMPLE_SCALE = [512, 512, 512, 16, 16];
/** What read() divides by (>> 10, >> 5) and adds first to round. */
const READ_SHIFT = [1024, 1024, 1024, 32, 32];
const READ_ROUND = [511, 511, 511, 15, 15];

export class RateEstimator {
  private readonly last = new Float64Array(FIELDS.length);
  private readonly avg = new Float64Array(FIELDS.length);
  private due: number;

  constructor(private readonly clock: Clock, reading: CounterReading) {
    this.due = clock.now() + ESTIMATOR_INTERVAL_MS;
    this.remember(reading);
  }

  /**
   * Takes the samples that fell due, on a fixed 2 s grid from construction. On time, exactly one
   * kernel step. After a stall of k intervals the growth is spread evenly over k steps (at most
   * MAX_CATCH_UP), so a late timer neither inflates the rate nor leaves it stale. A counter that
   * went backwards counts as no growth from its new value.
   */
  update(reading: CounterReading): void {
    const now = this.clock.now();
    if (now < this.due) return;
    const intervals = Math.floor((now - this.due) / ESTIMATOR_INTERVAL_MS) + 1;
    this.due += intervals * ESTIMATOR_INTERVAL_MS;
    const steps = Math.min(intervals, MAX_CATCH_UP);
    FIELDS.forEach((field, i) => {
      const delta = Math.max(0, reading[field] - this.last[i]!);
      const sample = Math.floor((delta * SAMPLE_SCALE[i]!) / intervals);
      let avg = this.avg[i]!;
      for (let s = 0; s < steps; s++) avg += Math.floor((sample - avg) / 4);
      this.avg[i] = avg;
    });
    this.remember(reading);
  }

  /** Per-second rates, rounded as ip_vs_read_estimator. */
  read(): RateReading {
    const r = FIELDS.map((_, i) => Math.floor((this.avg[i]! + READ_ROUND[i]!) / READ_SHIFT[i]!));
    return { cps: r[0]!, inPps: r[1]!, outPps: r[2]!, inBps: r[3]!, outBps: r[4]! };
  }

  /** `adm -Z` (ip_vs_zero_estimator): rates to 0, growth counted from this reading on. */
  zero(reading: CounterReading): void {
    this.avg.fill(0);
    this.remember(reading);
  }

  private remember(reading: CounterReading): void {
    FIELDS.forEach((field, i) => {
      this.last[i] = reading[field];
    });
  }
}
