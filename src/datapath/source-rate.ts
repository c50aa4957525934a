// Per-source new-connection rate limiting (global_defs source_conn_rate): each client address may
// open at most `rate` connections a second, with bursts of `burst`, so one source cannot take
// the flood budget, the table or the real servers from the others. No per-source state is
// allocated: sources share a fixed count-min sketch of GCRA buckets (ROWS rows of `slots`
// theoretical arrival times), each row indexed by the keyed flow hash of the address under its
// own message, so nobody can choose addresses that land in another client's buckets. A source
// is judged by its least loaded bucket, so a collision can only make its estimate too high when
// every row collides with a heavier source at once.

import { flowHash, type FlowHashKey } from '../native/flow-hash.js';

/** Rows of the sketch: a source is wrongly limited only if it collides in every row. */
const ROWS = 2;
/**
 * Protocol byte of the hashed message: no packet has protocol 0 as a flow key (the connection
 * table and fragment cache hash 1, 6, 17), so these hashes are independent of theirs.
 */
const SOURCE_DOMAIN = 0;

export interface SourceRateOptions {
  /** New connections per second per source address; 0 turns the limiter off. */
  rate: number;
  /** Connections a source may open at once above its rate (at least 1). */
  burst: number;
  /** Buckets per row. */
  slots: number;
}

/** What the limiter reports in stats. */
export interface SourceRateStats {
  rate: number;
  burst: number;
  slots: number;
  /** New connections refused because their source was over its rate. */
  limited: number;
}

export class SourceRateLimiter {
  readonly options: SourceRateOptions;
  /** Per bucket, the theoretical arrival time (ms) of the next conforming connection. */
  private readonly tat: Float64Array;
  /** Milliseconds between two conforming connections, and the burst's tolerance. */
  private readonly interval: number;
  private readonly tolerance: number;
  private readonly k0: number;
  private readonly k1: number;
  private limited = 0;

  constructor(options: SourceRateOptions, hashKey: FlowHashKey) {
    const { rate, burst, slots } = options;
    if (!(rate > 0) || !Number.isInteger(burst) || burst < 1 || !Number.isInteger(slots) || slots < 1) {
      throw new RangeError(`source rate limiter: rate > 0, burst >= 1 and slots >= 1 needed, got ${rate}, ${burst}, ${slots}`);
    }
    this.options = { rate, burst, slots };
    this.tat = new Float64Array(ROWS * slots);
    this.interval = 1000 / rate;
    this.tolerance = (burst - 1) * this.interval;
    this.k0 = hashKey[0]! | 0;
    this.k1 = hashKey[1]! | 0;
  }

  /**
   * One new connection from src (an int32 or uint32 address) at nowMs: true if its source is
   * within its rate (the connection is counted), false if it must be refused (counted as limited).
   */
  admit(src: number, nowMs: number): boolean {
    const n = this.options.slots;
    const a = this.slot(src, 0, n);
    const b = n + this.slot(src, 1, n);
    const tat = this.tat;
    // The source's own arrival time is at most its least loaded bucket's (others only add to it).
    const due = Math.max(Math.min(tat[a]!, tat[b]!), nowMs);
    if (due - nowMs > this.tolerance) {
      this.limited++;
      return false;
    }
    // Conservative update: a bucket already ahead of this source stays where it is.
    const next = due + this.interval;
    if (tat[a]! < next) tat[a] = next;
    if (tat[b]! < next) tat[b] = next;
    return true;
  }

  stats(): SourceRateStats {
    return { ...this.options, limited: this.limited };
  }

  private slot(src: number, row: number, n: number): number {
    // Lemire's fastrange, as ConnTable's slots: any n, no division.
    return Math.floor((flowHash(this.k0, this.k1, SOURCE_DOMAIN, src | 0, row, 0, 0) >>> 0) * n * 2.3283064365386963e-10);
  }
}
