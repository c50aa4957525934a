// The per-service cache lblc and lblcr keep (destination address -> entry) and its garbage
// collection, timed as ip_vs_lblc.c / ip_vs_lblcr.c: a check every 60 s that drops entries idle
// 6 min only while the table holds more than 16384, and every 30th check a full pass dropping
// entries idle longer than the expiration (24 h by default). Runs lazily on the injected clock.
import type { Dest, SchedService } from './types.js';
import { destKey } from './util.js';

export const CHECK_EXPIRE_INTERVAL_MS = 60_000;
export const ENTRY_TIMEOUT_MS = 6 * 60_000;
export const DEFAULT_EXPIRATION_MS = 24 * 3600_000;
export const COUNT_FOR_FULL_EXPIRATION = 30;
/** IP_VS_LBLC_TAB_SIZE * 16. */
export const MAX_ENTRIES = 1024 * 16;

export interface LocalityEntry {
  lastuse: number;
}

export interface LocalityTable<E extends LocalityEntry> {
  entries: Map<number, E>;
  nextCheck: number;
  counter: number;
  expirationMs: number;
}

/** schedOptions.expiration (seconds) stands for the lblc_expiration / lblcr_expiration sysctl. */
export function newTable<E extends LocalityEntry>(service: SchedService, now: number): LocalityTable<E> {
  const raw = service.schedOptions['expiration'];
  const secs = raw === undefined ? DEFAULT_EXPIRATION_MS / 1000 : Number(raw);
  if (!Number.isFinite(secs) || secs <= 0) throw new Error(`expiration must be a positive number of seconds, got ${String(raw)}`);
  return { entries: new Map(), nextCheck: now + CHECK_EXPIRE_INTERVAL_MS, counter: 1, expirationMs: secs * 1000 };
}

function fullCheck<E extends LocalityEntry>(t: LocalityTable<E>, now: number): void {
  for (const [k, e] of t.entries) if (!(e.lastuse + t.expirationMs > now)) t.entries.delete(k);
}

function checkExpire<E extends LocalityEntry>(t: LocalityTable<E>, now: number): void {
  if (t.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
    fullCheck(t, now);
    t.counter = 1;
    return;
  }
  if (t.entries.size <= MAX_ENTRIES) {
    t.counter++;
    return;
  }
  let goal = Math.min(Math.trunc(((t.entries.size - MAX_ENTRIES) * 4) / 3), MAX_ENTRIES / 2);
  for (const [k, e] of t.entries) {
    if (now < e.lastuse + ENTRY_TIMEOUT_MS) continue;
    t.entries.delete(k);
    if (--goal <= 0) break;
  }
}

/** Runs every periodic check that fell due since the last call (the kernel's timer). */
export function collect<E extends LocalityEntry>(t: LocalityTable<E>, now: number): void {
  while (now >= t.nextCheck) {
    checkExpire(t, t.nextCheck);
    t.nextCheck += CHECK_EXPIRE_INTERVAL_MS;
  }
}

/** Dest objects by identity, to re-point cached entries after the service's dests changed. */
export function destsByKey(service: SchedService): Map<number, Dest> {
  const m = new Map<number, Dest>();
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
