// Locality-based least connection (ip_vs_lblc.c): a destination address sticks to one server
// until that server is gone, quiesced, over threshold, or loaded past its weight while another
// runs under half; then wlc picks a new one. O(1) on a cache hit, O(n) to (re)schedule.
import type { Dest, Scheduler } from './types.js';
import { DestFlags } from './types.js';
import { connOverhead, destKey, weightedLeast } from './util.js';
import {
  addEntry, collect, destsByKey, findEntry, type LocalityTable, newTable, overloadedWithSpare, sweep,
} from './locality.js';

interface LblcEntry {
  lastuse: number;
  addr6: Uint32Array | null;
  next: LblcEntry | null;
  dest: Dest;
}

type LblcState = LocalityTable<LblcEntry>;

export const lblc: Scheduler<LblcState> = {
  name: 'lblc',
  init: (service, clock) => newTable<LblcEntry>(service, clock.now()),
  /** Entries follow their dest to its new object; entries of removed dests are dropped. */
  update(state, service) {
    const byKey = destsByKey(service);
    sweep(state, (e) => {
      const d = byKey.get(destKey(e.dest));
      if (d === undefined) return true;
      e.dest = d;
      return false;
    });
    return state;
  },
  schedule(state, service, packet, clock): Dest | null {
    const now = clock.now();
    collect(state, now);
    const en = findEntry(state, packet);
    if (en !== null) {
      en.lastuse = now;
      const d = en.dest;
      if ((d.flags & DestFlags.AVAILABLE) !== 0 && d.weight > 0 && (d.flags & DestFlags.OVERLOAD) === 0 &&
          !overloadedWithSpare(d, service)) {
        return d;
      }
    }
    const dest = weightedLeast(service.dests, connOverhead);
    if (dest === null) return null;
    if (en !== null) en.dest = dest;
    else addEntry(state, packet, { lastuse: now, addr6: null, next: null, dest });
    return dest;
  },
};
