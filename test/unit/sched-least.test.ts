// Chosen server for given connection counts: lc, wlc, sed, nq, fo, ovf, twos.
import assert from 'node:assert/strict';
import { getScheduler } from '../../src/sched/registry.js';
import { DestFlags } from '../../src/sched/types.js';
import { dest, FakeClock, nameOf, packet, service } from './sched-fixtures.js';

const clock = new FakeClock();

/** [weight, active, inactive, overloaded?] per dest. */
type Row = [number, number, number, boolean?];

function pickWith(name: string, rows: Row[]): string {
  const ds = rows.map(([w, a, i, o], k) => dest(k, w, { activeConns: a, inactConns: i, flags: DestFlags.AVAILABLE | (o ? DestFlags.OVERLOAD : 0) }));
  const s = getScheduler(name);
  const svc = service(ds);
  return nameOf(s.schedule(s.init(svc, clock), svc, packet(1), clock));
}

const cases: { sched: string; desc: string; rows: Row[]; want: string }[] = [
  // lc: overhead = active * 256 + inactive, weights ignored except 0.
  { sched: 'lc', desc: 'fewest active', rows: [[1, 5, 0], [1, 3, 0], [1, 4, 0]], want: 'B' },
  { sched: 'lc', desc: 'inactive counts 1/256', rows: [[1, 1, 0], [1, 0, 255], [1, 0, 256]], want: 'B' },
  { sched: 'lc', desc: 'tie: first in list', rows: [[1, 2, 0], [1, 2, 0]], want: 'A' },
  { sched: 'lc', desc: 'weight 0 never wins', rows: [[0, 0, 0], [1, 9, 0]], want: 'B' },
  { sched: 'lc', desc: 'overloaded skipped', rows: [[1, 0, 0, true], [1, 9, 0]], want: 'B' },
  { sched: 'lc', desc: 'none usable', rows: [[0, 0, 0], [1, 0, 0, true]], want: '-' },
  // wlc: overhead / weight without division.
  { sched: 'wlc', desc: 'per weight', rows: [[1, 2, 0], [3, 5, 0]], want: 'B' }, // 512/1 vs 1280/3
  { sched: 'wlc', desc: 'tie on ratio: first', rows: [[1, 1, 0], [2, 2, 0]], want: 'A' },
  { sched: 'wlc', desc: 'weight 0 never wins even idle', rows: [[2, 4, 0], [0, 0, 0]], want: 'A' },
  { sched: 'wlc', desc: 'first is weight 0', rows: [[0, 0, 0], [2, 4, 0], [1, 1, 0]], want: 'C' },
  { sched: 'wlc', desc: 'overloaded skipped', rows: [[5, 0, 0, true], [1, 3, 0]], want: 'B' },
  { sched: 'wlc', desc: 'inactive tips it', rows: [[1, 1, 1], [1, 1, 0]], want: 'B' },
  { sched: 'wlc', desc: 'big numbers exact (65535 weight, 10M conns)', rows: [[65535, 10_000_000, 0], [65534, 9_999_800, 0]], want: 'B' },
  // sed: (active + 1) / weight, inactive ignored.
  { sched: 'sed', desc: 'idle heavy server first', rows: [[1, 0, 0], [3, 1, 0]], want: 'B' }, // 1/1 vs 2/3
  { sched: 'sed', desc: 'inactive ignored', rows: [[1, 0, 900], [1, 1, 0]], want: 'A' },
  { sched: 'sed', desc: 'tie: first', rows: [[2, 1, 0], [1, 0, 0]], want: 'A' }, // 2/2 vs 1/1
  // nq: first idle, else sed.
  { sched: 'nq', desc: 'first idle wins over better ratio', rows: [[10, 1, 0], [1, 0, 0], [1, 0, 0]], want: 'B' },
  { sched: 'nq', desc: 'no idle: sed', rows: [[1, 1, 0], [4, 3, 0]], want: 'B' }, // 2/1 vs 4/4
  { sched: 'nq', desc: 'idle but weight 0 skipped', rows: [[0, 0, 0], [1, 2, 0]], want: 'B' },
  // fo: highest weight.
  { sched: 'fo', desc: 'highest weight', rows: [[1, 0, 0], [5, 100, 0], [5, 0, 0]], want: 'B' },
  { sched: 'fo', desc: 'highest overloaded: next', rows: [[1, 0, 0], [5, 0, 0, true], [3, 0, 0]], want: 'C' },
  // ovf: highest weight whose active <= weight.
  { sched: 'ovf', desc: 'highest weight with room', rows: [[10, 10, 0], [5, 0, 0]], want: 'A' },
  { sched: 'ovf', desc: 'overflow to next', rows: [[10, 11, 0], [5, 0, 0], [3, 0, 0]], want: 'B' },
  { sched: 'ovf', desc: 'all full', rows: [[1, 2, 0], [1, 3, 0]], want: '-' },
];

describe('sched least-connection family and friends', () => {
  for (const c of cases) it(`${c.sched}: ${c.desc}`, () => assert.equal(pickWith(c.sched, c.rows), c.want));
});

describe('sched twos', () => {
  it('picks only usable dests, prefers the less loaded of two, and repeats with a seed', () => {
    const mk = () => [dest(0, 1, { activeConns: 50 }), dest(1, 1), dest(2, 0), dest(3, 1, { flags: DestFlags.AVAILABLE | DestFlags.OVERLOAD })];
    const s = getScheduler('twos');
    const counts = [0, 0, 0, 0];
    const picks: string[] = [];
    const ds = mk();
    const svc = service(ds, [], { seed: 7 });
    const st = s.init(svc, clock);
    for (let i = 0; i < 2000; i++) {
      const d = s.schedule(st, svc, packet(i), clock)!;
      counts[d.id]!++;
      if (i < 20) picks.push(nameOf(d));
    }
    assert.equal(counts[2], 0);
    assert.equal(counts[3], 0);
    // As the kernel, r is drawn from [0, total] inclusive, so A is picked 2/3 of the time and
    // wins only when both picks are A: 4/9.
    assert.ok(counts[0]! > 800 && counts[0]! < 980, `A got ${counts[0]}`);
    const svc2 = service(mk(), [], { seed: 7 });
    const st2 = s.init(svc2, clock);
    const again = Array.from({ length: 20 }, (_, i) => nameOf(s.schedule(st2, svc2, packet(i), clock)));
    assert.deepEqual(again, picks);
  });
});
