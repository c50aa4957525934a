// Weighted failover (ip_vs_fo.c): always the usable dest with the highest weight; ties go to
// the first in list order. O(n), as in IPVS.
import { DestFlags } from './types.js';
import type { Dest, Scheduler } from './types.js';

const OVERLOAD = DestFlags.OVERLOAD;
// Local, not imported: called once per dest in the loop, so it must inline on every loader.
function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & OVERLOAD) === 0;
}


export const fo: Scheduler<null> = {
  name: 'fo',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    const dests = service.dests;
    let best: Dest | null = null;
    for (const d of dests) {
      if (usable(d) && (best === null || d.weight > best.weight)) best = d;
    }
    return best;
  },
};
