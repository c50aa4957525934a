// rr and wrr sequences, pinned to ip_vs_rr.c / ip_vs_wrr.c behaviour.
import assert from 'node:assert/strict';
import { rr } from '../../src/sched/rr.js';
import { wrr } from '../../src/sched/wrr.js';
import { DestFlags } from '../../src/sched/types.js';
import type { Scheduler, SchedService } from '../../src/sched/types.js';
import { dests, FakeClock, nameOf, packet, service } from './sched-fixtures.js';

const clock = new FakeClock();

function run<S>(s: Scheduler<S>, svc: SchedService, n: number, state = s.init(svc, clock)): string {
  let out = '';
  for (let i = 0; i < n; i++) out += nameOf(s.schedule(state, svc, packet(1), clock));
  return out;
}

describe('sched rr', () => {
  const cases: { desc: string; weights: number[]; overloaded?: number[]; n: number; want: string }[] = [
    { desc: 'three equal', weights: [1, 1, 1], n: 7, want: 'ABCABCA' },
    { desc: 'weights ignored', weights: [5, 1, 3], n: 6, want: 'ABCABC' },
    { desc: 'weight 0 skipped', weights: [1, 0, 1], n: 4, want: 'ACAC' },
    { desc: 'overloaded skipped', weights: [1, 1, 1], overloaded: [0], n: 4, want: 'BCBC' },
    { desc: 'none usable', weights: [0, 0], n: 2, want: '--' },
    { desc: 'empty service', weights: [], n: 1, want: '-' },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const ds = dests(c.weights);
      for (const i of c.overloaded ?? []) ds[i]!.flags |= DestFlags.OVERLOAD;
      assert.equal(run(rr, service(ds), c.n), c.want);
    });
  }

  it('keeps its place when a dest is added, moves back when its dest is removed', () => {
    const ds = dests([1, 1, 1]);
    const svc = service(ds);
    const st = rr.init(svc, clock);
    assert.equal(run(rr, svc, 2, st), 'AB');
    const grown = service([...ds, ...dests([1, 1, 1, 1]).slice(3)]);
    rr.update(st, grown, clock);
    assert.equal(run(rr, grown, 3, st), 'CDA');
    const shrunk = service([ds[0]!, ds[2]!]); // cursor was A: stays on A
    rr.update(st, shrunk, clock);
    assert.equal(run(rr, shrunk, 2, st), 'CA');
    const noA = service([ds[2]!]); // cursor A removed: back to the head
    rr.update(st, noA, clock);
    assert.equal(run(rr, noA, 2, st), 'CC');
  });
});

describe('sched wrr', () => {
  const cases: { desc: string; weights: number[]; n: number; want: string }[] = [
    { desc: 'A4 B3 C2 (issue example)', weights: [4, 3, 2], n: 9, want: 'AABABCABC' },
    { desc: 'A4 B3 C2 repeats', weights: [4, 3, 2], n: 18, want: 'AABABCABC'.repeat(2) },
    { desc: 'gcd 2: A4 B2', weights: [4, 2], n: 6, want: 'AABAAB' },
    { desc: 'equal weights act like rr', weights: [3, 3, 3], n: 6, want: 'ABCABC' },
    { desc: 'weight 0 never chosen', weights: [2, 0, 1], n: 6, want: 'AACAAC' },
    { desc: 'all zero: nothing', weights: [0, 0], n: 2, want: '--' },
    { desc: 'large weights 100:50 (gcd 50, mw = 100 - 49)', weights: [100, 50], n: 6, want: 'AABAAB' },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.equal(run(wrr, service(dests(c.weights)), c.n), c.want));
  }

  it('counts exactly in proportion over a full cycle', () => {
    const svc = service(dests([5, 3, 1]));
    const seq = run(wrr, svc, 9 * 20);
    for (const [name, w] of [['A', 5], ['B', 3], ['C', 1]] as const) {
      assert.equal(seq.split('').filter((x) => x === name).length, w * 20);
    }
  });

  it('skips overloaded dests and returns null when all are overloaded', () => {
    const ds = dests([4, 3, 2]);
    ds[0]!.flags |= DestFlags.OVERLOAD;
    const svc = service(ds);
    assert.equal(run(wrr, svc, 5), 'BBCBC');
    for (const d of ds) d.flags |= DestFlags.OVERLOAD;
    assert.equal(run(wrr, svc, 1), '-');
  });

  it('restarts from the head on update, keeping cw (ip_vs_wrr_dest_changed)', () => {
    const ds = dests([4, 3, 2]);
    const svc = service(ds);
    const st = wrr.init(svc, clock);
    assert.equal(run(wrr, svc, 4, st), 'AABA'); // now cw = 2, cursor on A
    ds[2]!.weight = 4; // C up to 4: mw 4, cw stays 2
    wrr.update(st, svc, clock);
    assert.equal(st.cl, -1);
    assert.equal(st.cw, 2);
    assert.equal(run(wrr, svc, 3, st), 'ABC');
  });
});
