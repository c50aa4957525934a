// Least connection (ip_vs_lc.c): the usable dest with the smallest (active << 8) + inactive;
// ties go to the first in list order. O(n), as in IPVS.
import { DestFlags } from './types.js';
import type { Dest, Scheduler } from './types.js';

const OVERLOAD = DestFlags.OVERLOAD;
// Local, not imported: called once per dest in the loop, so it must inline on every loader.
function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & OVERLOAD) === 0;
}

export const lc: Scheduler<null> = {
  name: 'lc',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    const dests = service.dests;
    let least: Dest | null = null;
    let loh = 0;
    for (const d of dests) {
      if (!usable(d)) continue;
      const doh = d.activeConns * 256 + d.inactConns; // connOverhead, inlined for the per-dest loop
      if (least === null || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
};
