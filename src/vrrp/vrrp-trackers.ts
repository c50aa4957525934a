// The tracked interfaces and scripts of one VRRP instance and what they decide, keepalived's way:
// weighted ones move the effective priority (kept in 1..254; the owner's 255 never moves),
// unweighted ones put the instance in FAULT while failed, or hold it in INIT until first heard.

import type { TrackerSpec } from './vrrp-types.js';

type TrackerState = 'unknown' | 'up' | 'down';

export interface TrackerVerdict {
  effectivePriority: number;
  /** An unweighted tracker is failed. */
  fault: boolean;
  /** An unweighted tracker has not reported yet (the instance waits in INIT). */
  pending: boolean;
}

export class TrackerSet {
  private readonly states = new Map<string, TrackerState>();
  private readonly specs = new Map<string, TrackerSpec>();

  constructor(private readonly basePriority: number, trackers: readonly TrackerSpec[]) {
    for (const t of trackers) {
      this.specs.set(t.name, t);
      this.states.set(t.name, 'unknown');
    }
  }

  /** Records a result; false when the tracker is not one of this instance's. */
  set(name: string, up: boolean): boolean {
    if (!this.specs.has(name)) return false;
    this.states.set(name, up ? 'up' : 'down');
    return true;
  }

  verdict(): TrackerVerdict {
    let total = this.basePriority;
    let fault = false;
    let pending = false;
    for (const [name, spec] of this.specs) {
      const state = this.states.get(name) ?? 'unknown';
      if (spec.weight === 0) {
        if (state === 'unknown') pending = true;
        else if ((state === 'up') === spec.reverse) fault = true;
        continue;
      }
      total += contribution(spec, state);
    }
    return { effectivePriority: this.clamp(total), fault, pending };
  }

  private clamp(total: number): number {
    if (this.basePriority === 255) return 255;
    return Math.min(254, Math.max(1, total));
  }
}

/** A positive weight adds while up, a negative one while down; reverse flips the sign. */
function contribution(spec: TrackerSpec, state: TrackerState): number {
  const sign = spec.reverse ? -1 : 1;
  if (state === 'up' && spec.weight > 0) return sign * spec.weight;
  if (state === 'down' && spec.weight < 0) return sign * spec.weight;
  return 0;
}
