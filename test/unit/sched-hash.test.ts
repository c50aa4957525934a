// dh, sh and mh: table building, distribution over 100k flows, fallback flags, Maglev minimal
// disruption and determinism, and the hsiphash the mh table rests on.
import assert from 'node:assert/strict';
import { dh, dhHash } from '../../src/sched/dh.js';
import { sh } from '../../src/sched/sh.js';
import { mh } from '../../src/sched/mh.js';
import { hsiphashU32, repeatedKey } from '../../src/sched/hsiphash.js';
import { DestFlags, type Dest, type Scheduler, type SchedService } from '../../src/sched/types.js';
import { dests, FakeClock, packet, prng, service } from './sched-fixtures.js';

const clock = new FakeClock();
const FLOWS = 100_000;

function shares<S>(s: Scheduler<S>, svc: SchedService, st: S, usePort = false): number[] {
  const rnd = prng(42);
  const counts = new Array<number>(svc.dests.length).fill(0);
  for (let i = 0; i < FLOWS; i++) {
    const d = s.schedule(st, svc, packet(rnd(), usePort ? rnd() & 0xffff : 40000), clock);
    if (d !== null) counts[d.id]!++;
  }
  return counts.map((c) => c / FLOWS);
}

function assertWithin1pct(got: number[], weights: number[]): void {
  const total = weights.reduce((a, b) => a + b, 0);
  weights.forEach((w, i) => {
    const want = w / total;
    assert.ok(Math.abs(got[i]! - want) < 0.01, `dest ${i}: share ${got[i]!.toFixed(4)} vs weight share ${want.toFixed(4)}`);
  });
}

/** SipHash-c-d over bytes, in BigInt: an independent reference for the 32-bit-halves version. */
function sipRef(msg: Uint8Array, k0: bigint, k1: bigint, c: number, d: number): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;
  let v0 = 0x736f6d6570736575n ^ k0, v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0, v3 = 0x7465646279746573n ^ k1;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n) ^ v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n) ^ v2; v2 = rotl(v2, 32n);
  };
  const word = (off: number, len: number) => { let m = 0n; for (let i = 0; i < len; i++) m |= BigInt(msg[off + i]!) << BigInt(8 * i); return m; };
  const full = msg.length - (msg.length % 8);
  for (let off = 0; off < full; off += 8) { const m = word(off, 8); v3 ^= m; for (let i = 0; i < c; i++) round(); v0 ^= m; }
  const b = (BigInt(msg.length & 0xff) << 56n) | word(full, msg.length - full);
  v3 ^= b; for (let i = 0; i < c; i++) round(); v0 ^= b;
  v2 ^= 0xffn; for (let i = 0; i < d; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

describe('sched hsiphash (kernel SipHash-1-3 on 64-bit)', () => {
  it('the BigInt reference reproduces the published SipHash-2-4 vectors', () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    const k0 = new DataView(key.buffer).getBigUint64(0, true), k1 = new DataView(key.buffer).getBigUint64(8, true);
    assert.equal(sipRef(new Uint8Array(0), k0, k1, 2, 4), 0x726fdb47dd0e0e31n);
    assert.equal(sipRef(Uint8Array.from({ length: 15 }, (_, i) => i), k0, k1, 2, 4), 0xa129ca6149be45e5n);
  });
  it('the allocation-free u32 version equals the reference, 1-3 rounds, low 32 bits', () => {
    const rnd = prng(3);
    for (const word of [2654435761, 2654446892, 1, 0xffffffff]) {
      const key = repeatedKey(word);
      for (let i = 0; i < 200; i++) {
        const v = i < 3 ? [0, 1, 0xffffffff][i]! : rnd();
        const msg = new Uint8Array(4); new DataView(msg.buffer).setUint32(0, v, true);
        const want = Number(sipRef(msg, BigInt(word), BigInt(word), 1, 3) & 0xffffffffn);
        assert.equal(hsiphashU32(v, key), want, `v=${v} key=${word}`);
      }
    }
  });
});

describe('sched dh', () => {
  it('fills 256 buckets round robin and hashes the destination address', () => {
    const ds = dests([1, 1, 1]);
    const svc = service(ds);
    const st = dh.init(svc, clock);
    assert.equal(st.buckets.length, 256);
    assert.deepEqual(st.buckets.slice(0, 4).map((d) => d!.id), [0, 1, 2, 0]);
    const vip = 0xc6130064;
    assert.equal(dh.schedule(st, svc, packet(1, 1, vip), clock), ds[dhHash(vip) % 3]);
    ds[dhHash(vip) % 3]!.weight = 0;
    assert.equal(dh.schedule(st, svc, packet(1, 1, vip), clock), null, 'no fallback in dh');
  });
});

describe('sched sh', () => {
  it('tiles buckets by weight (A1 B2 C3 -> A B B C C C ...)', () => {
    const st = sh.init(service(dests([1, 2, 3])), clock);
    assert.deepEqual(st.buckets.slice(0, 8).map((d) => 'ABC'[d!.id]).join(''), 'ABBCCCAB');
  });
  for (const weights of [[1, 1, 1, 1], [1, 2, 3, 4], [5, 1, 2]]) {
    it(`100k flows land within 1% of weights ${weights.join(':')}`, () => {
      const svc = service(dests(weights));
      assertWithin1pct(shares(sh, svc, sh.init(svc, clock)), weights);
    });
  }
  it('same client, same server; sh-port spreads one client over servers', () => {
    const svc = service(dests([1, 1, 1, 1]));
    const st = sh.init(svc, clock);
    const a = sh.schedule(st, svc, packet(0xc6120105, 1000), clock);
    for (let p = 1001; p < 1100; p++) assert.equal(sh.schedule(st, svc, packet(0xc6120105, p), clock), a);
    const svcP = service(svc.dests as Dest[], ['sh-port']);
    const seen = new Set<Dest | null>();
    for (let p = 1000; p < 1100; p++) seen.add(sh.schedule(st, svcP, packet(0xc6120105, p), clock));
    assert.ok(seen.size > 1);
  });
  it('unusable bucket owner: null, or another server with sh-fallback', () => {
    const ds = dests([1, 1]);
    const svc = service(ds);
    const st = sh.init(svc, clock);
    const p = packet(0xc6120107);
    const owner = sh.schedule(st, svc, p, clock)!;
    owner.flags |= DestFlags.OVERLOAD;
    assert.equal(sh.schedule(st, svc, p, clock), null);
    const other = sh.schedule(st, service(ds, ['sh-fallback']), p, clock);
    assert.ok(other !== null && other !== owner);
  });
});

describe('sched mh', () => {
  for (const weights of [[1, 1, 1, 1], [1, 2, 3, 4], [100, 50, 25, 25]]) {
    it(`100k flows land within 1% of weights ${weights.join(':')}`, () => {
      const svc = service(dests(weights));
      assertWithin1pct(shares(mh, svc, mh.init(svc, clock)), weights);
    });
  }
  it('two directors with the same list build the same table', () => {
    const a = mh.init(service(dests([3, 1, 2, 5])), clock);
    const b = mh.init(service(dests([3, 1, 2, 5])), clock);
    assert.deepEqual(Array.from(a.lookup), Array.from(b.lookup));
    assert.equal(a.lookup.length, 4093);
    assert.ok(!a.lookup.includes(-1), 'every slot filled');
  });
  it('65537 slots via schedOptions; a bad size is a clear error', () => {
    assert.equal(mh.init(service(dests([1, 1]), [], { mhTableSize: 65537 }), clock).lookup.length, 65537);
    assert.throws(() => mh.init(service(dests([1]), [], { mhTableSize: 1000 }), clock), /mhTableSize 1000 is not one of/);
  });
  it('removing 1 of 10 servers moves about 1/10 of flows', () => {
    const ds = dests(new Array(10).fill(1));
    const before = mh.init(service(ds), clock);
    const after = mh.init(service(ds.filter((d) => d.id !== 4)), clock);
    const rnd = prng(9);
    let moved = 0;
    for (let i = 0; i < FLOWS; i++) {
      const p = packet(rnd());
      const a = mh.schedule(before, service(ds), p, clock)!;
      const b = mh.schedule(after, service(ds.filter((d) => d.id !== 4)), p, clock)!;
      if (a !== b) moved++;
    }
    const frac = moved / FLOWS;
    assert.ok(frac > 0.09 && frac < 0.13, `moved ${(frac * 100).toFixed(2)}%`);
  });
  it('weight 0 keeps its slots: its flows get null (or fallback), others do not move', () => {
    const ds = dests([1, 1, 1]);
    const svc = service(ds);
    const st = mh.init(svc, clock);
    const table = Array.from(st.lookup);
    ds[1]!.weight = 0;
    mh.update(st, svc, clock);
    assert.deepEqual(Array.from(st.lookup), table);
    const rnd = prng(5);
    let nulls = 0, fallbacks = 0;
    for (let i = 0; i < 3000; i++) {
      const p = packet(rnd());
      if (mh.schedule(st, svc, p, clock) === null) nulls++;
      const f = mh.schedule(st, service(ds, ['mh-fallback']), p, clock);
      if (f !== null && f.id !== 1) fallbacks++;
    }
    assert.ok(nulls > 800 && nulls < 1200, `${nulls} flows had the quiesced server`);
    assert.equal(fallbacks, 3000);
  });
  it('mh-port spreads one client over servers', () => {
    const svc = service(dests([1, 1, 1, 1]), ['mh-port']);
    const st = mh.init(svc, clock);
    const seen = new Set<number>();
    for (let p = 1000; p < 1050; p++) seen.add(mh.schedule(st, svc, packet(0xc6120105, p), clock)!.id);
    assert.ok(seen.size >= 3);
  });
});
