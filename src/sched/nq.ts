// Never queue (ip_vs_nq.c): the first usable dest with no active connection, otherwise the
// shortest expected delay ((active + 1) / weight). O(n), as in IPVS.
import type { Dest, Scheduler } from './types.js';
import { isUsable, sedOverhead } from './util.js';

export const nq: Scheduler<null> = {
  name: 'nq',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    const dests = service.dests;
    let least: Dest | null = null;
    let loh = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i]!;
      if (!isUsable(d)) continue;
      if (d.activeConns === 0) return d; // idle: take it at once
      const doh = sedOverhead(d);
      if (least === null || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
};
