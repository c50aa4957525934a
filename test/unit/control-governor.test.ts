// The weight governor on a real ServiceTable with a fake clock: Down/Up with and without
// inhibit_on_failure, slow-start shares after Down->Up, load feedback smoothing without
// oscillation, feedback remembered while Down, scheduler rebuilds per change.
import { strict as assert } from 'node:assert';
import { loggerFrom } from '../../src/log/logger.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { WeightGovernor } from '../../src/control/governor.js';
import { ServiceTable, type RuntimeService } from '../../src/datapath/service-table.js';
import { DestFlags } from '../../src/sched/types.js';

function conf(vsExtra: string, rsExtra = ''): string {
  return `virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo wlc
 lb_kind DR
 ${vsExtra}
 real_server 198.19.0.11 80 {
  weight 100
  ${rsExtra}
 }
 real_server 198.19.0.12 80 { weight 100 }
}`;
}

interface Rig {
  gov: WeightGovernor;
  svc: RuntimeService;
  clock: { t: number; now(): number };
  changes: number;
  log: string[];
}

function rig(vsExtra = '', rsExtra = ''): Rig {
  const clock = { t: 0, now: () => clock.t };
  const table = ServiceTable.build(parseKeepalivedConfig(conf(vsExtra, rsExtra)), clock);
  const r = { clock, changes: 0, log: [] as string[], svc: table.services[0]! } as Rig;
  // Count the scheduler rebuilds the governor asks for.
  const destsChanged = table.destsChanged.bind(table);
  table.destsChanged = (svc) => {
    r.changes++;
    destsChanged(svc);
  };
  r.gov = new WeightGovernor({ table, clock, log: loggerFrom((l) => r.log.push(l)) });
  return r;
}

const A = 0; // dest id of 198.19.0.11
const w = (r: Rig, i: number): number => r.svc.sched.dests[i]!.weight;
const flags = (r: Rig, i: number): number => r.svc.sched.dests[i]!.flags;

describe('weight governor', () => {
  it('Down: weight 0 and AVAILABLE cleared (keepalived removes it); one scheduler rebuild', () => {
    const r = rig();
    r.gov.setHealth(A, false);
    assert.deepEqual([w(r, 0), flags(r, 0) & DestFlags.AVAILABLE, r.changes], [0, 0, 1]);
    assert.deepEqual(r.log, ['Removing service 198.19.0.11:80 from VS 198.19.0.100:80']);
    r.gov.setHealth(A, false);
    assert.equal(r.changes, 1, 'no change, no rebuild');
  });

  it('inhibit_on_failure: weight 0 but kept AVAILABLE; Enabling on return', () => {
    const r = rig('', 'inhibit_on_failure');
    r.gov.setHealth(A, false);
    assert.deepEqual([w(r, 0), flags(r, 0) & DestFlags.AVAILABLE], [0, DestFlags.AVAILABLE]);
    r.gov.setHealth(A, true);
    assert.equal(w(r, 0), 100);
    assert.deepEqual(r.log, [
      'Disabling service 198.19.0.11:80 from VS 198.19.0.100:80',
      'Enabling service 198.19.0.11:80 to VS 198.19.0.100:80 (weight 100)',
    ]);
  });

  it('Down keeps the OVERLOAD bit the data path owns', () => {
    const r = rig();
    r.svc.sched.dests[0]!.flags |= DestFlags.OVERLOAD;
    r.gov.setHealth(A, false);
    r.gov.setHealth(A, true);
    assert.equal(flags(r, 0), DestFlags.AVAILABLE | DestFlags.OVERLOAD);
  });

  it('no slowstart: Up restores the full weight at once', () => {
    const r = rig();
    r.gov.setHealth(A, false);
    r.gov.setHealth(A, true);
    assert.equal(w(r, 0), 100);
    assert.equal(r.gov.view(A).rampingUp, false);
  });

  it('slowstart 10: the recovered server ramps from a small share, rising every second, never jumping', () => {
    const r = rig('slowstart 10');
    r.gov.setHealth(A, false);
    r.gov.setHealth(A, true);
    const shares: number[] = [];
    for (let s = 0; s <= 11; s++) {
      r.clock.t = s * 1000;
      r.gov.tick();
      shares.push(w(r, 0) / (w(r, 0) + w(r, 1)));
    }
    assert.ok(shares[0]! < 0.1, `starts small: ${shares[0]}`);
    for (let i = 1; i < shares.length; i++) {
      assert.ok(shares[i]! >= shares[i - 1]!, 'never falls');
      assert.ok(shares[i]! - shares[i - 1]! < 0.1, `no jump at ${i}: ${shares.map((x) => x.toFixed(2)).join(' ')}`);
    }
    assert.equal(shares.at(-1), 0.5);
    assert.match(r.log[1]!, /^Adding service 198.19.0.11:80 to VS 198.19.0.100:80 \(weight 9, slow start over 10 s\)$/);
    assert.equal(r.gov.view(A).rampingUp, false);
  });

  it('going Down mid-ramp cancels the ramp: weight stays 0', () => {
    const r = rig('slowstart 10');
    r.gov.setHealth(A, false);
    r.gov.setHealth(A, true);
    r.clock.t = 3000;
    r.gov.tick();
    r.gov.setHealth(A, false);
    r.clock.t = 8000;
    r.gov.tick();
    assert.equal(w(r, 0), 0);
  });

  it('load feedback: a sustained 50% report moves the weight to 50 gradually', () => {
    const r = rig();
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      r.gov.report(A, { kind: 'percent', percent: 50 });
      seen.push(w(r, 0));
    }
    assert.ok(seen[0]! > 50 && seen[0]! < 100, `first step is partial: ${seen[0]}`);
    // Hysteresis (10% of the configured weight) stops it within the band of the target.
    assert.ok(Math.abs(seen.at(-1)! - 50) < 10, `settles near 50: ${seen.join(' ')}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! <= seen[i - 1]!, 'moves one way');
    assert.match(r.log[0]!, /^Setting weight of service 198.19.0.11:80 in VS 198.19.0.100:80 to \d+ \(load feedback\)$/);
  });

  it('load feedback: noisy reports around a level do not make the weight oscillate', () => {
    const r = rig();
    for (let i = 0; i < 30; i++) r.gov.report(A, { kind: 'percent', percent: 65 });
    const settled = r.changes;
    const weights = new Set<number>();
    for (let i = 0; i < 60; i++) {
      r.gov.report(A, { kind: 'percent', percent: i % 2 === 0 ? 58 : 72 });
      weights.add(w(r, 0));
    }
    assert.equal(r.changes - settled, 0, `rebuilds under noise: ${r.changes - settled}`);
    assert.equal(weights.size, 1);
  });

  it('misc_dynamic weight reports are absolute weights, smoothed too', () => {
    const r = rig();
    for (let i = 0; i < 30; i++) r.gov.report(A, { kind: 'weight', weight: 20 });
    assert.ok(Math.abs(w(r, 0) - 20) < 10, `near 20: ${w(r, 0)}`);
    assert.equal(r.gov.view(A).feedbackWeight, w(r, 0));
  });

  it('feedback while Down is remembered and the ramp after Up aims at it', () => {
    const r = rig('slowstart 4');
    r.gov.setHealth(A, false);
    for (let i = 0; i < 30; i++) r.gov.report(A, { kind: 'percent', percent: 40 });
    assert.equal(w(r, 0), 0, 'still Down');
    r.gov.setHealth(A, true);
    r.clock.t = 5000;
    r.gov.tick();
    assert.equal(w(r, 0), r.gov.view(A).feedbackWeight);
    assert.ok(Math.abs(w(r, 0) - 40) < 10, `ramped to the feedback weight: ${w(r, 0)}`);
  });

  it('a report mid-ramp retargets the ramp instead of jumping', () => {
    const r = rig('slowstart 10');
    r.gov.setHealth(A, false);
    r.gov.setHealth(A, true);
    r.clock.t = 2000;
    r.gov.tick();
    const before = w(r, 0);
    for (let i = 0; i < 30; i++) r.gov.report(A, { kind: 'percent', percent: 50 });
    assert.ok(w(r, 0) <= before, `no jump up: ${before} -> ${w(r, 0)}`);
    r.clock.t = 11_000;
    r.gov.tick();
    assert.ok(Math.abs(w(r, 0) - 50) < 10, `ends at the feedback weight: ${w(r, 0)}`);
  });

  it('unknown dest ids are an error, not a crash elsewhere', () => {
    assert.throws(() => rig().gov.setHealth(99, false), /no real server with id 99/);
  });
});
