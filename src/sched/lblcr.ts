// Locality-based least connection with replication (ip_vs_lblcr.c): a destination address maps
// to a set of servers; the least loaded of the set serves, the set grows by a wlc pick when that
// one is overloaded, and shrinks by its most loaded member once the set has been stable for the
// expiration time. O(set) on a hit, O(n) to grow.
import type { Dest, Scheduler } from './types.js';
import { DestFlags } from './types.js';
import { connOverhead, destKey, weightedLeast } from './util.js';
import {
  addEntry, collect, destsByKey, findEntry, type LocalityTable, newTable, overloadedWithSpare, sweep,
} from './locality.js';

interface LblcrEntry {
  lastuse: number;
  addr6: Uint32Array | null;
  next: LblcrEntry | null;
  /** Newest first, as list_add_rcu puts it. */
  set: Dest[];
  lastmod: number;
}

type LblcrState = LocalityTable<LblcrEntry>;

/** ip_vs_dest_set_min: wlc over the set, skipping overloaded and unavailable members. */
function setMin(set: readonly Dest[]): Dest | null {
  let least: Dest | null = null;
  let loh = 0;
  for (const d of set) {
    if ((d.flags & DestFlags.OVERLOAD) !== 0) continue;
    const avail = (d.flags & DestFlags.AVAILABLE) !== 0;
    if (least === null) {
      if (d.weight > 0 && avail) { least = d; loh = connOverhead(d); }
      continue;
    }
    const doh = connOverhead(d);
    if (loh * d.weight > doh * least.weight && avail) { least = d; loh = doh; }
  }
  return least;
}

/** ip_vs_dest_set_max: the member with the highest overhead / weight (weight > 0). */
function setMax(set: readonly Dest[]): Dest | null {
  let most: Dest | null = null;
  let moh = 0;
  for (const d of set) {
    if (most === null) {
      if (d.weight > 0) { most = d; moh = connOverhead(d); }
      continue;
    }
    const doh = connOverhead(d);
    if (moh * d.weight < doh * most.weight && d.weight > 0) { most = d; moh = doh; }
  }
  return most;
}

function insert(en: LblcrEntry, dest: Dest, now: number): void {
  if (en.set.includes(dest)) return;
  en.set.unshift(dest);
  en.lastmod = now;
}

export const lblcr: Scheduler<LblcrState> = {
  name: 'lblcr',
  init: (service, clock) => newTable<LblcrEntry>(service, clock.now()),
  /** Set members follow their dest to its new object; removed dests leave every set. */
  update(state, service) {
    const byKey = destsByKey(service);
    sweep(state, (en) => {
      en.set = en.set.map((d) => byKey.get(destKey(d))).filter((d): d is Dest => d !== undefined);
      return false;
    });
    return state;
  },
  schedule(state, service, packet, clock): Dest | null {
    const now = clock.now();
    collect(state, now);
    const en = findEntry(state, packet);
    if (en === null) {
      const dest = weightedLeast(service.dests, connOverhead);
      if (dest !== null) addEntry(state, packet, { lastuse: now, addr6: null, next: null, set: [dest], lastmod: now });
      return dest;
    }
    en.lastuse = now;
    const least = setMin(en.set);
    if (en.set.length > 1 && now > en.lastmod + state.expirationMs) {
      const m = setMax(en.set);
      if (m !== null) {
        en.set.splice(en.set.indexOf(m), 1);
        en.lastmod = now;
      }
    }
    if (least !== null && !overloadedWithSpare(least, service)) return least;
    const dest = weightedLeast(service.dests, connOverhead);
    if (dest !== null) insert(en, dest, now);
    return dest;
  },
};
