// Health dampening, the one shared unit every checker's results go through: a state flips only
// after `fall` failures (keepalived: retry + 1) or `rise` successes in a row, with the retry
// spacing of keepalived (delay_before_retry while a flip is pending, delay_loop otherwise).
// Like glb-director's HealthResultDampener, and unlike keepalived, no checker counts for itself.

import type { Clock } from '../sched/types.js';

export interface DampenerConfig {
  /** Failures in a row before Up -> Down (keepalived retry + 1), >= 1. */
  fall: number;
  /** Successes in a row before Down -> Up (keepalived: 1), >= 1. */
  rise: number;
  /** ms between checks when nothing is pending (delay_loop). */
  intervalMs: number;
  /** ms before the next check while a flip is pending (delay_before_retry). */
  retryMs: number;
  /** Start Down (keepalived alpha) instead of Up. */
  startDown?: boolean;
}

export interface DampenerVerdict {
  up: boolean;
  /** True when this result flipped the state. */
  changed: boolean;
  /** When to run the next check, ms from now. */
  nextInMs: number;
}

export interface DampenerSnapshot {
  up: boolean;
  /** Results in a row that disagree with the state (a pending flip), 0 when none. */
  pending: number;
  /** Clock time of the last flip (or of creation). */
  since: number;
  /** Results seen so far. */
  results: number;
}

export interface Dampener {
  observe(ok: boolean): DampenerVerdict;
  /** When the next check is due without a new result (one that could not run): as observe() would say. */
  nextInMs(): number;
  snapshot(): DampenerSnapshot;
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`dampener ${name} must be an integer >= 1, got ${n}`);
}

export function createDampener(cfg: DampenerConfig, clock: Clock): Dampener {
  checkCount('fall', cfg.fall);
  checkCount('rise', cfg.rise);
  if (!(cfg.intervalMs > 0) || !(cfg.retryMs >= 0)) {
    throw new Error(`dampener interval must be > 0 and retry >= 0 ms, got ${cfg.intervalMs} and ${cfg.retryMs}`);
  }
  let up = cfg.startDown !== true;
  let pending = 0;
  let since = clock.now();
  let results = 0;
  return {
    observe(ok) {
      results++;
      if (ok === up) {
        pending = 0;
        return { up, changed: false, nextInMs: cfg.intervalMs };
      }
      pending++;
      // keepalived: before any result the first one decides ("one failure is enough initially").
      const needed = results === 1 ? 1 : up ? cfg.fall : cfg.rise;
      if (pending < needed) return { up, changed: false, nextInMs: cfg.retryMs };
      up = ok;
      pending = 0;
      since = clock.now();
      return { up, changed: true, nextInMs: cfg.intervalMs };
    },
    nextInMs: () => (pending > 0 ? cfg.retryMs : cfg.intervalMs),
    snapshot: () => ({ up, pending, since, results }),
  };
}
