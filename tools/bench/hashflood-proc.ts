// Hash-flooding measurements in a fresh process (run compiled from dist/): a connection table of
// 65,536 entries holding 30,000 random connections, plus 4,000 connections whose tuples are random
// or crafted (against the old unkeyed hash, or against a guessed key) to fall within 64 of the
// table's 196,608 slots. For each set: the probes the real ConnTable makes per lookup (counted)
// and ns per lookup (timed on an uninstrumented table). Prints one JSON line.
import { ConnTable } from '../../src/conntable/conn-table.js';
import { flowHash, randomFlowHashKey } from '../../src/native/flow-hash.js';
import {
  craftTuples, insertTuples, keyedHash, oldUnkeyedHash, probeCounts, probeStats, randomTuples, slotsFor, type Tuple,
} from '../../test/support/hash-collisions.js';

const CAPACITY = 65_536;
const BACKGROUND = 30_000;
const ATTACK = 4_000;
const WINDOW = 64;

function table(key: Uint32Array, tuples: readonly Tuple[]): ConnTable {
  const t = new ConnTable(CAPACITY, 0, key);
  insertTuples(t, randomTuples(BACKGROUND, 101));
  insertTuples(t, tuples);
  return t;
}

/** A timed pass: every tuple looked up once, each given its hash (as packets bring meta HASH). */
interface Timed {
  table: ConnTable;
  hashes: Int32Array;
  flat: Int32Array;
  count: number;
}

function timed(t: ConnTable, tuples: readonly Tuple[]): Timed {
  const k = t.hashKey;
  return {
    table: t, count: tuples.length,
    hashes: Int32Array.from(tuples, (x) => flowHash(k[0]!, k[1]!, ...x)),
    flat: Int32Array.from(tuples.flat(), (v) => v | 0),
  };
}

/** ns per lookup over passes lasting at least ms milliseconds. */
function lookupNs(s: Timed, ms: number): number {
  const { table: t, hashes, flat, count } = s;
  let sink = 0;
  let n = 0;
  let elapsed = 0;
  const t0 = process.hrtime.bigint();
  while (elapsed < ms * 1e6) {
    for (let i = 0; i < count; i++) {
      const b = i * 5;
      sink += t.lookup(hashes[i]!, flat[b]!, flat[b + 1]!, flat[b + 2]!, flat[b + 3]!, flat[b + 4]!);
    }
    n += count;
    elapsed = Number(process.hrtime.bigint() - t0);
  }
  if (sink === 0.5) console.log(sink);
  return elapsed / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const slots = slotsFor(CAPACITY);
const key = randomFlowHashKey();
const guessed = Uint32Array.of(0, 0);
const sets: Record<string, { tuples: Tuple[]; key: Uint32Array }> = {
  random: { tuples: randomTuples(ATTACK, 202), key },
  unkeyed: { tuples: craftTuples((t) => oldUnkeyedHash(...t), ATTACK, slots, WINDOW), key },
  guessed: { tuples: craftTuples(keyedHash(guessed), ATTACK, slots, WINDOW), key },
  // What the key prevents: the same crafted tuples against a table whose key the attacker knows.
  known: { tuples: craftTuples(keyedHash(guessed), ATTACK, slots, WINDOW), key: guessed },
};
const out: Record<string, number> = {};
// Timed first, every set in turn for 9 rounds (median): counting probes wraps a table's key
// comparison, which changes the shape V8 sees at the lookup's call sites and would slow every
// table timed after it. A first round warms the JIT and caches.
const runs = Object.entries(sets).map(([name, s]) => ({ name, t: timed(table(s.key, s.tuples), s.tuples), ns: [] as number[] }));
for (const r of runs) lookupNs(r.t, 50);
// Each round starts at another set, so no set always follows the slow one (caches, JIT).
for (let round = 0; round < 9; round++) {
  for (let k = 0; k < runs.length; k++) {
    const r = runs[(round + k) % runs.length]!;
    r.ns.push(lookupNs(r.t, 60));
  }
}
for (const r of runs) out[`${r.name}Ns`] = median(r.ns);
for (const [name, s] of Object.entries(sets)) {
  const p = probeStats(probeCounts(table(s.key, s.tuples), s.tuples));
  out[`${name}Mean`] = p.mean;
  out[`${name}P99`] = p.p99;
  out[`${name}Max`] = p.max;
}
console.log(JSON.stringify(out));
