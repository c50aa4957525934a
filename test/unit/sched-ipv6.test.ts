// The address-hashing schedulers on IPv6 (sh, dh, mh, lblc, lblcr) and the dest identity of IPv6
// real servers (rr, mh, the locality caches). Expected buckets come from the kernel's arithmetic
// redone here on the address bytes in BigInt (network-order words XORed, then ntohl), not from the
// code under test; an IPv6 address must land where its fold would land as an IPv4 address.
import assert from 'node:assert/strict';
import { dh } from '../../src/sched/dh.js';
import { sh } from '../../src/sched/sh.js';
import { mh } from '../../src/sched/mh.js';
import { lblc } from '../../src/sched/lblc.js';
import { lblcr } from '../../src/sched/lblcr.js';
import { rr } from '../../src/sched/rr.js';
import {
  CHECK_EXPIRE_INTERVAL_MS, COUNT_FOR_FULL_EXPIRATION, type LocalityEntry, type LocalityTable,
} from '../../src/sched/locality.js';
import { ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import { type Scheduler, type SchedService } from '../../src/sched/types.js';
import { dest, dest6, FakeClock, packet, packet6, prng, service } from './sched-fixtures.js';

const clock = new FakeClock();

/** The kernel's addr_fold for an IPv6 address, from its 16 bytes: XOR of the big-endian words. */
function kernelFold(text: string): number {
  const bytes = parseIpv6(text);
  let x = 0n;
  for (let i = 0; i < 16; i += 4) {
    x ^= (BigInt(bytes[i]!) << 24n) | (BigInt(bytes[i + 1]!) << 16n) | (BigInt(bytes[i + 2]!) << 8n) | BigInt(bytes[i + 3]!);
  }
  return Number(x);
}

/** ip_vs_sh_hashkey with offset 0: hash_32(port + addr, 8), the top 8 bits of a golden-ratio product. */
function shBucket(addr: number, port: number): number {
  return Number((((BigInt(addr + port) & 0xffffffffn) * 0x61c88647n) & 0xffffffffn) >> 24n);
}

/** ip_vs_dh_hashkey: the low 8 bits of addr * 2654435761. */
function dhBucket(addr: number): number {
  return Number((BigInt(addr) * 2654435761n) & 0xffn);
}

function words(text: string): number[] {
  return ipv6Words(parseIpv6(text));
}

function v6Client(rnd: () => number): number[] {
  return [0x20010db8, rnd(), rnd(), rnd()];
}

function shares<S>(s: Scheduler<S>, svc: SchedService, st: S, byDst = false): number[] {
  const rnd = prng(7);
  const counts = new Array<number>(svc.dests.length).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const a = v6Client(rnd);
    const d = s.schedule(st, svc, byDst ? packet6(words('2001:db8::1'), 40000, a) : packet6(a), clock);
    if (d !== null) counts[d.id]!++;
  }
  return counts.map((c) => c / n);
}

function assertShares(got: number[], weights: number[]): void {
  const total = weights.reduce((a, b) => a + b, 0);
  weights.forEach((w, i) => assert.ok(Math.abs(got[i]! - w / total) < 0.01, `dest ${i}: ${got[i]} vs ${w / total}`));
}

describe('sched on IPv6: the kernel fold', () => {
  it('hand-worked folds: 2001:db8::1 is 0x20010db9, and so is 2001:db8:0:1:: (the fold is lossy, as in IPVS)', () => {
    assert.equal(kernelFold('2001:db8::1'), 0x20010db9);
    assert.equal(kernelFold('2001:db8:0:1::'), 0x20010db9);
    assert.equal(kernelFold('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'), 0xdffef247);
  });

  it('sh: the bucket of hash_32(fold + port, 8), with and without sh-port', () => {
    const ds = [dest6(0, 1), dest6(1, 2), dest6(2, 3)];
    for (const flags of [[], ['sh-port']] as const) {
      const svc = service(ds, [...flags]);
      const st = sh.init(svc, clock);
      for (const [text, port] of [['2001:db8::1', 40000], ['2001:db8:0:1::', 1234], ['2001:db8:aa::77', 65535]] as const) {
        const want = st.buckets[shBucket(kernelFold(text), flags.length ? port : 0)];
        assert.equal(sh.schedule(st, svc, packet6(words(text), port), clock), want, `${text} ${flags.join()}`);
      }
      // Same fold, same server: the two addresses above cannot be told apart by sh.
      assert.equal(sh.schedule(st, svc, packet6(words('2001:db8::1'), 5), clock), sh.schedule(st, svc, packet6(words('2001:db8:0:1::'), 5), clock));
    }
  });

  it('dh: the bucket of the destination fold * 2654435761', () => {
    const svc = service([dest6(0, 1), dest6(1, 1), dest6(2, 1)]);
    const st = dh.init(svc, clock);
    for (const text of ['2001:db8::100', '2001:db8::1:100', '2001:db8:5::']) {
      const got = dh.schedule(st, svc, packet6(words('2001:db8::9'), 40000, words(text)), clock);
      assert.equal(got!.id, dhBucket(kernelFold(text)) % 3, text);
    }
  });

  it('sh, dh and mh put an IPv6 address where its fold goes as an IPv4 address (same table)', () => {
    const rnd = prng(11);
    const ds = [dest6(0, 2), dest6(1, 3), dest6(2, 5)];
    for (const [s, flags] of [[sh, ['sh-port']], [dh, []], [mh, ['mh-port']]] as [Scheduler<unknown>, string[]][]) {
      const svc = service(ds, flags as never);
      const st = s.init(svc, clock);
      for (let i = 0; i < 2000; i++) {
        const a = v6Client(rnd);
        const text = a.map((w) => [w >>> 16, w & 0xffff].map((g) => g.toString(16)).join(':')).join(':');
        const fold = kernelFold(text);
        const port = rnd() & 0xffff;
        const v6 = s.schedule(st, svc, packet6(a, port, a), clock);
        const v4 = s.schedule(st, svc, packet(fold, port, fold), clock);
        assert.equal(v6, v4, `${s.name} ${text}`);
      }
    }
  });

  it('mh: IPv6 real servers take the permutation of their fold, as IPv4 ones of that address would', () => {
    const ds6 = [dest6(0, 1), dest6(1, 2), dest6(2, 1)];
    const ds4 = ds6.map((d) => dest(d.id, d.weight, { addr: kernelFold(`2001:db8::${(0x11 + d.id).toString(16)}`) }));
    const st6 = mh.init(service(ds6), clock);
    const st4 = mh.init(service(ds4), clock);
    assert.deepEqual([...st6.lookup], [...st4.lookup]);
  });

  it('same flow, same server; weights share 100k random IPv6 clients within 1%', () => {
    const weights = [1, 2, 3, 4];
    const ds = weights.map((w, i) => dest6(i, w));
    for (const s of [sh, mh] as Scheduler<unknown>[]) {
      const svc = service(ds);
      const st = s.init(svc, clock);
      assertShares(shares(s, svc, st), weights);
      const p = packet6(words('2001:db8:77::5'));
      const first = s.schedule(st, svc, p, clock);
      for (let i = 0; i < 10; i++) assert.equal(s.schedule(st, svc, packet6(words('2001:db8:77::5'), 1000 + i), clock), first);
    }
    const even = [1, 1, 1, 1].map((w, i) => dest6(i, w));
    const dsvc = service(even);
    assertShares(shares(dh, dsvc, dh.init(dsvc, clock), true), [1, 1, 1, 1]);
  });
});

describe('sched on IPv6: lblc and lblcr key on the whole destination address', () => {
  const A = '2001:db8::1';
  const B = '2001:db8:0:1::'; // same fold as A

  for (const s of [lblc, lblcr] as unknown as Scheduler<LocalityTable<LocalityEntry>>[]) {
    it(`${s.name}: two addresses with one fold are two entries; each sticks to its server`, () => {
      const c = new FakeClock();
      const ds = [dest6(0, 1), dest6(1, 1)];
      const svc = service(ds);
      const st = s.init(svc, c);
      const da = s.schedule(st, svc, packet6(words('2001:db8::9'), 1, words(A)), c)!;
      da.activeConns++; // the next pick goes to the other server
      const db = s.schedule(st, svc, packet6(words('2001:db8::9'), 2, words(B)), c)!;
      assert.notEqual(da, db);
      assert.equal(st.count, 2);
      assert.equal(st.entries.size, 1, 'filed under one fold');
      for (let i = 0; i < 5; i++) {
        assert.equal(s.schedule(st, svc, packet6(words(`2001:db8::${i + 20}`), i, words(A)), c), da);
        assert.equal(s.schedule(st, svc, packet6(words(`2001:db8::${i + 20}`), i, words(B)), c), db);
      }
      // An IPv4 destination whose address equals the fold is a third, separate entry.
      s.schedule(st, svc, packet(1, 1, kernelFold(A)), c);
      assert.equal(st.count, 3);
    });

    it(`${s.name}: expiry and a removed IPv6 real server unlink chained entries`, () => {
      const c = new FakeClock();
      const ds = [dest6(0, 1), dest6(1, 1)];
      const svc = service(ds, [], { expiration: 60 });
      const st = s.init(svc, c);
      s.schedule(st, svc, packet6(words('2001:db8::9'), 1, words(A)), c);
      c.advance(1000);
      s.schedule(st, svc, packet6(words('2001:db8::9'), 1, words(B)), c);
      assert.equal(st.count, 2);
      // A full check runs every 30th minute and drops what has been idle past the expiration.
      c.advance(CHECK_EXPIRE_INTERVAL_MS * COUNT_FOR_FULL_EXPIRATION);
      s.schedule(st, svc, packet(5, 5, 0x0a000001), c);
      assert.equal(st.count, 1, 'only the IPv4 entry just made is left');
      // A rebuilt table (new objects, same addresses): the entry follows its dest by IPv6 address.
      const first = s.schedule(st, svc, packet6(words('2001:db8::9'), 1, words(A)), c)!;
      first.activeConns++;
      const sv2 = service([dest6(0, 1), dest6(1, 1)]);
      sv2.dests[0]!.activeConns = 1;
      s.update(st, sv2, c);
      assert.equal(s.schedule(st, sv2, packet6(words('2001:db8::9'), 1, words(A)), c), sv2.dests[first.id]);
      // Without that server, lblc drops the entry and lblcr's set loses it: A goes to the other.
      const sv3 = service([dest6(1 - first.id, 1)]);
      s.update(st, sv3, c);
      assert.equal(s.schedule(st, sv3, packet6(words('2001:db8::9'), 1, words(A)), c), sv3.dests[0]);
    });
  }
});

describe('sched on IPv6: dest identity', () => {
  it('rr finds its cursor by IPv6 address after an update (IPv6 dests share addr 0)', () => {
    const ds = [dest6(0, 1), dest6(1, 1), dest6(2, 1)];
    const svc = service(ds);
    const st = rr.init(svc, clock);
    assert.equal(rr.schedule(st, svc, packet(1), clock), ds[0]);
    assert.equal(rr.schedule(st, svc, packet(1), clock), ds[1]);
    // Remove the first: the cursor stays on the second, so the third comes next.
    const fresh = [dest6(1, 1), dest6(2, 1)];
    const svc2 = service(fresh);
    rr.update(st, svc2, clock);
    assert.equal(rr.schedule(st, svc2, packet(1), clock), fresh[1]);
  });

  it('mh keeps a quiesced IPv6 server in its slots (last weight found by address)', () => {
    const before = mh.init(service([dest6(0, 2), dest6(1, 3), dest6(2, 1)]), clock);
    const slots = [...before.lookup];
    const after = mh.update(before, service([dest6(0, 2), dest6(1, 0), dest6(2, 1)]), clock);
    assert.deepEqual([...after.lookup], slots);
  });
});
