// Weighted random twos choice (ip_vs_twos.c): pick two dests at random in proportion to weight,
// keep the one with the lower overhead / weight. O(n), as in IPVS. The random source is a
// seedable xorshift in the state (schedOptions.seed) so tests and simulations are repeatable.
import { DestFlags } from './types.js';
import type { Dest, Scheduler, SchedService } from './types.js';
import { connOverhead } from './util.js';

const OVERLOAD = DestFlags.OVERLOAD;
// Local, not imported: called once per dest in the loop, so it must inline on every loader.
function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & OVERLOAD) === 0;
}

interface TwosState {
  rng: number;
}

/** xorshift32: uniform in [0, bound). */
function nextBelow(state: TwosState, bound: number): number {
  let x = state.rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state.rng = x >>> 0;
  return Math.floor((state.rng / 4294967296) * bound);
}

function seedOf(service: SchedService): number {
  const s = Number(service.schedOptions['seed'] ?? 0x9e3779b9) >>> 0;
  return s === 0 ? 0x9e3779b9 : s;
}

/** The dest where the running weight sum first reaches r (r counted down, as the kernel). */
function pick(dests: readonly Dest[], r: number): Dest | null {
  for (const d of dests) {
    if (!usable(d)) continue;
    r -= d.weight;
    if (r <= 0) return d;
  }
  return null;
}

export const twos: Scheduler<TwosState> = {
  name: 'twos',
  init: (service) => ({ rng: seedOf(service) }),
  update: (state) => state,
  schedule(state, service): Dest | null {
    const dests = service.dests;
    let total = 0;
    let lastUsable: Dest | null = null;
    for (const d of dests) {
      if (usable(d)) {
        total += d.weight;
        lastUsable = d;
      }
    }
    if (lastUsable === null) return null;
    // As the kernel: random in [0, total] inclusive; r = 0 lands on the first usable dest.
    const c1 = pick(dests, nextBelow(state, total + 1)) ?? lastUsable;
    const c2 = pick(dests, nextBelow(state, total + 1));
    if (c2 !== null && c2.weight * connOverhead(c1) > c1.weight * connOverhead(c2)) return c2;
    return c1;
  },
};
