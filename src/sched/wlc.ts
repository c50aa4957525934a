// Weighted least connection (ip_vs_wlc.c, the default): smallest overhead / weight, compared as
// overhead_a * weight_b > overhead_b * weight_a without division. O(n), as in IPVS.
import type { Dest, Scheduler } from './types.js';
import { connOverhead, weightedLeast } from './util.js';

export const wlc: Scheduler<null> = {
  name: 'wlc',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    return weightedLeast(service.dests, connOverhead);
  },
};
