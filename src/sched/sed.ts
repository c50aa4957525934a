// Shortest expected delay (ip_vs_sed.c): smallest (active + 1) / weight; inactive connections
// do not count. O(n), as in IPVS.
import type { Dest, Scheduler } from './types.js';
import { sedOverhead, weightedLeast } from './util.js';

export const sed: Scheduler<null> = {
  name: 'sed',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    return weightedLeast(service.dests, sedOverhead);
  },
};
