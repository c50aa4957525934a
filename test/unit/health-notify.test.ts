// notify_up / notify_down through the health manager (fake executor and clock): which script runs
// on which flip, keepalived's first-result rule for alpha servers, one run per flip whatever the
// number of checkers; and a real script run end to end through the script runner.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { WeightGovernor } from '../../src/control/governor.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { HealthManager } from '../../src/health/manager.js';
import { RealServerNotifier } from '../../src/health/rs-notify.js';
import type { CheckExecutor, CheckOutcome, CheckSpec } from '../../src/health/types.js';
import { loggerFrom, silentLogger } from '../../src/log/logger.js';
import type { ScriptJob, ScriptOutcome } from '../../src/script/runner.js';

/** Answers every check with `ok` (changed by the test). */
class Switch implements CheckExecutor {
  ok = true;
  async run(spec: CheckSpec): Promise<CheckOutcome> {
    return { ok: this.ok, detail: `${spec.kind} ${this.ok ? 'up' : 'down'}`, latencyMs: 0 };
  }
  async close(): Promise<void> {}
}

function rig(rsBody: string, run?: (job: ScriptJob) => Promise<ScriptOutcome>) {
  const clock = { t: 0, now: () => clock.t };
  const config = parseKeepalivedConfig(`global_defs {\n script_user nobody\n}
virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 delay_loop 1
 real_server 198.19.0.11 80 {
${rsBody}
 }
}`);
  const table = ServiceTable.build(config, clock);
  const log: string[] = [];
  const jobs: string[] = [];
  const gov = new WeightGovernor({ table, clock, log: silentLogger });
  const notifier = new RealServerNotifier(loggerFrom((l) => log.push(l)), run ?? (async (job) => {
    jobs.push(job.script.command);
    return { kind: 'exited', code: 0, output: '' };
  }));
  const ex = new Switch();
  const m = new HealthManager({ table, governor: gov, executor: ex, clock, log: silentLogger, random: () => 0, notifier });
  const steps = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      m.poll();
      await m.settled();
      await notifier.settled();
      clock.t += 1000;
    }
  };
  return { m, ex, jobs, log, steps, config };
}

const CHECK = '  TCP_CHECK {\n   retry 0\n   warmup 0\n  }';

describe('health: notify_up and notify_down', () => {
  it('parses both with user and group; the global script_user travels with them', () => {
    const { config } = rig(`  notify_up "/etc/keepalived/up.sh a b" web www\n  notify_down /etc/keepalived/down.sh\n${CHECK}`);
    const rs = config.virtualServers[0]!.realServers[0]!;
    assert.deepEqual(rs.notifyUp, { command: '/etc/keepalived/up.sh a b', user: 'web', group: 'www', defaultUser: { user: 'nobody', group: null }, secure: false });
    assert.deepEqual(rs.notifyDown, { command: '/etc/keepalived/down.sh', user: null, group: null, defaultUser: { user: 'nobody', group: null }, secure: false });
  });

  it('runs notify_down when the server goes Down and notify_up when it comes back, once per flip', async () => {
    const r = rig(`  notify_up /up.sh\n  notify_down /down.sh\n${CHECK}\n  HTTP_GET {\n   url {\n    path /\n   }\n   retry 0\n   warmup 0\n  }`);
    await r.steps(2);
    assert.deepEqual(r.jobs, []);
    r.ex.ok = false;
    await r.steps(3);
    assert.deepEqual(r.jobs, ['/down.sh']);
    r.ex.ok = true;
    await r.steps(3);
    assert.deepEqual(r.jobs, ['/down.sh', '/up.sh']);
    assert.deepEqual(r.log, ['notify_down of 198.19.0.11:80 in VS 198.19.0.100:80: /down.sh ran', 'notify_up of 198.19.0.11:80 in VS 198.19.0.100:80: /up.sh ran']);
  });

  it('alpha: a first failure confirms Down and runs notify_down (keepalived); a first success runs notify_up', async () => {
    const down = rig(`  alpha\n  notify_up /up.sh\n  notify_down /down.sh\n${CHECK}`);
    down.ex.ok = false;
    await down.steps(3);
    assert.deepEqual(down.jobs, ['/down.sh']);
    const up = rig(`  alpha\n  notify_up /up.sh\n  notify_down /down.sh\n${CHECK}`);
    await up.steps(3);
    assert.deepEqual(up.jobs, ['/up.sh']);
  });

  it('a failing or refused script is logged with its status and output', async () => {
    const r = rig(`  notify_down /down.sh\n${CHECK}`, async () => ({ kind: 'exited', code: 4, output: 'no route\n' }));
    r.ex.ok = false;
    await r.steps(2);
    assert.deepEqual(r.log, ['notify_down of 198.19.0.11:80 in VS 198.19.0.100:80: /down.sh exited with status 4: no route']);
  });

  it('runs the real script as the script user (end to end through the runner)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-notify-'));
    try {
      fs.chmodSync(dir, 0o1777);
      const out = path.join(dir, 'out');
      const { config } = rig(`  notify_down "/bin/sh -c 'id -u > ${out}'"\n${CHECK}`);
      // The default notifier and runner: built by the manager when no notifier is given.
      const clock = { t: 0, now: () => clock.t };
      const table = ServiceTable.build(config, clock);
      const gov = new WeightGovernor({ table, clock, log: silentLogger });
      const ex = new Switch();
      ex.ok = false;
      const log: string[] = [];
      const m = new HealthManager({ table, governor: gov, executor: ex, clock, log: loggerFrom((l) => log.push(l)), random: () => 0 });
      m.poll();
      await m.settled();
      const end = Date.now() + 5000;
      while (!fs.existsSync(out) || fs.readFileSync(out, 'utf8') === '') {
        if (Date.now() > end) throw new Error(`no output; log: ${log.join(' | ')}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      assert.equal(fs.readFileSync(out, 'utf8'), '65534\n');
      await m.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
