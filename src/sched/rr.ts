// Round robin (ip_vs_rr.c): the next usable dest after the last one chosen, in list order.
import type { Dest, Scheduler, SchedService } from './types.js';
import { destKey, isUsable, type DestKey } from './util.js';

interface RrState {
  /** Index of the last chosen dest; -1 is the list head (start from the first). */
  cursor: number;
  /** Keys of the dests at the last update, to find the predecessor of a removed cursor. */
  keys: DestKey[];
}

function keysOf(service: SchedService): DestKey[] {
  return service.dests.map(destKey);
}

/**
 * IPVS moves the cursor only when its dest is deleted (to the entry before it); additions and
 * weight changes leave it. Re-find the cursor dest by identity, else walk back to the nearest
 * surviving predecessor, else the head.
 */
function relocate(state: RrState, service: SchedService): number {
  if (state.cursor < 0) return -1;
  const now = new Map<DestKey, number>();
  service.dests.forEach((d, i) => now.set(destKey(d), i));
  for (let i = state.cursor; i >= 0; i--) {
    const idx = now.get(state.keys[i]!);
    if (idx !== undefined) return idx;
  }
  return -1;
}

export const rr: Scheduler<RrState> = {
  name: 'rr',
  init(service) {
    return { cursor: -1, keys: keysOf(service) };
  },
  update(state, service) {
    state.cursor = relocate(state, service);
    state.keys = keysOf(service);
    return state;
  },
  schedule(state, service): Dest | null {
    const dests = service.dests;
    const n = dests.length;
    if (n === 0) return null;
    const start = state.cursor >= n ? -1 : state.cursor;
    // From the dest after the cursor round to the cursor itself, which is tried last.
    for (let k = 1; k <= n; k++) {
      const i = (start + k) % n;
      const d = dests[i]!;
      if (isUsable(d)) {
        state.cursor = i;
        return d;
      }
    }
    return null;
  },
};
