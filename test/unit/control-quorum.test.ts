// Quorum and sorry server, keepalived's way, on a real ServiceTable driven by injected health
// events (as seesaw's vserver_test drives its vserver): after every step the whole pool is
// checked (each destination's weight and AVAILABLE flag, the quorum, the sorry server) and the
// quorum transitions the governor reported. Then the config side (parsing and keepalived's
// corrections) and the quorum scripts' notifier.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { WeightGovernor } from '../../src/control/governor.js';
import type { QuorumTransition } from '../../src/control/quorum.js';
import { describeChanges } from '../../src/control/reload-changes.js';
import { ServiceTable, type RuntimeService } from '../../src/datapath/service-table.js';
import { QuorumNotifier } from '../../src/health/quorum-notify.js';
import { RealServerNotifier } from '../../src/health/rs-notify.js';
import { loggerFrom } from '../../src/log/logger.js';
import type { ScriptJob, ScriptOutcome } from '../../src/script/runner.js';
import { DestFlags } from '../../src/sched/types.js';

const A = '198.19.0.11';
const B = '198.19.0.12';
const C = '198.19.0.13';
const SORRY = '198.19.0.50';

/** A=2, B=1, C=1 behind one VIP; vsExtra adds quorum, sorry server ... */
function conf(vsExtra: string, rsExtra = ''): string {
  return `virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo wrr
 lb_kind NAT
 ${vsExtra}
 real_server ${A} 80 {
  weight 2
  ${rsExtra}
 }
 real_server ${B} 80 {
  weight 1
  ${rsExtra}
 }
 real_server ${C} 80 {
  weight 1
  ${rsExtra}
 }
}`;
}

class Lab {
  readonly clock = { t: 0, now: () => this.clock.t };
  readonly log: string[] = [];
  readonly transitions: string[] = [];
  table: ServiceTable;
  readonly gov: WeightGovernor;

  constructor(text: string) {
    this.table = ServiceTable.build(parseKeepalivedConfig(text), this.clock);
    this.gov = new WeightGovernor({
      table: this.table, clock: this.clock, log: loggerFrom((l) => this.log.push(l)),
      onQuorum: (svc, t) => this.transitions.push(transitionText(t)),
    });
  }

  get svc(): RuntimeService {
    return this.table.services[0]!;
  }

  health(address: string, up: boolean): this {
    const dest = this.svc.sched.dests.find((d) => d.config.address === address && !d.sorry)!;
    this.gov.setHealth(dest.id, up);
    return this;
  }

  reload(text: string): void {
    this.table = ServiceTable.build(parseKeepalivedConfig(text), this.clock, this.table);
    this.gov.adopt(this.table);
    this.gov.settleQuorum();
  }

  /** Every destination as "address weight" with a '-' when not AVAILABLE, sorry server last as "sorry". */
  pool(): string[] {
    return this.svc.sched.dests.map((d) => {
      const name = d.sorry ? 'sorry' : d.config.address;
      return `${name} ${d.weight}${(d.flags & DestFlags.AVAILABLE) === 0 ? '-' : ''}`;
    });
  }

  quorum(): string {
    const q = this.gov.quorumOf(this.svc.id);
    return q === null ? 'unset' : `${q.up ? 'up' : 'down'} ${q.weight}${q.sorryInUse ? ' sorry' : ''}`;
  }
}

function transitionText(t: QuorumTransition): string {
  return `${t.up ? 'up' : 'down'}${t.init ? ' init' : ''}${t.ending ? ` ${t.ending}` : ''} ${t.weight}/${t.threshold}`;
}

interface Step {
  what: string;
  act: (lab: Lab) => void;
  pool: string[];
  quorum: string;
  transitions: string[];
}

/** Runs steps, checking the pool, the quorum and the transitions reported by each. */
function run(lab: Lab, steps: Step[]): void {
  for (const step of steps) {
    const before = lab.transitions.length;
    step.act(lab);
    assert.deepEqual(lab.pool(), step.pool, `${step.what}: pool`);
    assert.equal(lab.quorum(), step.quorum, `${step.what}: quorum`);
    assert.deepEqual(lab.transitions.slice(before), step.transitions, `${step.what}: transitions`);
  }
}

describe('quorum and sorry server (keepalived semantics)', () => {
  it('quorum 3 hysteresis 1: lost below 2, gained at 4; the sorry server holds the pool in between', () => {
    const lab = new Lab(conf(`quorum 3\n hysteresis 1\n sorry_server ${SORRY} 8080`));
    run(lab, [
      { what: 'built, not yet settled: the sorry server waits at weight 0, out of the pool', act: () => {},
        pool: [`${A} 2`, `${B} 1`, `${C} 1`, 'sorry 0-'], quorum: 'unset', transitions: [] },
      { what: 'start: weight 4 >= 3+1', act: (l) => l.gov.settleQuorum(),
        pool: [`${A} 2`, `${B} 1`, `${C} 1`, 'sorry 0-'], quorum: 'up 4', transitions: ['up init 4/4'] },
      { what: 'A down: 2 is not < 3-1', act: (l) => l.health(A, false),
        pool: [`${A} 0-`, `${B} 1`, `${C} 1`, 'sorry 0-'], quorum: 'up 2', transitions: [] },
      { what: 'B down: 1 < 2, quorum lost, alive C leaves, sorry server in', act: (l) => l.health(B, false),
        pool: [`${A} 0-`, `${B} 0-`, `${C} 0-`, 'sorry 1'], quorum: 'down 1 sorry', transitions: ['down 1/2'] },
      { what: 'A up: 3 < 3+1, not gained; A stays out of the pool', act: (l) => l.health(A, true),
        pool: [`${A} 0-`, `${B} 0-`, `${C} 0-`, 'sorry 1'], quorum: 'down 3 sorry', transitions: [] },
      { what: 'B up: 4, gained; the alive servers come back, the sorry server goes', act: (l) => l.health(B, true),
        pool: [`${A} 2`, `${B} 1`, `${C} 1`, 'sorry 0-'], quorum: 'up 4', transitions: ['up 4/4'] },
      { what: 'all down: no weight is a loss', act: (l) => l.health(A, false).health(B, false).health(C, false),
        pool: [`${A} 0-`, `${B} 0-`, `${C} 0-`, 'sorry 1'], quorum: 'down 0 sorry', transitions: ['down 1/2'] },
    ]);
    assert.ok(lab.log.includes('Lost quorum 3-1=2 > 1 for VS 198.19.0.100:80'), lab.log.join('\n'));
    assert.ok(lab.log.includes('Adding sorry server 198.19.0.50:8080 to VS 198.19.0.100:80'));
    assert.ok(lab.log.includes('Removing sorry server 198.19.0.50:8080 from VS 198.19.0.100:80'));
  });

  it('default quorum 1: the sorry server comes in when the last server goes and leaves with the first back', () => {
    const lab = new Lab(conf(`sorry_server ${SORRY} 80`));
    lab.gov.settleQuorum();
    run(lab, [
      { what: 'two of three down', act: (l) => l.health(A, false).health(B, false),
        pool: [`${A} 0-`, `${B} 0-`, `${C} 1`, 'sorry 0-'], quorum: 'up 1', transitions: [] },
      { what: 'the pool is empty', act: (l) => l.health(C, false),
        pool: [`${A} 0-`, `${B} 0-`, `${C} 0-`, 'sorry 1'], quorum: 'down 0 sorry', transitions: ['down 0/1'] },
      { what: 'one back', act: (l) => l.health(B, true),
        pool: [`${A} 0-`, `${B} 1`, `${C} 0-`, 'sorry 0-'], quorum: 'up 1', transitions: ['up 1/1'] },
    ]);
  });

  it('sorry_server_inhibit and inhibit_on_failure: out of use means weight 0, still listed (AVAILABLE)', () => {
    const lab = new Lab(conf(`sorry_server ${SORRY} 80\n sorry_server_inhibit`, 'inhibit_on_failure'));
    lab.gov.settleQuorum();
    run(lab, [
      { what: 'idle inhibited sorry server at weight 0', act: () => {},
        pool: [`${A} 2`, `${B} 1`, `${C} 1`, 'sorry 0'], quorum: 'up 4', transitions: [] },
      { what: 'all down: inhibited servers at 0, sorry server at 1', act: (l) => l.health(A, false).health(B, false).health(C, false),
        pool: [`${A} 0`, `${B} 0`, `${C} 0`, 'sorry 1'], quorum: 'down 0 sorry', transitions: ['down 0/1'] },
      { what: 'A back', act: (l) => l.health(A, true),
        pool: [`${A} 2`, `${B} 0`, `${C} 0`, 'sorry 0'], quorum: 'up 2', transitions: ['up 2/1'] },
    ]);
    assert.ok(lab.log.includes('Enabling sorry server 198.19.0.50:80 to VS 198.19.0.100:80'));
    assert.ok(lab.log.includes('Disabling sorry server 198.19.0.50:80 from VS 198.19.0.100:80'));
  });

  it('without a sorry server a lost quorum only notifies: the alive servers keep serving', () => {
    const lab = new Lab(conf('quorum 4'));
    lab.gov.settleQuorum();
    run(lab, [
      { what: 'C down: 3 < 4', act: (l) => l.health(C, false),
        pool: [`${A} 2`, `${B} 1`, `${C} 0-`], quorum: 'down 3', transitions: ['down 3/4'] },
      { what: 'C up', act: (l) => l.health(C, true),
        pool: [`${A} 2`, `${B} 1`, `${C} 1`], quorum: 'up 4', transitions: ['up 4/4'] },
    ]);
  });

  it('starting below quorum: "Starting with quorum down" only with a sorry server (keepalived)', () => {
    const withSorry = new Lab(conf(`quorum 4\n sorry_server ${SORRY} 80`));
    withSorry.health(A, false); // before the first evaluation, as an alpha server is
    run(withSorry, [{ what: 'settle', act: (l) => l.gov.settleQuorum(),
      pool: [`${A} 0-`, `${B} 0-`, `${C} 0-`, 'sorry 1'], quorum: 'down 2 sorry', transitions: ['down init 2/4'] }]);
    assert.ok(withSorry.log.includes('Starting with quorum down 4-0=4 > 2 for VS 198.19.0.100:80'), withSorry.log.join('\n'));
    const without = new Lab(conf('quorum 4'));
    without.health(A, false);
    run(without, [{ what: 'settle', act: (l) => l.gov.settleQuorum(),
      pool: [`${A} 0-`, `${B} 1`, `${C} 1`], quorum: 'down 2', transitions: [] }]);
  });

  it('while the sorry server is in use a reload keeps it, and one without it reinstates the alive servers', () => {
    const text = conf(`quorum 3\n sorry_server ${SORRY} 80`);
    const lab = new Lab(text);
    lab.gov.settleQuorum();
    lab.health(A, false);
    run(lab, [
      { what: 'same config again', act: (l) => l.reload(text),
        pool: [`${A} 0-`, `${B} 0-`, `${C} 0-`, 'sorry 1'], quorum: 'down 2 sorry', transitions: [] },
      { what: 'sorry server gone from the config', act: (l) => l.reload(conf('quorum 3')),
        pool: [`${A} 0-`, `${B} 1`, `${C} 1`], quorum: 'down 2', transitions: [] },
      { what: 'sorry server back while the quorum is down: in use at once', act: (l) => l.reload(text),
        pool: [`${A} 0-`, `${B} 0-`, `${C} 0-`, 'sorry 1'], quorum: 'down 2 sorry', transitions: [] },
      { what: 'a lower quorum in a reload: gained', act: (l) => l.reload(conf(`quorum 2\n sorry_server ${SORRY} 80`)),
        pool: [`${A} 0-`, `${B} 1`, `${C} 1`, 'sorry 0-'], quorum: 'up 2', transitions: ['up 2/2'] },
    ]);
  });

  it('a reload names the sorry server it adds or removes as such', () => {
    const lab = new Lab(conf(''));
    const before = lab.table;
    lab.reload(conf(`sorry_server ${SORRY} 80`));
    assert.deepEqual(describeChanges(before, lab.table).map((c) => c.message),
      ['Adding sorry server 198.19.0.50:80 to VS TCP 198.19.0.100:80 (weight 1, NAT, in the pool while the quorum is down)']);
    const withSorry = lab.table;
    lab.reload(conf(''));
    assert.deepEqual(describeChanges(withSorry, lab.table).map((c) => c.message),
      ['Removing sorry server 198.19.0.50:80 from VS TCP 198.19.0.100:80 (no connections)']);
  });

  it('a removed service and a stopping director lose the quorum they had', () => {
    const lab = new Lab(conf('quorum 2'));
    lab.gov.settleQuorum();
    lab.reload('virtual_server 198.19.0.101 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 198.19.0.21 80\n}');
    lab.gov.stopQuorum();
    assert.deepEqual(lab.transitions, ['up init 4/2', 'down removed 4/2', 'up init 1/1', 'down stopping 1/1']);
  });

  it('load feedback moves the quorum weight (keepalived counts the effective weight)', () => {
    const lab = new Lab(conf(`quorum 4\n sorry_server ${SORRY} 80`));
    lab.gov.settleQuorum();
    const a = lab.svc.sched.dests[0]!;
    for (let i = 0; i < 20 && lab.quorum() === 'up 4'; i++) lab.gov.report(a.id, { kind: 'weight', weight: 0 });
    assert.match(lab.quorum(), /^down [0-3] sorry$/);
    assert.deepEqual(lab.pool().slice(-1), ['sorry 1']);
  });
});

describe('quorum and sorry server: config', () => {
  const vs = (extra: string, rs = `real_server ${A} 80 { weight 2 }`) => parseKeepalivedConfig(`virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 ${extra}
 ${rs}
}`, 'f.conf');

  it('reads every keyword; the sorry server takes lb_kind and the virtual port by default', () => {
    const c = vs(`sorry_server ${SORRY}\n quorum 2\n hysteresis 1\n quorum_up "/bin/up x"\n quorum_down /bin/down nobody\n omega\n ha_suspend`);
    const v = c.virtualServers[0]!;
    assert.deepEqual(v.sorryServer, { address: SORRY, port: 80, method: 'dr', inhibit: false, line: 5 });
    assert.deepEqual({ ...v.quorum, up: v.quorum?.up?.command, down: v.quorum?.down?.user },
      { quorum: 2, hysteresis: 1, up: '/bin/up x', down: 'nobody' });
    assert.deepEqual([v.omega, v.haSuspend], [true, true]);
    assert.deepEqual(c.warnings, []);
  });

  it("keepalived's corrections, each a warning with its line", () => {
    const c = vs(`sorry_server_inhibit\n sorry_server ${SORRY} 8080\n sorry_server_lvs_method NAT\n quorum 5\n hysteresis 3\n quorum_up /bin/a\n quorum_up /bin/b`);
    const v = c.virtualServers[0]!;
    assert.deepEqual(c.warnings.map((w) => w.message), [
      'f.conf:5: used before or without sorry_server, ignored (as keepalived does)',
      'f.conf:8: quorum 5 exceeds the total weight 2 of the real servers, lowered to 2 (as keepalived does)',
      'f.conf:9: hysteresis 3 >= quorum 2, lowered to 1 (as keepalived does)',
      'f.conf:11: quorum_up script already given, this one ignored (as keepalived does)',
    ]);
    assert.deepEqual(v.sorryServer, { address: SORRY, port: 8080, method: 'nat', inhibit: false, line: 6 });
    assert.deepEqual([v.quorum?.quorum, v.quorum?.hysteresis, v.quorum?.up?.command], [2, 1, '/bin/a']);
    const dr = vs(`sorry_server ${SORRY} 8080`);
    assert.deepEqual(dr.warnings.map((w) => w.message), ['f.conf:5: port 8080 ignored: DR keeps the virtual port 80 (keepalived resets it too)']);
    assert.equal(dr.virtualServers[0]!.sorryServer?.port, 80);
  });

  it('bad values are errors with file:line', () => {
    assert.throws(() => vs('quorum 0'), /f\.conf:5: quorum/);
    assert.throws(() => vs('sorry_server 10.0.0'), /f\.conf:5: sorry_server/);
    assert.throws(() => vs(`sorry_server ${SORRY}\n sorry_server_lvs_method BOGUS`), /f\.conf:6: sorry_server_lvs_method/);
  });

  it('a sorry server at a real server\'s address has an identity of its own', () => {
    const table = ServiceTable.build(vs(`sorry_server ${A} 80`), { now: () => 0 });
    assert.deepEqual(table.services[0]!.sched.dests.map((d) => [d.config.address, d.sorry]), [[A, false], [A, true]]);
  });
});

describe('a reload that removes alive real servers', () => {
  it("runs their notify_down (keepalived's clear_service_rs), not a Down one's, nor the sorry server's", async () => {
    const text = (servers: string) => `virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 sorry_server ${SORRY} 80
${servers}
}`;
    const rs = (address: string) => ` real_server ${address} 80 {\n  notify_down "/bin/down ${address}"\n }`;
    const clock = { now: () => 0 };
    let table = ServiceTable.build(parseKeepalivedConfig(text([A, B, C].map(rs).join('\n'))), clock);
    const jobs: string[] = [];
    const notifier = new RealServerNotifier(loggerFrom(() => {}), async (job: ScriptJob): Promise<ScriptOutcome> => {
      jobs.push(job.script.command);
      return { kind: 'exited', code: 0, output: '' };
    });
    const gov = new WeightGovernor({ table, clock, onRemoved: (dest, svc) => notifier.removed(dest, svc) });
    gov.settleQuorum();
    gov.setHealth(table.services[0]!.sched.dests[1]!.id, false); // B Down
    table = ServiceTable.build(parseKeepalivedConfig(text(rs(C))), clock, table);
    gov.adopt(table);
    await notifier.settled();
    assert.deepEqual(jobs, [`/bin/down ${A}`]);
  });
});

describe('quorum scripts', () => {
  const text = (extra: string) => conf(`quorum 2\n quorum_up /bin/up\n quorum_down /bin/down\n ${extra}`, 'notify_down /bin/rs-down');

  function notifier(): { n: QuorumNotifier; jobs: string[] } {
    const jobs: string[] = [];
    const n = new QuorumNotifier(loggerFrom(() => {}), async (job: ScriptJob): Promise<ScriptOutcome> => {
      jobs.push(`${job.script.command} ${job.timeout}`);
      return { kind: 'exited', code: 0, output: '' };
    });
    return { n, jobs };
  }

  it('run on each transition, quorum_up at start too; at stop only with omega (1 s to finish)', async () => {
    for (const omega of [false, true]) {
      const { n, jobs } = notifier();
      const lab = new Lab(text(omega ? 'omega' : ''));
      const gov = new WeightGovernor({ table: lab.table, clock: lab.clock, onQuorum: (svc, t) => n.observe(svc, t) });
      gov.settleQuorum();
      const [a, b] = lab.svc.sched.dests;
      gov.setHealth(a!.id, false);
      gov.setHealth(b!.id, false); // 1 < 2: lost
      gov.setHealth(b!.id, true); // 2 >= 2: gained
      n.stopping(lab.svc, lab.svc.sched.dests.filter((d) => gov.view(d.id).up));
      gov.stopQuorum();
      await n.settled();
      const alive = lab.svc.sched.dests.filter((d) => gov.view(d.id).up);
      const atStop = omega ? [...alive.map(() => '/bin/rs-down 1'), '/bin/down 1'] : [];
      assert.deepEqual(jobs, ['/bin/up 300', '/bin/down 300', '/bin/up 300', ...atStop], `omega ${omega}`);
    }
  });
});
