// Slow start for every scheduler: a new or recovered server's effective weight climbs from a
// small share of its target to the full target over `slowstart` seconds, in a bounded number
// of integer steps, so each step costs one scheduler update and the share rises smoothly.
//
// Use: const ss = createSlowStart({ rampMs });  ss.begin(dest, targetWeight, now) when a server
// comes Up (or is added); every tick: if (ss.tick(now)) scheduler.update(...). setTarget() when
// the configured or load-feedback weight changes mid-ramp; cancel() when it goes Down again.
// Resolution is that of integer weights: use weights of 10 or more (e.g. 100) for a fine ramp.
// Ramps are keyed by the real server's stable id, so the view a rebuilt table gives of the same
// server continues its ramp.
import type { Dest } from './types.js';

export interface SlowStartConfig {
  /** Ramp length in ms; 0 turns slow start off (begin() then sets the full weight at once). */
  rampMs: number;
  /** Weight changes over the ramp (default: one per second, between 4 and 32). */
  steps?: number;
}

interface Ramp {
  dest: Dest;
  target: number;
  since: number;
  step: number;
}

export interface SlowStart {
  begin(dest: Dest, target: number, now: number): void;
  setTarget(dest: Dest, target: number): void;
  cancel(dest: Dest): void;
  /** Applies due steps; true when any dest's weight changed (call scheduler.update). */
  tick(now: number): boolean;
  isRamping(dest: Dest): boolean;
}

export function stepCount(cfg: SlowStartConfig): number {
  if (cfg.steps !== undefined) {
    if (!Number.isInteger(cfg.steps) || cfg.steps < 1) throw new Error(`slow start steps must be an integer >= 1, got ${cfg.steps}`);
    return cfg.steps;
  }
  return Math.min(32, Math.max(4, Math.round(cfg.rampMs / 1000)));
}

/**
 * Weight at step k of n (k = 0 right at begin): target * (k + 1) / (n + 1), at least 1 while
 * the target is positive; the full target once the ramp is over (k >= n).
 */
export function rampWeight(target: number, k: number, n: number): number {
  if (target <= 0) return 0;
  if (k >= n) return target;
  return Math.max(1, Math.round((target * (k + 1)) / (n + 1)));
}

export function createSlowStart(cfg: SlowStartConfig): SlowStart {
  if (!(cfg.rampMs >= 0)) throw new Error(`slow start ramp must be >= 0 ms, got ${cfg.rampMs}`);
  const n = cfg.rampMs > 0 ? stepCount(cfg) : 0;
  const ramps = new Map<number, Ramp>();
  const stepAt = (r: Ramp, k: number): number => r.since + (cfg.rampMs * k) / n;

  function apply(r: Ramp): boolean {
    const w = rampWeight(r.target, r.step, n);
    if (r.dest.weight === w) return false;
    r.dest.weight = w;
    return true;
  }

  return {
    begin(dest, target, now) {
      if (n === 0) {
        dest.weight = target;
        return;
      }
      const r: Ramp = { dest, target, since: now, step: 0 };
      ramps.set(dest.id, r);
      apply(r);
    },
    setTarget(dest, target) {
      const r = ramps.get(dest.id);
      if (r === undefined) dest.weight = target;
      else {
        r.dest = dest;
        r.target = target;
        apply(r);
      }
    },
    cancel(dest) {
      ramps.delete(dest.id);
    },
    tick(now) {
      let changed = false;
      for (const r of ramps.values()) {
        let k = r.step;
        while (k < n && now >= stepAt(r, k + 1)) k++;
        if (k === r.step) continue;
        r.step = k;
        changed = apply(r) || changed;
        if (k >= n) ramps.delete(r.dest.id);
      }
      return changed;
    },
    isRamping: (dest) => ramps.has(dest.id),
  };
}
