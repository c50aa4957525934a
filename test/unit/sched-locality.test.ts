// lblc and lblcr: stickiness per destination address, the overload rule (active > weight while
// another server is under half load), lblcr set growth and shrinking, and cache expiry.
import assert from 'node:assert/strict';
import { lblc } from '../../src/sched/lblc.js';
import { lblcr } from '../../src/sched/lblcr.js';
import { CHECK_EXPIRE_INTERVAL_MS, COUNT_FOR_FULL_EXPIRATION } from '../../src/sched/locality.js';
import { DestFlags } from '../../src/sched/types.js';
import { dests, FakeClock, nameOf, packet, service } from './sched-fixtures.js';

const CACHE_A = 0xc6130101;
const CACHE_B = 0xc6130102;

describe('sched lblc', () => {
  it('sticks a destination address to one server while it is not overloaded', () => {
    const clock = new FakeClock();
    const ds = dests([4, 4, 4]);
    const svc = service(ds);
    const st = lblc.init(svc, clock);
    assert.equal(nameOf(lblc.schedule(st, svc, packet(1, 1, CACHE_A), clock)), 'A');
    ds[0]!.activeConns = 4; // == weight: not overloaded yet
    assert.equal(nameOf(lblc.schedule(st, svc, packet(2, 1, CACHE_A), clock)), 'A');
    assert.equal(nameOf(lblc.schedule(st, svc, packet(3, 1, CACHE_B), clock)), 'B', 'wlc for a new address');
  });
  const overload: { desc: string; others: [number, number][]; want: string }[] = [
    { desc: 'active > weight and another under half: move', others: [[4, 1], [4, 3]], want: 'B' },
    { desc: 'active > weight but nobody under half: stay', others: [[4, 2], [4, 3]], want: 'A' },
  ];
  for (const c of overload) {
    it(c.desc, () => {
      const clock = new FakeClock();
      const ds = dests([4, ...c.others.map(([w]) => w)]);
      const svc = service(ds);
      const st = lblc.init(svc, clock);
      lblc.schedule(st, svc, packet(1, 1, CACHE_A), clock);
      ds[0]!.activeConns = 5;
      c.others.forEach(([, a], i) => (ds[i + 1]!.activeConns = a));
      assert.equal(nameOf(lblc.schedule(st, svc, packet(2, 1, CACHE_A), clock)), c.want);
    });
  }
  it('leaves a server over its threshold, quiesced or removed', () => {
    const clock = new FakeClock();
    const ds = dests([1, 1, 1]);
    let svc = service(ds);
    const st = lblc.init(svc, clock);
    lblc.schedule(st, svc, packet(1, 1, CACHE_A), clock);
    ds[0]!.flags |= DestFlags.OVERLOAD;
    assert.equal(nameOf(lblc.schedule(st, svc, packet(1, 1, CACHE_A), clock)), 'B');
    ds[1]!.weight = 0;
    assert.equal(nameOf(lblc.schedule(st, svc, packet(1, 1, CACHE_A), clock)), 'C');
    svc = service([ds[0]!, ds[1]!]);
    lblc.update(st, svc, clock);
    assert.equal(st.entries.size, 0);
  });
  it('expires entries idle longer than the expiration on the 30th check', () => {
    const clock = new FakeClock();
    const svc = service(dests([1, 1]), [], { expiration: 600 });
    const st = lblc.init(svc, clock);
    lblc.schedule(st, svc, packet(1, 1, CACHE_A), clock);
    clock.advance(CHECK_EXPIRE_INTERVAL_MS * COUNT_FOR_FULL_EXPIRATION - 1);
    lblc.schedule(st, svc, packet(1, 1, CACHE_B), clock);
    assert.equal(st.entries.size, 2);
    clock.advance(1); // the 30th check, at 30 min, is the full one
    lblc.schedule(st, svc, packet(1, 1, CACHE_B), clock);
    assert.deepEqual([...st.entries.keys()], [CACHE_B]);
  });
});

describe('sched lblcr', () => {
  it('grows the set under overload, serves the least loaded member, shrinks after expiration', () => {
    const clock = new FakeClock();
    const ds = dests([4, 4, 4]);
    const svc = service(ds, [], { expiration: 60 });
    const st = lblcr.init(svc, clock);
    assert.equal(nameOf(lblcr.schedule(st, svc, packet(1, 1, CACHE_A), clock)), 'A');
    ds[0]!.activeConns = 5; // A overloaded, C idle (under half)
    ds[1]!.activeConns = 3;
    assert.equal(nameOf(lblcr.schedule(st, svc, packet(2, 1, CACHE_A), clock)), 'C');
    assert.deepEqual(st.entries.get(CACHE_A)!.set.map(nameOf), ['C', 'A'], 'newest first');
    ds[2]!.activeConns = 1;
    assert.equal(nameOf(lblcr.schedule(st, svc, packet(3, 1, CACHE_A), clock)), 'C', 'set min');
    ds[0]!.activeConns = 0;
    assert.equal(nameOf(lblcr.schedule(st, svc, packet(4, 1, CACHE_A), clock)), 'A', 'A drained: least in set');
    ds[0]!.activeConns = 3;
    clock.advance(61_000); // set unchanged for longer than the expiration: drop the most loaded
    lblcr.schedule(st, svc, packet(5, 1, CACHE_A), clock);
    assert.deepEqual(st.entries.get(CACHE_A)!.set.map(nameOf), ['C']);
  });
  it('removed dests leave every set', () => {
    const clock = new FakeClock();
    const ds = dests([1, 1]);
    const st = lblcr.init(service(ds), clock);
    lblcr.schedule(st, service(ds), packet(1, 1, CACHE_A), clock);
    lblcr.update(st, service([ds[1]!]), clock);
    assert.deepEqual(st.entries.get(CACHE_A)!.set, []);
    assert.equal(nameOf(lblcr.schedule(st, service([ds[1]!]), packet(1, 1, CACHE_A), clock)), 'B');
  });
});
