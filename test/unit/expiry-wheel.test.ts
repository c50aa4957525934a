import assert from 'node:assert/strict';
import { ExpiryWheel } from '../../src/conntable/expiry-wheel.js';

function collect(w: ExpiryWheel, now: number): number[] {
  const out: number[] = [];
  w.advance(now, (e) => out.push(e));
  return out.sort((a, b) => a - b);
}

describe('ExpiryWheel', () => {
  it('expires entries at their deadline, not before', () => {
    const w = new ExpiryWheel(8, 0);
    w.schedule(0, 5);
    w.schedule(1, 7);
    assert.deepEqual(collect(w, 4), []);
    assert.deepEqual(collect(w, 5), [0]);
    assert.deepEqual(collect(w, 6), []);
    assert.deepEqual(collect(w, 7), [1]);
  });

  it('extends a deadline lazily and shortens it at once', () => {
    const w = new ExpiryWheel(8, 0);
    w.schedule(0, 10);
    w.schedule(1, 900);
    w.touch(0, 20);   // extended: stays filed at 10, re-filed then
    w.touch(1, 30);   // shortened: must not wait until 900
    assert.deepEqual(collect(w, 19), []);
    assert.deepEqual(collect(w, 20), [0]);
    assert.deepEqual(collect(w, 30), [1]);
  });

  it('handles deadlines beyond one turn of the wheel and long pauses', () => {
    const w = new ExpiryWheel(8, 0);
    w.schedule(0, 3000);
    w.schedule(1, 50);
    assert.deepEqual(collect(w, 2000), [1]);
    assert.deepEqual(collect(w, 2999), []);
    assert.deepEqual(collect(w, 5000), [0]);
  });

  it('expires an entry shortened to the past at the next advance', () => {
    const w = new ExpiryWheel(8, 100);
    w.schedule(3, 500);
    w.touch(3, 50);
    assert.deepEqual(collect(w, 101), [3]);
  });
});
