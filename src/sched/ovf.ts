// Weighted overflow (ip_vs_ovf.c): the highest-weight usable dest whose active connections do
// not exceed its weight; when it fills up, the next one in weight order. O(n), as in IPVS.
import { DestFlags } from './types.js';
import type { Dest, Scheduler } from './types.js';

const OVERLOAD = DestFlags.OVERLOAD;
// Local, not imported: called once per dest in the loop, so it must inline on every loader.
function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & OVERLOAD) === 0;
}


export const ovf: Scheduler<null> = {
  name: 'ovf',
  init: () => null,
  update: (state) => state,
  schedule(_state, service): Dest | null {
    const dests = service.dests;
    let best: Dest | null = null;
    for (const d of dests) {
      if (!usable(d) || d.activeConns > d.weight) continue;
      if (best === null || d.weight > best.weight) best = d;
    }
    return best;
  },
};
