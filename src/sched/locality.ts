// The per-service cache lblc and lblcr keep (destination address -> entry) and its garbage
// collection, timed as ip_vs_lblc.c / ip_vs_lblcr.c: a check every 60 s that drops entries idle
// 6 min only while the table holds more than 16384, and every 30th check a full pass dropping
// entries idle longer than the expiration (24 h by default). Runs lazily on the injected clock.
// Entries are found by the whole destination address; an IPv6 one is filed under its 32-bit
// fold (the kernel's bucket hash input) and told apart from others with the same fold by a chain.
import type { Dest, SchedPacket, SchedService } from './types.js';
import { destKey, fold6, type DestKey } from './util.js';

export const CHECK_EXPIRE_INTERVAL_MS = 60_000;
export const ENTRY_TIMEOUT_MS = 6 * 60_000;
export const DEFAULT_EXPIRATION_MS = 24 * 3600_000;
export const COUNT_FOR_FULL_EXPIRATION = 30;
/** IP_VS_LBLC_TAB_SIZE * 16. */
export const MAX_ENTRIES = 1024 * 16;

export interface LocalityEntry {
  lastuse: number;
  /** The IPv6 destination address the entry is for (its own copy); null for IPv4. */
  addr6: Uint32Array | null;
  /** The next entry filed under the same key (IPv6 addresses with the same fold). */
  next: this | null;
}

export interface LocalityTable<E extends LocalityEntry> {
  /** IPv4 destination address, or an IPv6 one's fold -> the first entry filed under it. */
  entries: Map<number, E>;
  /** Entries in all chains. */
  count: number;
  nextCheck: number;
  counter: number;
  expirationMs: number;
}

/** schedOptions.expiration (seconds) stands for the lblc_expiration / lblcr_expiration sysctl. */
export function newTable<E extends LocalityEntry>(service: SchedService, now: number): LocalityTable<E> {
  const raw = service.schedOptions['expiration'];
  const secs = raw === undefined ? DEFAULT_EXPIRATION_MS / 1000 : Number(raw);
  if (!Number.isFinite(secs) || secs <= 0) throw new Error(`expiration must be a positive number of seconds, got ${String(raw)}`);
  return { entries: new Map(), count: 0, nextCheck: now + CHECK_EXPIRE_INTERVAL_MS, counter: 1, expirationMs: secs * 1000 };
}

function sameAddr6(a: Uint32Array, b: Uint32Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** The entry for the packet's destination address, or null. Allocates nothing. */
export function findEntry<E extends LocalityEntry>(t: LocalityTable<E>, p: SchedPacket): E | null {
  const v6 = p.family === 6;
  let e = t.entries.get(v6 ? fold6(p.dstAddr6) : p.dstAddr >>> 0) ?? null;
  while (e !== null) {
    if (v6 ? e.addr6 !== null && sameAddr6(e.addr6, p.dstAddr6) : e.addr6 === null) return e;
    e = e.next;
  }
  return null;
}

/** Files a new entry (whose address findEntry did not find) for the packet's destination. */
export function addEntry<E extends LocalityEntry>(t: LocalityTable<E>, p: SchedPacket, e: E): void {
  const v6 = p.family === 6;
  const key = v6 ? fold6(p.dstAddr6) : p.dstAddr >>> 0;
  e.addr6 = v6 ? Uint32Array.from(p.dstAddr6) : null;
  e.next = t.entries.get(key) ?? null;
  t.entries.set(key, e);
  t.count++;
}

/**
 * Visits entries in filing order and unlinks those `drop` returns true for, at most `max` of
 * them; returns how many it dropped.
 */
export function sweep<E extends LocalityEntry>(t: LocalityTable<E>, drop: (e: E) => boolean, max = Infinity): number {
  let dropped = 0;
  for (const [key, head] of t.entries) {
    let first: E | null = head;
    let prev: E | null = null;
    for (let e: E | null = head; e !== null && dropped < max; e = e.next) {
      if (!drop(e)) {
        prev = e;
        continue;
      }
      dropped++;
      if (prev === null) first = e.next;
      else prev.next = e.next;
    }
    if (first === null) t.entries.delete(key);
    else if (first !== head) t.entries.set(key, first);
    if (dropped >= max) break;
  }
  t.count -= dropped;
  return dropped;
}

function fullCheck<E extends LocalityEntry>(t: LocalityTable<E>, now: number): void {
  sweep(t, (e) => !(e.lastuse + t.expirationMs > now));
}

function checkExpire<E extends LocalityEntry>(t: LocalityTable<E>, now: number): void {
  if (t.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
    fullCheck(t, now);
    t.counter = 1;
    return;
  }
  if (t.count <= MAX_ENTRIES) {
    t.counter++;
    return;
  }
  const goal = Math.min(Math.trunc(((t.count - MAX_ENTRIES) * 4) / 3), MAX_ENTRIES / 2);
  sweep(t, (e) => !(now < e.lastuse + ENTRY_TIMEOUT_MS), Math.max(goal, 1));
}

/** Runs every periodic check that fell due since the last call (the kernel's timer). */
export function collect<E extends LocalityEntry>(t: LocalityTable<E>, now: number): void {
  while (now >= t.nextCheck) {
    checkExpire(t, t.nextCheck);
    t.nextCheck += CHECK_EXPIRE_INTERVAL_MS;
  }
}

/** Dest objects by identity, to re-point cached entries after the service's dests changed. */
export function destsByKey(service: SchedService): Map<DestKey, Dest> {
  const m = new Map<DestKey, Dest>();
  for (const d of service.dests) m.set(destKey(d), d);
  return m;
}

/**
 * lblc/lblcr is_overloaded: more active connections than weight while some dest in the
 * service runs below half its weight.
 */
export function overloadedWithSpare(dest: Dest, service: SchedService): boolean {
  if (dest.activeConns <= dest.weight) return false;
  for (const d of service.dests) if (d.activeConns * 2 < d.weight) return true;
  return false;
}
