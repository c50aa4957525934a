// A hash-flooding attacker's tools against the connection table, for the unit test that bounds
// probe lengths and for the `hashflood` benchmark: the unkeyed hash conn-table.ts used before the
// keyed one (the attacker's model of an unkeyed director), tuple crafting that puts every tuple
// within a few slots of each other under a hash the attacker can compute, and a count of the
// probes the real ConnTable makes per lookup.
import { ConnTable, type NewConn } from '../../src/conntable/conn-table.js';
import { flowHash } from '../../src/native/flow-hash.js';

/** (proto, src, sport, dst, dport), as flowHash takes them. */
export type Tuple = [number, number, number, number, number];

/** The unkeyed hash conn-table.ts used before the keyed one (a murmur3 finaliser). */
export function oldUnkeyedHash(proto: number, a: number, ap: number, b: number, bp: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= ((ap << 16) | bp) + proto;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The slot ConnTable maps a hash to (fastrange onto n slots). */
export const slotOf = (hash: number, n: number): number => Math.floor(((hash >>> 0) * n) / 2 ** 32);

/** Index slots of a table of this many connections (ConnTable keeps 3 per connection). */
export const slotsFor = (capacity: number): number => Math.max(8, capacity * 3);

export const ATTACK_VIP = 0xc6130064; // 198.19.0.100

/**
 * SYN-flood tuples toward ATTACK_VIP:80 from sources in 198.18.0.0/15, the first `count` whose
 * hash under `hash` falls in the first `window` of n slots: one cluster every lookup in it walks.
 * `skip` tuples of the search are passed over first, so two sets can be disjoint.
 */
export function craftTuples(hash: (t: Tuple) => number, count: number, n: number, window: number, skip = 0): Tuple[] {
  const out: Tuple[] = [];
  for (let i = skip; out.length < count; i++) {
    if (i >= 2 ** 33) throw new Error('craftTuples: ran out of tuples in 198.18.0.0/15');
    const t: Tuple = [6, (0xc6120000 + Math.floor(i / 65536)) >>> 0, i & 0xffff, ATTACK_VIP, 80];
    if (slotOf(hash(t), n) < window) out.push(t);
  }
  return out;
}

/** A hash under a key the attacker guessed (or learned): what crafting aims at. */
export const keyedHash = (key: Readonly<Uint32Array>) => (t: Tuple): number => flowHash(key[0]!, key[1]!, ...t) >>> 0;

/** Random tuples of the same shape (sources in 198.18.0.0/15, client ports 1024..65535), seeded. */
export function randomTuples(count: number, seed: number): Tuple[] {
  let x = seed >>> 0 || 1;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  return Array.from({ length: count }, (): Tuple => [6, (0xc6120000 + (next() & 0x1ffff)) >>> 0, 1024 + (next() % 64512), ATTACK_VIP, 80]);
}

/** Inserts each tuple as a DR connection (one key); throws when the table is full. */
export function insertTuples(table: ConnTable, tuples: readonly Tuple[]): void {
  const c: NewConn = {
    proto: 6, caddr: 0, cport: 0, vaddr: ATTACK_VIP, vport: 80, daddr: 0xc613000b, dport: 80, laddr: 0, lport: 0,
    method: 0, flags: 0, service: 0, dest: 0, nhop: 0, state: 0, expires: 60,
  };
  for (const [proto, src, sport, dst, dport] of tuples) {
    Object.assign(c, { proto, caddr: src, cport: sport, vaddr: dst, vport: dport });
    if (table.insert(c) < 0) throw new Error('connection table full');
  }
}

/**
 * The probes (slots examined) of the real table's lookup of each tuple, all of which it holds:
 * its key comparisons, counted by wrapping the table's own comparison (a hit compares once per
 * slot walked). Returns them in tuple order.
 */
export function probeCounts(table: ConnTable, tuples: readonly Tuple[]): number[] {
  // Slots a lookup walks, home slot to the key's: what a crafted cluster lengthens. (Counting
  // key comparisons would undercount: the slots' hash tags turn most probes away unread.)
  const t = table as unknown as { slots: Int32Array; slotCount: number };
  const key = table.hashKey;
  const n = t.slotCount;
  return tuples.map((tuple) => {
    const hash = flowHash(key[0]!, key[1]!, ...tuple);
    const hit = table.lookup(hash, ...tuple);
    if (hit < 0) throw new Error(`tuple ${tuple.join(',')} not in the table`);
    let i = slotOf(hash, n);
    let probes = 1;
    while ((t.slots[i]! & SLOT_KEY_MASK) !== hit) {
      i = i + 1 === n ? 0 : i + 1;
      probes++;
    }
    return probes;
  });
}

/** The tagged-key bits of a used slot (conn-table.ts's KEY_MASK). */
const SLOT_KEY_MASK = 0x7ffffff;

export interface ProbeStats {
  mean: number;
  max: number;
  /** 99th percentile. */
  p99: number;
}

export function probeStats(counts: readonly number[]): ProbeStats {
  const s = [...counts].sort((a, b) => a - b);
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, max: s[s.length - 1]!, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]! };
}
