// Least connection (ip_vs_lc.c): the usable dest with the smallest (active << 8) + inactive;
// ties go to the first in list order. O(n), as in IPVS.
import type { Dest, Scheduler } from './types.js';
import { connOverhead, isUsable } from './util.js';

export const lc: Scheduler<null> = {
  name: 'lc',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    const dests = service.dests;
    let least: Dest | null = null;
    let loh = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i]!;
      if (!isUsable(d)) continue;
      const doh = connOverhead(d);
      if (least === null || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
};
