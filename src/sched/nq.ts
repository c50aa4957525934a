// Never queue (ip_vs_nq.c): the first usable dest with no active connection, otherwise the
// shortest expected delay ((active + 1) / weight). O(n), as in IPVS.
import { DestFlags } from './types.js';
import type { Dest, Scheduler } from './types.js';

const OVERLOAD = DestFlags.OVERLOAD;
// Local, not imported: called once per dest in the loop, so it must inline on every loader.
function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & OVERLOAD) === 0;
}

export const nq: Scheduler<null> = {
  name: 'nq',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    const dests = service.dests;
    let least: Dest | null = null;
    let loh = 0;
    for (const d of dests) {
      if (!usable(d)) continue;
      if (d.activeConns === 0) return d; // idle: take it at once
      const doh = d.activeConns + 1; // sed overhead, inlined for the per-dest loop
      if (least === null || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
};
