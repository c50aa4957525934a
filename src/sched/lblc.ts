// Locality-based least connection (ip_vs_lblc.c): a destination address sticks to one server
// until that server is gone, quiesced, over threshold, or loaded past its weight while another
// runs under half; then wlc picks a new one. O(1) on a cache hit, O(n) to (re)schedule.
import type { Dest, Scheduler } from './types.js';
import { DestFlags } from './types.js';
import { connOverhead, destKey, weightedLeast } from './util.js';
import { collect, destsByKey, type LocalityTable, newTable, overloadedWithSpare } from './locality.js';

interface LblcEntry {
  lastuse: number;
  dest: Dest;
}

type LblcState = LocalityTable<LblcEntry>;

export const lblc: Scheduler<LblcState> = {
  name: 'lblc',
  init: (service, clock) => newTable<LblcEntry>(service, clock.now()),
  /** Entries follow their dest to its new object; entries of removed dests are dropped. */
  update(state, service) {
    const byKey = destsByKey(service);
    for (const [k, e] of state.entries) {
      const d = byKey.get(destKey(e.dest));
      if (d === undefined) state.entries.delete(k);
      else e.dest = d;
    }
    return state;
  },
  schedule(state, service, packet, clock): Dest | null {
    const now = clock.now();
    collect(state, now);
    const key = packet.dstAddr >>> 0;
    const en = state.entries.get(key);
    if (en !== undefined) {
      en.lastuse = now;
      const d = en.dest;
      if ((d.flags & DestFlags.AVAILABLE) !== 0 && d.weight > 0 && (d.flags & DestFlags.OVERLOAD) === 0 &&
          !overloadedWithSpare(d, service)) {
        return d;
      }
    }
    const dest = weightedLeast(service.dests, connOverhead);
    if (dest === null) return null;
    if (en !== undefined) en.dest = dest;
    else state.entries.set(key, { lastuse: now, dest });
    return dest;
  },
};
