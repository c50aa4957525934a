// The health manager with a fake executor and a fake clock: schedules per delay_loop, retries
// per delay_before_retry, warmup, Down within fall checks and back Up with a slow-start ramp,
// all checkers must pass, alpha, load reports, checks that could not run change nothing,
// keepalived-style log lines, stats, stop.
import { strict as assert } from 'node:assert';
import { loggerFrom } from '../../src/log/logger.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { WeightGovernor } from '../../src/control/governor.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { HealthManager } from '../../src/health/manager.js';
import { realServerHealth } from '../../src/health/stats.js';
import type { CheckResult } from '../../src/health/types.js';
import { FakeExecutor } from '../support/fake-executor.js';

const DOWN: CheckResult = { ok: false, detail: 'connect to 198.19.0.11:80: ECONNREFUSED', latencyMs: 0 };

function rig(rsChecks: string, vsExtra = '', random = 0): {
  m: HealthManager; ex: FakeExecutor; clock: { t: number; now(): number }; log: string[]; table: ServiceTable; gov: WeightGovernor;
} {
  const clock = { t: 0, now: () => clock.t };
  const config = parseKeepalivedConfig(`virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo wlc
 lb_kind DR
 delay_loop 1
 ${vsExtra}
 real_server 198.19.0.11 80 {
  weight 100
  ${rsChecks}
 }
 real_server 198.19.0.12 80 { weight 100 }
}`);
  const table = ServiceTable.build(config, clock);
  const ex = new FakeExecutor(clock);
  const log: string[] = [];
  const gov = new WeightGovernor({ table, clock, log: loggerFrom((l) => log.push(l)) });
  const m = new HealthManager({ table, governor: gov, executor: ex, clock, log: loggerFrom((l) => log.push(l)), random: () => random });
  return { m, ex, clock, log, table, gov };
}

/** Advances the fake clock in 100 ms polls up to `ms`, letting checks settle; the governor ticks each second, as the director's timer does. */
async function runUntil(r: ReturnType<typeof rig>, ms: number): Promise<void> {
  while (r.clock.t < ms) {
    r.m.poll();
    await r.m.settled();
    if (r.clock.t % 1000 === 0) r.gov.tick();
    r.clock.t += 100;
  }
}

const TCP = 'TCP_CHECK {\n connect_timeout 1\n retry 2\n delay_before_retry 0.5\n warmup 0\n}';
const weightA = (r: ReturnType<typeof rig>): number => r.table.services[0]!.sched.dests[0]!.weight;

describe('health manager (fake executor, fake clock)', () => {
  it('checks every delay_loop while healthy; servers without checkers are not checked', async () => {
    const r = rig(TCP);
    await runUntil(r, 3050);
    assert.deepEqual(r.ex.runs.map((x) => x.at), [0, 1000, 2000, 3000]);
    assert.ok(r.ex.runs.every((x) => x.key === 'tcp 198.19.0.11:80'));
    assert.equal(r.m.checkCount, 1);
  });

  it('warmup: the first check waits a random share of warmup', async () => {
    const r = rig('TCP_CHECK {\n warmup 4\n}', '', 0.5);
    await runUntil(r, 2500);
    assert.deepEqual(r.ex.runs.map((x) => x.at), [2000]);
  });

  it('goes Down after retry + 1 failures spaced by delay_before_retry, logs like keepalived', async () => {
    const r = rig(TCP);
    await runUntil(r, 1000);
    r.ex.answers.set('tcp 198.19.0.11:80', DOWN);
    await runUntil(r, 3000);
    // ok at 0, fail at 1000 (pending), retries at 1500 and 2000 -> Down at the third failure.
    assert.deepEqual(r.ex.runs.map((x) => x.at).slice(0, 4), [0, 1000, 1500, 2000]);
    assert.equal(weightA(r), 0);
    assert.deepEqual(r.log.slice(0, 2), [
      'TCP check on service 198.19.0.11:80 failed. (connect to 198.19.0.11:80: ECONNREFUSED; 2 retries)',
      'Removing service 198.19.0.11:80 from VS 198.19.0.100:80',
    ]);
  });

  it('comes back Up with a slow-start ramp visible in the weights', async () => {
    const r = rig(TCP, 'slowstart 4');
    r.ex.answers.set('tcp 198.19.0.11:80', DOWN);
    await runUntil(r, 1000);
    assert.equal(weightA(r), 0);
    r.ex.answers.delete('tcp 198.19.0.11:80');
    const weights: number[] = [];
    while (r.clock.t < 7000) {
      await runUntil(r, r.clock.t + 500);
      weights.push(weightA(r));
    }
    const firstUp = weights.findIndex((x) => x > 0);
    const ramp = weights.slice(firstUp);
    assert.ok(ramp[0]! < 50, `starts low: ${weights.join(' ')}`);
    assert.equal(ramp.at(-1), 100);
    assert.ok(new Set(ramp).size >= 4, `several steps: ${weights.join(' ')}`);
    for (let i = 1; i < ramp.length; i++) assert.ok(ramp[i]! >= ramp[i - 1]!);
    assert.ok(r.log.some((l) => l === 'TCP check on service 198.19.0.11:80 succeeded. (fake ok)'));
    assert.ok(r.log.some((l) => /^Adding service 198.19.0.11:80 to VS 198.19.0.100:80 \(weight \d+, slow start over 4 s\)$/.test(l)));
  });

  it('a real server is Up only while all of its checkers are', async () => {
    const r = rig(`${TCP}\nMISC_CHECK {\n misc_path /check.sh\n warmup 0\n}`);
    r.ex.answers.set('misc /check.sh', { ok: false, detail: '/check.sh exited with status 1', latencyMs: 3 });
    await runUntil(r, 500);
    assert.equal(weightA(r), 0);
    assert.ok(r.log.includes('MISC check on service 198.19.0.11:80 failed. (/check.sh exited with status 1; 0 retries)'));
    r.ex.answers.delete('misc /check.sh');
    await runUntil(r, 1500);
    assert.equal(weightA(r), 100);
  });

  it('alpha: starts Down until the first successful check', () => {
    const r = rig(`alpha\n${TCP}`);
    assert.equal(weightA(r), 0);
    assert.deepEqual(r.log, ['Removing service 198.19.0.11:80 from VS 198.19.0.100:80 (alpha: waiting for a successful check)']);
  });

  it('load reports from a passing check feed the governor (agent "50%")', async () => {
    const r = rig('AGENT_CHECK {\n connect_port 9999\n warmup 0\n}');
    r.ex.answers.set('agent 198.19.0.11:9999', { ok: true, detail: 'agent says "50%"', latencyMs: 1, load: { kind: 'percent', percent: 50 } });
    await runUntil(r, 20_000);
    assert.ok(Math.abs(weightA(r) - 50) < 10, `weight ${weightA(r)}`);
  });

  it('stats: each real server\'s health by its id, with or without checkers', async () => {
    const r = rig(TCP);
    r.ex.answers.set('tcp 198.19.0.11:80', DOWN);
    await runUntil(r, 100);
    const [a, b] = r.table.dests.map((d) => realServerHealth(r.m, r.gov, d, r.clock.now()));
    assert.deepEqual([a!.address, a!.state, a!.weight, a!.available, a!.checks[0]!.ok], ['198.19.0.11', 'down', 0, false, false]);
    assert.deepEqual([b!.address, b!.state, b!.checks], ['198.19.0.12', 'up', []]);
  });

  it('a check that could not run (runner restarting) moves health neither way', async () => {
    const r = rig(TCP);
    const notRun = { ok: null, detail: 'checker process restarting', latencyMs: 0 } as const;
    r.ex.answers.set('tcp 198.19.0.11:80', notRun);
    await runUntil(r, 5000);
    assert.ok(r.ex.runs.length >= 5, 'it keeps trying');
    assert.deepEqual([weightA(r), realServerHealth(r.m, r.gov, r.table.dests[0]!, r.clock.now()).state], [100, 'up']);
    assert.deepEqual(r.log, ['TCP check on service 198.19.0.11:80 could not run (checker process restarting); health unchanged']);
    const check = realServerHealth(r.m, r.gov, r.table.dests[0]!, r.clock.now()).checks[0]!;
    assert.deepEqual([check.ok, check.detail, check.pending], [null, 'checker process restarting', 0]);
    // Down, then not-run outcomes in the middle of a recovery neither finish nor undo it.
    r.ex.answers.set('tcp 198.19.0.11:80', DOWN);
    await runUntil(r, 8000);
    assert.equal(weightA(r), 0);
    r.ex.answers.set('tcp 198.19.0.11:80', notRun);
    await runUntil(r, 12_000);
    assert.equal(weightA(r), 0, 'still Down: not-run is not a success');
    r.ex.answers.delete('tcp 198.19.0.11:80');
    await runUntil(r, 14_000);
    assert.equal(weightA(r), 100);
  });

  it('an executor that throws is a check that did not run, not a failure', async () => {
    const r = rig(TCP);
    r.ex.run = async () => { throw new Error('spawn EAGAIN'); };
    await runUntil(r, 4000);
    assert.equal(weightA(r), 100);
    assert.deepEqual(r.log, ['TCP check on service 198.19.0.11:80 could not run (executor: spawn EAGAIN); health unchanged']);
  });

  it('stop(): closes the executor and runs no more checks', async () => {
    const r = rig(TCP);
    await runUntil(r, 500);
    await r.m.stop();
    const n = r.ex.runs.length;
    r.m.start();
    await runUntil(r, 3000);
    assert.equal(r.ex.runs.length, n);
    assert.equal(r.ex.closed, true);
  });
});
