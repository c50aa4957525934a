// The shared health dampener: flips only after `fall` failures / `rise` successes in a row,
// keepalived's first-result rule, retry spacing while a flip is pending, alpha start.
import { strict as assert } from 'node:assert';
import { createDampener, type DampenerConfig } from '../../src/health/dampener.js';

function fakeClock(): { now: () => number; t: number } {
  const c = { t: 0, now: () => c.t };
  return c;
}

const base: DampenerConfig = { fall: 3, rise: 2, intervalMs: 1000, retryMs: 250 };

/** Feeds results in order; returns "U"/"D" per step, with "*" on a flip and the next delay. */
function walk(cfg: DampenerConfig, results: string): string[] {
  const d = createDampener(cfg, fakeClock());
  return [...results].map((r) => {
    const v = d.observe(r === '+');
    return `${v.up ? 'U' : 'D'}${v.changed ? '*' : ''}${v.nextInMs}`;
  });
}

describe('health dampener', () => {
  const table: Array<{ title: string; cfg: DampenerConfig; results: string; want: string[] }> = [
    {
      title: 'steady successes stay Up at the interval',
      cfg: base, results: '+++', want: ['U1000', 'U1000', 'U1000'],
    },
    {
      title: 'keepalived: the very first failure is enough to go Down',
      cfg: base, results: '-', want: ['D*1000'],
    },
    {
      title: 'after the first result, Down needs fall failures in a row, retried at retryMs',
      cfg: base, results: '+---', want: ['U1000', 'U250', 'U250', 'D*1000'],
    },
    {
      title: 'a success in between resets the count (no flip on 2 + 2 failures with fall 3)',
      cfg: base, results: '+--+--', want: ['U1000', 'U250', 'U250', 'U1000', 'U250', 'U250'],
    },
    {
      title: 'Up again needs rise successes in a row',
      cfg: base, results: '+---+-++', want: ['U1000', 'U250', 'U250', 'D*1000', 'D250', 'D1000', 'D250', 'U*1000'],
    },
    {
      title: 'fall 1 / rise 1 (keepalived retry 0) follows every result',
      cfg: { ...base, fall: 1, rise: 1 }, results: '+-+-', want: ['U1000', 'D*1000', 'U*1000', 'D*1000'],
    },
    {
      title: 'alpha: starts Down; a first success brings it Up at once',
      cfg: { ...base, startDown: true }, results: '+', want: ['U*1000'],
    },
    {
      title: 'alpha: after a first failure, Up needs rise successes',
      cfg: { ...base, startDown: true }, results: '-++', want: ['D1000', 'D250', 'U*1000'],
    },
  ];
  for (const t of table) {
    it(t.title, () => assert.deepEqual(walk(t.cfg, t.results), t.want));
  }

  it('snapshot: pending count, time of the last flip, results seen', () => {
    const clock = fakeClock();
    const d = createDampener(base, clock);
    d.observe(true);
    clock.t = 5000;
    d.observe(false);
    assert.deepEqual(d.snapshot(), { up: true, pending: 1, since: 0, results: 2 });
    clock.t = 6000;
    d.observe(false);
    d.observe(false);
    assert.deepEqual(d.snapshot(), { up: false, pending: 0, since: 6000, results: 4 });
  });

  it('rejects bad settings with a clear error', () => {
    assert.throws(() => createDampener({ ...base, fall: 0 }, fakeClock()), /fall must be an integer >= 1, got 0/);
    assert.throws(() => createDampener({ ...base, rise: 1.5 }, fakeClock()), /rise must be an integer >= 1/);
    assert.throws(() => createDampener({ ...base, intervalMs: 0 }, fakeClock()), /interval must be > 0/);
  });
});
