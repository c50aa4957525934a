// Connection-table measurements in a fresh process (run compiled from dist/): insert, lookup and
// expiry cost (`cost N`) and resident memory per connection (`memory N`), through ConnTable.
// Prints one JSON line.
import { ConnFlag, ConnTable, type NewConn } from '../../src/conntable/conn-table.js';
import { flowHash, randomFlowHashKey } from '../../src/native/flow-hash.js';

const VIP = 0xc6120064;
const RS = 0xc612020b;

/** Client address and port of connection i: distinct for i < 2^32 over 198.18.0.0/15 plus ports. */
function client(i: number): [number, number] {
  return [(0xc6120000 + (i >>> 16)) >>> 0, i & 0xffff];
}

function fill(table: ConnTable, n: number, twoKeys: boolean): number {
  const c: NewConn = {
    proto: 17, caddr: 0, cport: 0, vaddr: VIP, vport: 9, daddr: RS, dport: 9, laddr: 0, lport: 0,
    method: twoKeys ? 1 : 0, flags: twoKeys ? ConnFlag.HAS_OUT : 0, service: 0, dest: 0, nhop: 0, state: 0, expires: 300,
  };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const [a, p] = client(i);
    c.caddr = a;
    c.cport = p;
    if (table.insert(c) < 0) throw new Error(`table full at ${i}`);
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

/**
 * Mean ns per lookup over `count` lookups in a scattered order; hits or misses. Each packet's
 * flow hash is computed beforehand, as parse does in the addon (meta HASH).
 */
function lookups(table: ConnTable, n: number, count: number, hit: boolean): number {
  const k0 = table.hashKey[0]!, k1 = table.hashKey[1]!;
  const order = new Uint32Array(count);
  const hashes = new Uint32Array(count);
  let x = 12345;
  for (let k = 0; k < count; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    order[k] = hit ? x % n : n + (x % n);
    const [a, p] = client(order[k]!);
    hashes[k] = flowHash(k0, k1, 17, a, p, VIP, 9);
  }
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < count; k++) {
    const [a, p] = client(order[k]!);
    sink += table.lookup(hashes[k]!, 17, a, p, VIP, 9);
  }
  const ns = Number(process.hrtime.bigint() - t0) / count;
  if (sink === 0.5) console.log(sink);
  return ns;
}

function cost(n: number): void {
  const out: Record<string, number> = { entries: n };
  const key = randomFlowHashKey();
  for (let k = 0; k < 3; k++) { // JIT warm-up
    const warm = new ConnTable(20_000, 0, key);
    fill(warm, 20_000, k % 2 === 1);
    warm.expire(301, () => {});
  }
  for (const twoKeys of [false, true]) {
    const table = new ConnTable(n, 0, key);
    const label = twoKeys ? 'nat' : 'dr';
    out[`${label}InsertNs`] = fill(table, n, twoKeys);
    const count = Math.max(n, 1_000_000);
    lookups(table, n, count / 4, true); // warm the JIT and the caches alike for both kinds
    out[`${label}HitNs`] = lookups(table, n, count, true);
    out[`${label}MissNs`] = lookups(table, n, count, false);
    const t0 = process.hrtime.bigint();
    if (table.expire(301, () => {}) !== n) throw new Error('expiry left entries behind');
    out[`${label}ExpireNs`] = Number(process.hrtime.bigint() - t0) / n;
  }
  console.log(JSON.stringify(out));
}

function memory(n: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const t0 = Date.now();
  const table = new ConnTable(n, 0, randomFlowHashKey());
  fill(table, n, true);
  gc?.();
  const after = process.memoryUsage();
  console.log(JSON.stringify({
    entries: table.size, capacity: table.capacity, seconds: (Date.now() - t0) / 1000,
    rssBefore: before.rss, rssAfter: after.rss, arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    bytesPerConn: (after.rss - before.rss) / n,
  }));
}

const [mode, nText] = process.argv.slice(2);
const n = Number(nText);
if (!Number.isInteger(n) || n < 1 || n > 1 << 26 || (mode !== 'cost' && mode !== 'memory')) {
  console.error('usage: conntable-proc cost|memory N (1..67108864)');
  process.exit(2);
}
if (mode === 'cost') cost(n);
else memory(n);
