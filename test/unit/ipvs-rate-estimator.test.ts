// The IPVS rate estimator against sequences worked out by hand from ip_vs_est.c's arithmetic:
// sample = 2 s delta << 9 (conns, packets) or << 4 (bytes); avg += (sample - avg) >> 2;
// read = (avg + 511) >> 10 or (avg + 15) >> 5.
import assert from 'node:assert/strict';
import { ESTIMATOR_INTERVAL_MS, RateEstimator, type CounterReading } from '../../src/ipvs/rate-estimator.js';

class FakeClock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
}

const reading = (conns: number, inPkts = 0, outPkts = 0, inBytes = 0, outBytes = 0): CounterReading =>
  ({ conns, inPkts, outPkts, inBytes, outBytes });

/** Feeds `per2s` growth every 2 s for `samples` intervals and returns the cps after each. */
function cpsSequence(per2s: number, samples: number): number[] {
  const clock = new FakeClock();
  const est = new RateEstimator(clock, reading(0));
  const out: number[] = [];
  for (let i = 1; i <= samples; i++) {
    clock.t += ESTIMATOR_INTERVAL_MS;
    est.update(reading(per2s * i));
    out.push(est.read().cps);
  }
  return out;
}

describe('IPVS rate estimator (ip_vs_est.c)', () => {
  it('climbs toward a steady 500 conn/s as the kernel does', () => {
    // 1000 conns per 2 s: sample 512000; avg 128000, 224000, 296000, 350000, 390500.
    assert.deepEqual(cpsSequence(1000, 5), [125, 219, 289, 342, 381]);
    const minute = cpsSequence(1000, 30);
    assert.deepEqual([minute[23], minute[24], minute[29]], [499, 500, 500], 'reaches 500 at the 25th sample (50 s)');
  });

  it('scales packets like connections and bytes by << 4 and >> 5', () => {
    const clock = new FakeClock();
    const est = new RateEstimator(clock, reading(0));
    // 64000 bytes and 200 packets in, 20 out per 2 s: byte sample 1024000 -> avg 256000, 448000, 592000.
    const expected = [
      { cps: 0, inPps: 25, outPps: 2, inBps: 8000, outBps: 1000 },
      { cps: 0, inPps: 44, outPps: 4, inBps: 14000, outBps: 1750 },
      { cps: 0, inPps: 58, outPps: 6, inBps: 18500, outBps: 2312 },
    ];
    expected.forEach((rates, i) => {
      clock.t += ESTIMATOR_INTERVAL_MS;
      est.update(reading(0, 200 * (i + 1), 20 * (i + 1), 64000 * (i + 1), 8000 * (i + 1)));
      assert.deepEqual(est.read(), rates);
    });
  });

  it('decays to exactly 0 when traffic stops', () => {
    const clock = new FakeClock();
    const est = new RateEstimator(clock, reading(0));
    clock.t += ESTIMATOR_INTERVAL_MS;
    est.update(reading(1000));
    const seen: number[] = [];
    for (let i = 0; i < 60; i++) {
      clock.t += ESTIMATOR_INTERVAL_MS;
      est.update(reading(1000));
      seen.push(est.read().cps);
    }
    assert.deepEqual(seen.slice(0, 4), [94, 70, 53, 40]);
    assert.equal(seen.at(-1), 0);
  });

  it('samples only on the 2 s grid', () => {
    const clock = new FakeClock();
    const est = new RateEstimator(clock, reading(0));
    clock.t += ESTIMATOR_INTERVAL_MS - 1;
    est.update(reading(1000));
    assert.equal(est.read().cps, 0);
    clock.t += 1;
    est.update(reading(1000));
    assert.equal(est.read().cps, 125);
    clock.t += 1500;
    est.update(reading(5000));
    assert.equal(est.read().cps, 125, 'the next sample is due 2 s after the last one, not 2 s after this call');
  });

  it('spreads growth over the intervals a late update missed', () => {
    const clock = new FakeClock();
    const est = new RateEstimator(clock, reading(0));
    clock.t += 3 * ESTIMATOR_INTERVAL_MS + 500;
    est.update(reading(3000));
    assert.equal(est.read().cps, cpsSequence(1000, 3).at(-1));
    clock.t += ESTIMATOR_INTERVAL_MS - 500;
    est.update(reading(4000));
    assert.equal(est.read().cps, cpsSequence(1000, 4).at(-1), 'the grid keeps its phase');
  });

  it('bounds the catch-up after a long stall and still lands on the average rate', () => {
    const clock = new FakeClock();
    const est = new RateEstimator(clock, reading(0));
    clock.t += 1000 * ESTIMATOR_INTERVAL_MS;
    est.update(reading(1000 * 1000));
    assert.equal(est.read().cps, 500);
  });

  it('zeroes like ip_vs_zero_estimator: rates 0, growth counted from the zeroing reading', () => {
    const clock = new FakeClock();
    const est = new RateEstimator(clock, reading(0));
    for (let i = 1; i <= 10; i++) {
      clock.t += ESTIMATOR_INTERVAL_MS;
      est.update(reading(1000 * i));
    }
    est.zero(reading(10000));
    assert.equal(est.read().cps, 0);
    clock.t += ESTIMATOR_INTERVAL_MS;
    est.update(reading(11000));
    assert.equal(est.read().cps, 125);
  });

  it('counts a counter that went backwards as no growth', () => {
    const clock = new FakeClock();
    const est = new RateEstimator(clock, reading(5000));
    clock.t += ESTIMATOR_INTERVAL_MS;
    est.update(reading(10));
    assert.equal(est.read().cps, 0);
    clock.t += ESTIMATOR_INTERVAL_MS;
    est.update(reading(1010));
    assert.equal(est.read().cps, 125);
  });
});
