// Slow start ramps and the Down->Up simulation under wlc; load feedback parsing and smoothing.
import assert from 'node:assert/strict';
import { createSlowStart, rampWeight } from '../../src/sched/slow-start.js';
import { feedbackStep, newFeedbackState, parseAgentReply, parseMiscDynamic } from '../../src/sched/load-feedback.js';
import { DEFAULT_DOWN_UP, simulateDownUp } from '../../tools/sim-down-up.js';
import { dest, FakeClock } from './sched-fixtures.js';

describe('sched slow start', () => {
  it('ramps in bounded integer steps from a small share to the full weight', () => {
    const clock = new FakeClock();
    const ss = createSlowStart({ rampMs: 10_000 }); // 10 steps, one a second
    const d = dest(0, 0);
    ss.begin(d, 100, clock.now());
    const seen = [d.weight];
    let updates = 0;
    for (let t = 0; t <= 12_000; t += 250) {
      clock.t = t;
      if (ss.tick(t)) { updates++; seen.push(d.weight); }
    }
    assert.deepEqual(seen, [9, 18, 27, 36, 45, 55, 64, 73, 82, 91, 100]);
    assert.equal(updates, 10, 'one scheduler update per step');
    assert.equal(ss.isRamping(d), false);
  });
  it('off by default (rampMs 0): full weight at once; a weight-1 server ramps at 1', () => {
    const d = dest(0, 0);
    createSlowStart({ rampMs: 0 }).begin(d, 5, 0);
    assert.equal(d.weight, 5);
    assert.equal(rampWeight(1, 0, 10), 1);
    assert.equal(rampWeight(0, 3, 10), 0);
  });
  it('setTarget mid-ramp rescales; cancel stops it', () => {
    const ss = createSlowStart({ rampMs: 4000, steps: 4 });
    const d = dest(0, 0);
    ss.begin(d, 100, 0);
    assert.equal(d.weight, 20);
    ss.setTarget(d, 50);
    assert.equal(d.weight, 10);
    ss.cancel(d);
    assert.equal(ss.tick(10_000), false);
  });
  it('rejects bad configuration with a clear error', () => {
    assert.throws(() => createSlowStart({ rampMs: -1 }), /ramp must be >= 0/);
    assert.throws(() => createSlowStart({ rampMs: 1000, steps: 0 }), /steps must be an integer >= 1/);
  });
});

describe('sched Down->Up under wlc, 1000 new connections/s (simulation)', () => {
  const fair = 1 / DEFAULT_DOWN_UP.servers;
  it('without slow start the recovered server takes ~100% of new connections at first', () => {
    const r = simulateDownUp({ ...DEFAULT_DOWN_UP, rampMs: 0 });
    assert.ok(r[0]!.share > 0.95, `second 0: ${r[0]!.share}`);
    assert.ok(r[1]!.share > 0.95, `second 1: ${r[1]!.share}`);
    assert.ok(Math.abs(r[20]!.share - fair) < 0.05);
  });
  it('with a 30 s slow start its share rises smoothly to the fair share, never jumping', () => {
    const r = simulateDownUp({ ...DEFAULT_DOWN_UP, rampMs: 30_000 });
    assert.ok(r[0]!.share < 0.2, `second 0: ${r[0]!.share}`);
    for (let s = 1; s < r.length; s++) {
      assert.ok(Math.abs(r[s]!.share - r[s - 1]!.share) < 0.1, `jump at second ${s}`);
    }
    assert.ok(Math.max(...r.map((x) => x.share)) < 0.4, 'never near 100%');
    const tail = r.slice(-10).reduce((a, x) => a + x.share, 0) / 10;
    assert.ok(Math.abs(tail - fair) < 0.03, `tail share ${tail}`);
  });
});

describe('sched load feedback', () => {
  it('misc_dynamic exit codes', () => {
    assert.deepEqual(parseMiscDynamic(0), { kind: 'keep' });
    assert.deepEqual(parseMiscDynamic(1), { kind: 'fail' });
    assert.deepEqual(parseMiscDynamic(2), { kind: 'weight', weight: 0 });
    assert.deepEqual(parseMiscDynamic(255), { kind: 'weight', weight: 253 });
    assert.throws(() => parseMiscDynamic(256), /0\.\.255/);
  });
  it('agent replies', () => {
    assert.deepEqual(parseAgentReply('75%'), [{ kind: 'percent', percent: 75 }]);
    assert.deepEqual(parseAgentReply(' 50% up\n'), [{ kind: 'percent', percent: 50 }, { kind: 'keep' }]);
    assert.deepEqual(parseAgentReply('drain'), [{ kind: 'percent', percent: 0 }]);
    assert.deepEqual(parseAgentReply('DOWN'), [{ kind: 'fail' }]);
    assert.throws(() => parseAgentReply('150%'), /exceeds 100%/);
    assert.throws(() => parseAgentReply('banana'), /not NN%/);
    assert.throws(() => parseAgentReply('  '), /empty/);
  });
  it('smooths: noisy 50%/100% reports settle instead of flipping each time', () => {
    const s = newFeedbackState(100);
    const applied: number[] = [];
    for (let i = 0; i < 40; i++) applied.push(feedbackStep(s, { kind: 'percent', percent: i % 2 ? 100 : 50 }));
    const changes = applied.filter((w, i) => i > 0 && w !== applied[i - 1]).length;
    assert.ok(changes <= 3, `applied weight changed ${changes} times: ${applied.join(',')}`);
    assert.ok(Math.abs(applied.at(-1)! - 75) <= 12);
  });
  it('follows a sustained change and reaches it; fail marks down without touching the weight', () => {
    const s = newFeedbackState(100);
    let w = 100;
    for (let i = 0; i < 30; i++) w = feedbackStep(s, { kind: 'percent', percent: 20 });
    assert.ok(Math.abs(w - 20) <= 10, `w=${w}`);
    feedbackStep(s, { kind: 'fail' });
    assert.equal(s.down, true);
    assert.equal(s.applied, w);
    feedbackStep(s, { kind: 'keep' });
    assert.equal(s.down, false);
    for (let i = 0; i < 60; i++) w = feedbackStep(s, { kind: 'weight', weight: 0 });
    assert.equal(w, 0, 'reaches exactly 0 (drain)');
  });
});
