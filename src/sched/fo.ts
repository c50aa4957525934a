// Weighted failover (ip_vs_fo.c): always the usable dest with the highest weight; ties go to
// the first in list order. O(n), as in IPVS.
import type { Dest, Scheduler } from './types.js';
import { isUsable } from './util.js';

export const fo: Scheduler<null> = {
  name: 'fo',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    const dests = service.dests;
    let best: Dest | null = null;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i]!;
      if (isUsable(d) && (best === null || d.weight > best.weight)) best = d;
    }
    return best;
  },
};
