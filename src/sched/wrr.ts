// Weighted round robin (ip_vs_wrr.c): passes over the list with a current weight stepping down
// from the maximum by the gcd; a dest is taken when its weight reaches the current weight.
import type { Dest, Scheduler, SchedService } from './types.js';
import { DestFlags } from './types.js';
import { gcd } from './util.js';

interface WrrState {
  /** Index of the current dest; -1 is the list head. */
  cl: number;
  /** Current weight. */
  cw: number;
  /** Maximum weight minus (di - 1), so the last pass runs at cw = 1. */
  mw: number;
  /** Decreasing interval: gcd of the positive weights (1 when none). */
  di: number;
}

function gcdWeight(service: SchedService): number {
  let g = 0;
  for (const d of service.dests) if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
  return g > 0 ? g : 1;
}

function maxWeight(service: SchedService): number {
  let m = 0;
  for (const d of service.dests) if (d.weight > m) m = d.weight;
  return m;
}

export const wrr: Scheduler<WrrState> = {
  name: 'wrr',
  init(service) {
    const di = gcdWeight(service);
    const mw = maxWeight(service) - (di - 1);
    return { cl: -1, cw: mw, mw, di };
  },
  /** As ip_vs_wrr_dest_changed: back to the head; cw kept, clamped and realigned to di. */
  update(state, service) {
    state.cl = -1;
    state.di = gcdWeight(service);
    state.mw = maxWeight(service) - (state.di - 1);
    if (state.cw > state.mw || state.cw === 0) state.cw = state.mw;
    else if (state.di > 1) state.cw = Math.trunc(state.cw / state.di) * state.di + 1;
    return state;
  },
  schedule(state, service): Dest | null {
    const dests = service.dests;
    const n = dests.length;
    if (state.mw <= 0 || n === 0) return null;
    let i = state.cl >= n ? -1 : state.cl;
    const last = i;
    let stop = -2; // -2: no stop dest yet
    let lastPass = false;
    let restarted = false;
    for (;;) {
      for (i = i + 1; i < n; i++) {
        const d = dests[i]!;
        if ((d.flags & DestFlags.OVERLOAD) === 0 && d.weight >= state.cw) {
          state.cl = i;
          return d;
        }
        if (i === stop) {
          state.cl = i;
          return null;
        }
      }
      i = -1; // walked off the end: back at the head
      state.cw -= state.di;
      if (state.cw <= 0) {
        state.cw = state.mw;
        // A full pass at cw = 1 already happened (or started from the head): nothing fits.
        if (lastPass || last === -1) {
          state.cl = -1;
          return null;
        }
        restarted = true;
      }
      lastPass = state.cw <= state.di;
      if (lastPass && restarted && last !== -1) stop = last;
    }
  },
};
