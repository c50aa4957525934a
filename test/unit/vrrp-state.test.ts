// The VRRP state machine driven by a fake clock and a fake LAN: timers to the microsecond
// (master_down = 3 x advert + skew, preempt_delay, priority-0 takeover after skew only),
// preemption, ties, trackers, faults, sync groups and gratuitous ARP sets.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { instanceSpec } from '../../src/vrrp/vrrp-spec.js';
import { VrrpInstance } from '../../src/vrrp/vrrp-instance.js';
import { VrrpSyncGroup } from '../../src/vrrp/vrrp-sync-group.js';
import { initialMasterWaitUs, masterDownUs, skewUs } from '../../src/vrrp/vrrp-timers.js';
import type { VrrpAddr, VrrpEvent, VrrpInstanceSpec, VrrpState } from '../../src/vrrp/vrrp-types.js';

const GARP_DEFAULTS = { masterRepeat: 5, masterDelayMs: 5000, masterRefreshMs: 0, masterRefreshRepeat: 1, lowerPrioRepeat: 5, lowerPrioDelayMs: 5000 };

function spec(name: string, over: Partial<VrrpInstanceSpec> = {}): VrrpInstanceSpec {
  return {
    name, version: 2, vrid: 51, priority: 100, intervalCs: 100, initialState: 'BACKUP', preempt: true,
    preemptDelayMs: 0, primaryIp: parseIpv4('198.19.0.2'), trackers: [], garp: GARP_DEFAULTS,
    lowerPrioNoAdvert: false, higherPrioSendAdvert: false, preemptHoldMs: 0, ...over,
  };
}

interface Sent { t: number; from: string; what: 'advert' | 'garp'; value: number }

/** A LAN of instances (one VRID) on a fake clock; adverts are delivered after the step that sent them. */
class Lan {
  now = 0;
  readonly sent: Sent[] = [];
  readonly events: Array<VrrpEvent & { t: number }> = [];
  /** Connection tables asked for (sync-aware preemption): when, by whom, of which master. */
  readonly tableRequests: Array<{ t: number; from: string; master: VrrpAddr }> = [];
  /** Tables handed over by a master yielding to a better one: when, by whom, to which master. */
  readonly handOvers: Array<{ t: number; from: string; master: VrrpAddr }> = [];
  readonly nodes: VrrpInstance[] = [];
  /** Nodes whose adverts do not reach the LAN (crashed or cut off). */
  readonly silent = new Set<VrrpInstance>();
  private queue: Array<{ from: VrrpInstance; priority: number }> = [];
  private readonly clock = { now: () => this.now };

  add(s: VrrpInstanceSpec, group?: VrrpSyncGroup): VrrpInstance {
    const node: VrrpInstance = new VrrpInstance(s, this.clock, {
      sendAdvert: (priority) => {
        this.sent.push({ t: this.now, from: s.name, what: 'advert', value: priority });
        this.queue.push({ from: node, priority });
      },
      sendGratuitousArps: (rounds) => { this.sent.push({ t: this.now, from: s.name, what: 'garp', value: rounds }); },
      requestTable: (master) => { this.tableRequests.push({ t: this.now, from: s.name, master }); },
      handOver: (master) => { this.handOvers.push({ t: this.now, from: s.name, master }); },
    }, (e) => this.events.push({ ...e, t: this.now }));
    if (group) node.joinGroup(group);
    this.nodes.push(node);
    return node;
  }

  group(name: string): VrrpSyncGroup {
    return new VrrpSyncGroup(name, (e) => this.events.push({ ...e, t: this.now }));
  }

  step(node: VrrpInstance, input: Parameters<VrrpInstance['step']>[0]): void {
    node.step(input);
    this.deliver();
  }

  private deliver(): void {
    for (let guard = 0; this.queue.length > 0; guard++) {
      assert.ok(guard < 1000, 'advert storm');
      const { from, priority } = this.queue.shift()!;
      if (this.silent.has(from)) continue;
      for (const to of this.nodes) {
        if (to === from || to.spec.vrid !== from.spec.vrid || this.silent.has(to)) continue;
        to.step({ kind: 'advert', advert: { priority, src: from.spec.primaryIp, intervalCs: from.spec.intervalCs } });
      }
    }
  }

  /** Runs every timer up to and including time t (ms). */
  runUntil(t: number): void {
    for (let guard = 0; ; guard++) {
      assert.ok(guard < 100_000, 'timer loop');
      const due = this.nodes.map((n) => n.nextDeadline()).filter((d): d is number => d !== null && d <= t);
      if (due.length === 0) break;
      this.now = Math.min(...due);
      // Every node due now fires before any advert is delivered: simultaneous timers really race.
      for (const n of this.nodes) if (n.nextDeadline() !== null && n.nextDeadline()! <= this.now) n.step({ kind: 'timer' });
      this.deliver();
    }
    this.now = t;
  }

  /** Time of the first event that put `name` in `state` at or after `from`. */
  when(name: string, state: string, from = 0): number | undefined {
    return this.states().find((e) => e.name === name && e.state === state && e.t >= from)?.t;
  }

  /** The state changes among the events. */
  states(): Array<Extract<VrrpEvent, { state: VrrpState }> & { t: number }> {
    return this.events.filter((e): e is Extract<VrrpEvent, { state: VrrpState }> & { t: number } => e.kind !== 'preempt');
  }

  /** The sync-aware preemption events of one instance: [time, phase, ms held]. */
  preempts(name: string): Array<[number, string, number]> {
    return this.events.flatMap((e) => (e.kind === 'preempt' && e.name === name ? [[e.t, e.phase, e.heldMs] as [number, string, number]] : []));
  }
}

describe('VRRP timers', () => {
  const table: Array<[string, number, number, number]> = [
    // version, priority, master interval (cs): expected skew / master down, µs
    ['v2 priority 100', skewUs(2, 100, 100), masterDownUs(2, 100, 100), 609_375],
    ['v2 priority 254 (floored)', skewUs(2, 254, 100), masterDownUs(2, 254, 100), 7_812],
    ['v2 interval 2 s: skew still in seconds/256 (RFC 3768)', skewUs(2, 100, 200), masterDownUs(2, 100, 200), 609_375],
    ['v3 priority 100, 1 s', skewUs(3, 100, 100), masterDownUs(3, 100, 100), 609_375],
    ['v3 priority 200, 0.5 s', skewUs(3, 200, 50), masterDownUs(3, 200, 50), 109_375],
    ['v3 priority 1, 0.01 s', skewUs(3, 1, 1), masterDownUs(3, 1, 1), 9_960],
  ];
  for (const [title, skew, down, want] of table) {
    it(title, () => {
      assert.equal(skew, want);
      const intervalCs = /2 s/.test(title) ? 200 : /0\.5/.test(title) ? 50 : /0\.01/.test(title) ? 1 : 100;
      assert.equal(down, 3 * intervalCs * 10_000 + want);
    });
  }
  it('state MASTER waits one interval plus the smallest skew', () => {
    assert.equal(initialMasterWaitUs(2, 100), 1_003_906);
    assert.equal(initialMasterWaitUs(3, 50), 501_953);
  });
});

describe('VRRP state machine: one router', () => {
  it('a backup alone becomes master exactly at 3 x advert + skew, advert first, then 5 GARP rounds', () => {
    const lan = new Lan();
    const a = lan.add(spec('A'));
    lan.step(a, { kind: 'start' });
    assert.equal(a.state, 'BACKUP');
    assert.equal(a.nextDeadline(), 3609.375);
    lan.runUntil(3609.374);
    assert.equal(a.state, 'BACKUP');
    lan.runUntil(3609.375);
    assert.equal(a.state, 'MASTER');
    assert.deepEqual(lan.sent.slice(0, 2), [
      { t: 3609.375, from: 'A', what: 'advert', value: 100 },
      { t: 3609.375, from: 'A', what: 'garp', value: 5 },
    ]);
    lan.runUntil(8609.375);
    assert.deepEqual(lan.sent.filter((s) => s.what === 'garp').map((s) => [s.t, s.value]), [[3609.375, 5], [8609.375, 5]]);
    assert.deepEqual(lan.sent.filter((s) => s.what === 'advert').map((s) => s.t), [3609.375, 4609.375, 5609.375, 6609.375, 7609.375, 8609.375]);
    assert.deepEqual(lan.states().map((e) => [e.t, e.state]), [[0, 'BACKUP'], [3609.375, 'MASTER']]);
  });

  it('state MASTER (not owner) waits a whole master-down like BACKUP; the owner takes over at once', () => {
    const lan = new Lan();
    const a = lan.add(spec('A', { initialState: 'MASTER', priority: 150 }));
    const o = lan.add(spec('O', { vrid: 9, initialState: 'MASTER', priority: 255 }));
    lan.step(a, { kind: 'start' });
    lan.step(o, { kind: 'start' });
    assert.equal(o.state, 'MASTER');
    lan.runUntil(3414.061);
    assert.equal(a.state, 'BACKUP');
    lan.runUntil(3414.062);
    assert.equal(a.state, 'MASTER');
  });

  it('keepalived 2.2.7 does the same: the gaps between its state MASTER takeovers in the capture', () => {
    // VRIDs 51 (v2, priority 150, 1 s), 52 (v3, 200, 0.5 s) and 53 (v3, 100, 1 s) started
    // together; each first advert is its takeover (53 is unicast: its first try waits for ARP).
    const frames = (JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/keepalived-vrrp.json'), 'utf8')) as { frames: Array<{ t: number; hex: string }> }).frames;
    const first = (vrid: number): number => frames.find((f) => f.hex.slice(24, 28) === '0800' && parseInt(f.hex.slice(70, 72), 16) === vrid)!.t * 1000;
    const down = { 51: masterDownUs(2, 150, 100), 52: masterDownUs(3, 200, 50), 53: masterDownUs(3, 100, 100) };
    assert.ok(Math.abs(first(51) - first(52) - (down[51] - down[52]) / 1000) < 35);
    assert.ok(Math.abs(first(53) - first(52) - (down[53] - down[52]) / 1000) < 35);
    // The other reading (one interval + 1/256 s) would put the gaps at 0.5 s, not 1.8 and 2.0.
    assert.ok(first(51) - first(52) > 1500);
  });

  it('in a sync group that starts BACKUP, a member configured MASTER waits one interval + 1/256 s', () => {
    const lan = new Lan();
    const g = lan.group('G');
    const m = lan.add(spec('M', { initialState: 'MASTER', priority: 150 }), g);
    const o = lan.add(spec('O', { vrid: 52, initialState: 'MASTER', priority: 255 }), g);
    lan.step(m, { kind: 'start' });
    lan.step(o, { kind: 'start' });
    assert.deepEqual([m.state, o.state], ['BACKUP', 'BACKUP']);
    lan.runUntil(1003.905);
    assert.equal(m.state, 'BACKUP');
    lan.runUntil(1003.906);
    assert.deepEqual([m.state, o.state, g.state], ['MASTER', 'MASTER', 'MASTER']);
  });

  it('keepalived 2.2.7 sends its gratuitous ARPs the same way: 5 after the takeover advert, 5 more 5 s later', () => {
    const frames = (JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/keepalived-vrrp.json'), 'utf8')) as { frames: Array<{ t: number; hex: string }> }).frames;
    const takeover = frames.find((f) => f.hex.slice(24, 28) === '0800' && f.hex.slice(70, 72) === '34')!.t;
    // Gratuitous ARP for 198.18.10.102 (VRID 52's address): sender = target = c6120a66.
    const garps = frames.filter((f) => f.hex.slice(24, 28) === '0806' && f.hex.slice(56, 64) === 'c6120a66' && f.hex.slice(76, 84) === 'c6120a66').map((f) => f.t - takeover);
    assert.equal(garps.filter((t) => t >= 0 && t < 0.2).length, 5);
    assert.equal(garps.filter((t) => t >= 5 && t < 5.2).length, 5);
    assert.equal(garps.length, 10);
  });

  it('garp_master_refresh repeats every refresh after the delayed set', () => {
    const lan = new Lan();
    const a = lan.add(spec('A', { priority: 255, initialState: 'MASTER', garp: { ...GARP_DEFAULTS, masterRefreshMs: 60_000, masterRefreshRepeat: 2 } }));
    lan.step(a, { kind: 'start' });
    lan.runUntil(130_000);
    assert.deepEqual(lan.sent.filter((s) => s.what === 'garp').map((s) => [s.t, s.value]), [[0, 5], [5000, 5], [65_000, 2], [125_000, 2]]);
  });
});

describe('VRRP state machine: two routers', () => {
  const ipA = parseIpv4('198.19.0.2');
  const ipB = parseIpv4('198.19.0.3');

  function pair(aOver: Partial<VrrpInstanceSpec> = {}, bOver: Partial<VrrpInstanceSpec> = {}): { lan: Lan; a: VrrpInstance; b: VrrpInstance } {
    const lan = new Lan();
    const a = lan.add(spec('A', { priority: 150, initialState: 'MASTER', primaryIp: ipA, ...aOver }));
    const b = lan.add(spec('B', { priority: 100, primaryIp: ipB, ...bOver }));
    lan.step(a, { kind: 'start' });
    lan.step(b, { kind: 'start' });
    lan.runUntil(10_000);
    return { lan, a, b };
  }

  it('elects the higher priority; the backup stays backup while adverts come', () => {
    const { lan, a, b } = pair();
    assert.deepEqual([a.state, b.state], ['MASTER', 'BACKUP']);
    assert.deepEqual(b.master, { ip: ipA, priority: 150 });
    assert.equal(lan.when('B', 'MASTER'), undefined);
  });

  it('crash: the backup takes over 3 x advert + skew after the last advert it heard', () => {
    const { lan, a, b } = pair();
    const lastAdvert = lan.sent.filter((s) => s.from === 'A' && s.what === 'advert').at(-1)!.t;
    lan.silent.add(a);
    lan.runUntil(20_000);
    assert.equal(b.state, 'MASTER');
    assert.equal(lan.when('B', 'MASTER'), lastAdvert + 3609.375);
  });

  it('a partition heals: the lower master yields to the higher one and hands it its table; nobody else hands anything', () => {
    const { lan, a, b } = pair();
    lan.silent.add(a); // cut off both ways: each is MASTER on its side
    lan.runUntil(20_000);
    assert.deepEqual([a.state, b.state], ['MASTER', 'MASTER']);
    assert.equal(lan.handOvers.length, 0);
    lan.silent.delete(a);
    lan.runUntil(22_000);
    assert.deepEqual([a.state, b.state], ['MASTER', 'BACKUP']);
    assert.equal(lan.handOvers.length, 1);
    assert.deepEqual([lan.handOvers[0]!.from, lan.handOvers[0]!.master], ['B', ipA]);
    assert.equal(lan.handOvers[0]!.t, lan.when('B', 'BACKUP', 20_000), 'handed over as it yields');
  });

  it('clean stop: priority 0 advert, the backup takes over after its skew time only', () => {
    const { lan, a, b } = pair();
    lan.now = 10_250;
    lan.step(a, { kind: 'stop' });
    assert.equal(a.state, 'STOP');
    assert.deepEqual(lan.sent.at(-1), { t: 10_250, from: 'A', what: 'advert', value: 0 });
    lan.runUntil(12_000);
    assert.equal(lan.when('B', 'MASTER'), 10_250 + 609.375);
    assert.equal(b.state, 'MASTER');
    assert.equal(a.nextDeadline(), null);
  });

  it('preempt: the higher priority comes back and takes over from a lower master', () => {
    const { lan, a, b } = pair();
    lan.silent.add(a);
    lan.runUntil(20_000);
    assert.equal(b.state, 'MASTER');
    // A restarts (BACKUP this time): lower adverts are ignored, so its own master-down runs out.
    const a2 = lan.add(spec('A2', { priority: 150, primaryIp: ipA }));
    lan.step(a2, { kind: 'start' });
    lan.runUntil(30_000);
    assert.equal(lan.when('A2', 'MASTER'), 23_414.062);
    assert.equal(b.state, 'BACKUP');
    assert.equal(lan.when('B', 'BACKUP', 20_000), 23_414.062);
  });

  it('nopreempt: a higher priority backup accepts a lower master for good', () => {
    const lan = new Lan();
    const low = lan.add(spec('LOW', { priority: 100 }));
    lan.step(low, { kind: 'start' });
    lan.runUntil(5000);
    const high = lan.add(spec('HIGH', { priority: 150, preempt: false, primaryIp: parseIpv4('198.19.0.9') }));
    lan.step(high, { kind: 'start' });
    lan.runUntil(120_000);
    assert.deepEqual([low.state, high.state], ['MASTER', 'BACKUP']);
  });

  it('preempt_delay: adverts of a lower master are accepted for the delay, then ignored', () => {
    const lan = new Lan();
    const low = lan.add(spec('LOW', { priority: 100 }));
    lan.step(low, { kind: 'start' });
    lan.runUntil(5000); // LOW master at 3609.375, adverts at 4609.375, 5609.375, ...
    const high = lan.add(spec('HIGH', { priority: 150, preemptDelayMs: 10_000, primaryIp: parseIpv4('198.19.0.9') }));
    lan.step(high, { kind: 'start' });
    lan.runUntil(40_000);
    // First advert heard at 5609.375 starts the delay (until 15609.375); the last one accepted is
    // at 14609.375; HIGH takes over one master-down (3 s + 106/256 s) after it.
    assert.equal(lan.when('HIGH', 'MASTER'), 18_023.437);
  });

  it('equal priorities: the higher primary address wins', () => {
    const lan = new Lan();
    const a = lan.add(spec('A', { primaryIp: ipA }));
    const b = lan.add(spec('B', { primaryIp: ipB }));
    lan.step(a, { kind: 'start' });
    lan.step(b, { kind: 'start' });
    lan.runUntil(10_000);
    // Both time out together at 3609.375 and both claim; A (lower address) yields on B's advert.
    assert.equal(lan.when('A', 'MASTER'), 3609.375);
    assert.equal(lan.when('A', 'BACKUP', 1), 3609.375);
    assert.deepEqual([a.state, b.state], ['BACKUP', 'MASTER']);
  });

  it('a master hearing a lower priority master answers it and refreshes ARP (both GARP sets)', () => {
    const { lan, a, b } = pair();
    lan.now = 10_100;
    lan.sent.length = 0;
    a.step({ kind: 'advert', advert: { priority: 90, src: ipB, intervalCs: 100 } });
    assert.deepEqual(lan.sent.map((s) => [s.what, s.value]), [['advert', 150], ['garp', 5]]);
    lan.runUntil(15_100);
    assert.ok(lan.sent.some((s) => s.t === 15_100 && s.what === 'garp' && s.value === 5));
    assert.equal(b.state, 'BACKUP');
  });

  it('a master answers a priority 0 advert at once', () => {
    const { lan, a } = pair();
    lan.now = 10_100;
    lan.sent.length = 0;
    a.step({ kind: 'advert', advert: { priority: 0, src: ipB, intervalCs: 100 } });
    assert.deepEqual(lan.sent, [{ t: 10_100, from: 'A', what: 'advert', value: 150 }]);
    assert.equal(a.nextDeadline(), 11_100);
  });

  it('v3: the backup learns the master interval (0.5 s) for its master-down, and advertises at its own as master', () => {
    const { lan, a, b } = pair({ version: 3, intervalCs: 50 }, { version: 3, intervalCs: 100 });
    assert.equal(b.masterAdvertIntervalCs, 50);
    const lastAdvert = lan.sent.filter((s) => s.from === 'A' && s.what === 'advert').at(-1)!.t;
    lan.silent.add(a);
    lan.runUntil(20_000);
    // Skew = 156 x 50 cs / 256 = 304.6875 ms, floored to the microsecond as keepalived does.
    assert.equal(lan.when('B', 'MASTER'), (lastAdvert * 1000 + 1_804_687) / 1000);
    const adverts = lan.sent.filter((s) => s.from === 'B' && s.what === 'advert').map((s) => s.t);
    assert.equal(adverts[1]! - adverts[0]!, 1000);
  });
});

describe('VRRP state machine: IPv6 routers (VRRPv3, link-local primary addresses)', () => {
  // The same machine: addresses are bigints (vrrp-packet6.ts), compared as RFC 5798 6.4.3 says.
  const llA = 0xfe80_0000_0000_0000_0000_0000_0000_0002n;
  const llB = 0xfe80_0000_0000_0000_0000_0000_0000_0003n;
  const v6 = (name: string, over: Partial<VrrpInstanceSpec>): VrrpInstanceSpec => spec(name, { version: 3, vrid: 61, intervalCs: 100, ...over });

  it('equal priorities: the higher link-local address wins, after the v3 master-down (3 s + 156/256 s)', () => {
    const lan = new Lan();
    const a = lan.add(v6('A', { primaryIp: llA }));
    const b = lan.add(v6('B', { primaryIp: llB }));
    lan.step(a, { kind: 'start' });
    lan.step(b, { kind: 'start' });
    lan.runUntil(10_000);
    assert.equal(lan.when('B', 'MASTER'), 3609.375);
    assert.deepEqual([a.state, b.state, a.master], ['BACKUP', 'MASTER', { ip: llB, priority: 100 }]);
  });

  it('crash at 0.25 s adverts: the backup takes over 3 x 0.25 s + (256 - 100) x 0.25 s / 256 after the last advert', () => {
    const lan = new Lan();
    const a = lan.add(v6('A', { priority: 150, initialState: 'MASTER', primaryIp: llA, intervalCs: 25 }));
    const b = lan.add(v6('B', { primaryIp: llB, intervalCs: 100 }));
    lan.step(a, { kind: 'start' });
    lan.step(b, { kind: 'start' });
    lan.runUntil(10_000);
    assert.equal(b.masterAdvertIntervalCs, 25, 'learnt from the master');
    const lastAdvert = lan.sent.filter((s) => s.from === 'A' && s.what === 'advert').at(-1)!.t;
    lan.silent.add(a);
    lan.runUntil(20_000);
    assert.equal(lan.when('B', 'MASTER'), (lastAdvert * 1000 + 750_000 + 152_343) / 1000);
    assert.deepEqual(lan.sent.filter((s) => s.from === 'B' && s.what === 'garp').map((s) => s.value), [5, 5], 'NA sets: 5 now, 5 after garp_master_delay');
  });
});

describe('VRRP state machine: sync-aware preemption (preemptHoldMs)', () => {
  const ipA = parseIpv4('198.19.0.2');
  const ipB = parseIpv4('198.19.0.3');
  const HOLD = 5000;

  /** A (150) master, B (100) backup with a hold, settled at 10 s. */
  function holdingPair(): { lan: Lan; a: VrrpInstance; b: VrrpInstance } {
    const lan = new Lan();
    const a = lan.add(spec('A', { priority: 150, initialState: 'MASTER', primaryIp: ipA }));
    const b = lan.add(spec('B', { priority: 100, primaryIp: ipB, preemptHoldMs: HOLD }));
    lan.step(a, { kind: 'start' });
    lan.step(b, { kind: 'start' });
    lan.runUntil(10_000);
    return { lan, a, b };
  }

  /**
   * B (100) is master since A (150) crashed at 10 s; A comes back at 20 s with a hold. Without
   * one it would preempt at 23 414.062 (its master-down: 3 s + 106/256 s).
   */
  function returning(): { lan: Lan; a2: VrrpInstance; b: VrrpInstance } {
    const { lan, a, b } = holdingPair();
    lan.silent.add(a);
    lan.runUntil(20_000);
    assert.equal(b.state, 'MASTER');
    const a2 = lan.add(spec('A2', { priority: 150, primaryIp: ipA, preemptHoldMs: HOLD }));
    lan.step(a2, { kind: 'start' });
    return { lan, a2, b };
  }

  it('held: at its master-down the returning node asks the live master for its table and stays BACKUP', () => {
    const { lan, a2, b } = returning();
    lan.runUntil(23_414.062);
    assert.deepEqual(lan.tableRequests, [{ t: 23_414.062, from: 'A2', master: ipB }]);
    assert.deepEqual(lan.preempts('A2'), [[23_414.062, 'hold', 0]]);
    lan.runUntil(28_000);
    assert.deepEqual([a2.state, b.state], ['BACKUP', 'MASTER']);
    assert.equal(lan.when('A2', 'MASTER'), undefined);
  });

  it('released when the table is complete: preempts at that instant, the lower master yields', () => {
    const { lan, a2, b } = returning();
    lan.runUntil(23_900);
    lan.step(a2, { kind: 'table-ready' });
    assert.deepEqual([a2.state, b.state], ['MASTER', 'BACKUP']);
    assert.equal(lan.when('A2', 'MASTER'), 23_900);
    assert.deepEqual(lan.preempts('A2'), [[23_414.062, 'hold', 0], [23_900, 'ready', 485.938]]);
    // Advert first, then the gratuitous ARP set, as any takeover.
    assert.deepEqual(lan.sent.filter((x) => x.from === 'A2').slice(0, 2).map((x) => [x.what, x.value]), [['advert', 150], ['garp', 5]]);
  });

  it('released by the bound: preempts preemptHoldMs after the hold started, logged as a timeout', () => {
    const { lan, a2 } = returning();
    lan.runUntil(40_000);
    assert.equal(lan.when('A2', 'MASTER'), 23_414.062 + HOLD);
    assert.deepEqual(lan.preempts('A2'), [[23_414.062, 'hold', 0], [28_414.062, 'timeout', HOLD]]);
    assert.equal(a2.state, 'MASTER');
    lan.step(a2, { kind: 'table-ready' }); // late: nothing to release
    assert.equal(lan.preempts('A2').length, 2);
  });

  it('master down during the hold: takes over at the normal master-down time, not at the bound', () => {
    const { lan, a2, b } = returning();
    lan.runUntil(24_000);
    const lastB = lan.sent.filter((x) => x.from === 'B' && x.what === 'advert').at(-1)!.t;
    lan.silent.add(b);
    lan.runUntil(40_000);
    assert.ok(Math.abs(lan.when('A2', 'MASTER')! - (lastB + 3414.062)) < 1e-6, `A2 master at ${lan.when('A2', 'MASTER')}, B's last advert ${lastB}`);
    assert.deepEqual(lan.preempts('A2').map(([, phase]) => phase), ['hold', 'master-down']);
    assert.equal(a2.state, 'MASTER');
  });

  it('master-down path without a live master is never held: a crash takeover asks for nothing', () => {
    const { lan, a } = holdingPair();
    const lastA = lan.sent.filter((x) => x.from === 'A' && x.what === 'advert').at(-1)!.t;
    lan.silent.add(a);
    lan.runUntil(20_000);
    assert.equal(lan.when('B', 'MASTER'), lastA + 3609.375);
    assert.deepEqual(lan.tableRequests, []);
    assert.deepEqual(lan.preempts('B'), []);
  });

  it('a resigning master (priority 0) ends the hold: takeover after the skew only', () => {
    const { lan, a2, b } = returning();
    lan.runUntil(24_000);
    lan.step(b, { kind: 'stop' });
    lan.runUntil(30_000);
    assert.equal(lan.when('A2', 'MASTER'), 24_000 + 414.062);
    assert.deepEqual(lan.preempts('A2').map(([, phase]) => phase), ['hold', 'master-down']);
    assert.equal(a2.state, 'MASTER');
  });

  it('a better master appearing during the hold drops it: no preemption', () => {
    const { lan, a2, b } = returning();
    lan.runUntil(24_000);
    const top = lan.add(spec('TOP', { priority: 200, primaryIp: parseIpv4('198.19.0.9'), initialState: 'MASTER' }));
    lan.step(top, { kind: 'start' });
    lan.runUntil(40_000);
    assert.deepEqual([top.state, a2.state, b.state], ['MASTER', 'BACKUP', 'BACKUP']);
    assert.deepEqual(lan.preempts('A2').map(([, phase]) => phase), ['hold', 'dropped']);
    assert.equal(lan.when('A2', 'MASTER'), undefined);
  });
});

describe('VRRP state machine: trackers, faults and sync groups', () => {
  const ipA = parseIpv4('198.19.0.2');
  const ipB = parseIpv4('198.19.0.3');

  it('a weighted script failure lowers the priority below the backup, which then preempts', () => {
    const lan = new Lan();
    const a = lan.add(spec('A', { priority: 150, initialState: 'MASTER', primaryIp: ipA, trackers: [{ name: 'script:chk', weight: -60, reverse: false }] }));
    const b = lan.add(spec('B', { priority: 100, primaryIp: ipB }));
    lan.step(a, { kind: 'start' });
    lan.step(b, { kind: 'start' });
    lan.step(a, { kind: 'tracker', name: 'script:chk', up: true });
    lan.runUntil(10_000);
    assert.equal(a.state, 'MASTER');
    lan.now = 10_200;
    lan.step(a, { kind: 'tracker', name: 'script:chk', up: false });
    assert.equal(a.effectivePriority, 90);
    lan.runUntil(20_000);
    // A's next advert (priority 90, at 10609.375... its schedule) is ignored by B, whose timer ran
    // from A's last 150 advert.
    const last150 = lan.sent.filter((s) => s.from === 'A' && s.what === 'advert' && s.value === 150).at(-1)!.t;
    assert.equal(lan.when('B', 'MASTER'), last150 + 3609.375);
    assert.equal(a.state, 'BACKUP');
  });

  it('positive weight adds while up; reverse flips; the result stays within 1..254; the owner never moves', () => {
    const lan = new Lan();
    const a = lan.add(spec('A', { priority: 250, trackers: [{ name: 'if:eth1', weight: 10, reverse: false }, { name: 'script:x', weight: -253, reverse: true }] }));
    lan.step(a, { kind: 'start' });
    lan.step(a, { kind: 'tracker', name: 'if:eth1', up: true });
    assert.equal(a.effectivePriority, 254);
    lan.step(a, { kind: 'tracker', name: 'script:x', up: false });
    assert.equal(a.effectivePriority, 254);
    lan.step(a, { kind: 'tracker', name: 'if:eth1', up: false });
    assert.equal(a.effectivePriority, 254); // 250 + 253 (reverse of -253 while down) clamps at 254
    const o = lan.add(spec('O', { priority: 255, trackers: [{ name: 'if:eth1', weight: -50, reverse: false }] }));
    lan.step(o, { kind: 'start' });
    lan.step(o, { kind: 'tracker', name: 'if:eth1', up: false });
    assert.equal(o.effectivePriority, 255);
  });

  it('an unweighted tracker holds INIT until heard, and its failure is a FAULT that resigns with priority 0', () => {
    const lan = new Lan();
    const a = lan.add(spec('A', { priority: 150, initialState: 'MASTER', primaryIp: ipA, trackers: [{ name: 'if:eth0', weight: 0, reverse: false }] }));
    const b = lan.add(spec('B', { priority: 100, primaryIp: ipB }));
    lan.step(a, { kind: 'start' });
    lan.step(b, { kind: 'start' });
    assert.equal(a.state, 'INIT');
    lan.step(a, { kind: 'tracker', name: 'if:eth0', up: true });
    assert.equal(a.state, 'BACKUP');
    lan.runUntil(10_000);
    assert.equal(a.state, 'MASTER');
    lan.now = 10_300;
    lan.step(a, { kind: 'tracker', name: 'if:eth0', up: false });
    assert.equal(a.state, 'FAULT');
    assert.deepEqual(lan.sent.at(-1), { t: 10_300, from: 'A', what: 'advert', value: 0 });
    lan.runUntil(11_000);
    assert.equal(lan.when('B', 'MASTER'), 10_300 + 609.375);
    lan.now = 12_000;
    lan.step(a, { kind: 'tracker', name: 'if:eth0', up: true });
    assert.equal(a.state, 'BACKUP');
    lan.runUntil(30_000);
    assert.equal(a.state, 'MASTER'); // preempts again: B's adverts (100) are ignored
  });

  it('sync group: one member faults, all resign; all come back together', () => {
    const lan = new Lan();
    const g = lan.group('G');
    const a1 = lan.add(spec('A1', { priority: 150, initialState: 'MASTER', primaryIp: ipA, trackers: [{ name: 'script:chk', weight: 0, reverse: false }] }), g);
    const a2 = lan.add(spec('A2', { vrid: 52, priority: 150, initialState: 'MASTER', primaryIp: ipA }), g);
    const b1 = lan.add(spec('B1', { priority: 100, primaryIp: ipB }));
    const b2 = lan.add(spec('B2', { vrid: 52, priority: 100, primaryIp: ipB }));
    for (const n of [a1, a2, b1, b2]) lan.step(n, { kind: 'start' });
    lan.step(a1, { kind: 'tracker', name: 'script:chk', up: true });
    lan.runUntil(10_000);
    assert.deepEqual([a1.state, a2.state, g.state], ['MASTER', 'MASTER', 'MASTER']);
    lan.now = 10_400;
    lan.step(a1, { kind: 'tracker', name: 'script:chk', up: false });
    assert.deepEqual([a1.state, a2.state, g.state], ['FAULT', 'FAULT', 'FAULT']);
    assert.deepEqual(lan.sent.filter((s) => s.t === 10_400).map((s) => [s.from, s.value]), [['A1', 0], ['A2', 0]]);
    lan.runUntil(12_000);
    assert.deepEqual([b1.state, b2.state], ['MASTER', 'MASTER']);
    lan.now = 12_000;
    lan.step(a1, { kind: 'tracker', name: 'script:chk', up: true });
    assert.deepEqual([a1.state, a2.state, g.state], ['BACKUP', 'BACKUP', 'BACKUP']);
    lan.runUntil(30_000);
    assert.deepEqual([a1.state, a2.state, b1.state, b2.state], ['MASTER', 'MASTER', 'BACKUP', 'BACKUP']);
    assert.deepEqual(lan.events.filter((e) => e.kind === 'group').map((e) => e.state), ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
  });

  it('sync group: no member becomes master until every member wants to, then all at once', () => {
    const lan = new Lan();
    const g = lan.group('G');
    const fast = lan.add(spec('FAST', { intervalCs: 100 }), g);
    const slow = lan.add(spec('SLOW', { vrid: 52, intervalCs: 200 }), g);
    lan.step(fast, { kind: 'start' });
    lan.step(slow, { kind: 'start' });
    lan.runUntil(6609.374);
    assert.deepEqual([fast.state, slow.state], ['BACKUP', 'BACKUP']);
    lan.runUntil(6609.375);
    assert.deepEqual([fast.state, slow.state], ['MASTER', 'MASTER']);
    assert.equal(lan.when('FAST', 'MASTER'), 6609.375);
  });
});

describe('VRRP spec from keepalived.conf', () => {
  const conf = `vrrp_script chk {\n script /bin/true\n weight -20\n}
vrrp_instance V {
 interface eth0
 virtual_router_id 51
 priority 150
 advert_int 2
 preempt_delay 2.5
 track_interface {\n  eth1 weight 10\n }
 track_script {\n  chk\n }
 garp_master_refresh 60
 virtual_ipaddress { 198.19.0.100 }
}`;

  it('converts units, names trackers, and tracks the instance interface', () => {
    const c = parseKeepalivedConfig(conf, 'k.conf');
    const s = instanceSpec(c.vrrp.instances[0]!, c.globalDefs, parseIpv4('198.19.0.2'));
    assert.deepEqual(s, {
      name: 'V', version: 2, vrid: 51, priority: 150, intervalCs: 200, initialState: 'BACKUP', preempt: true,
      preemptDelayMs: 2500, preemptHoldMs: 0, primaryIp: parseIpv4('198.19.0.2'),
      trackers: [
        { name: 'if:eth0', weight: 0, reverse: false },
        { name: 'if:eth1', weight: 10, reverse: false },
        { name: 'script:chk', weight: -20, reverse: false },
      ],
      garp: { masterRepeat: 5, masterDelayMs: 5000, masterRefreshMs: 60_000, masterRefreshRepeat: 1, lowerPrioRepeat: 5, lowerPrioDelayMs: 5000 },
      lowerPrioNoAdvert: false, higherPrioSendAdvert: false,
    });
  });

  it('preempt_sync_wait (default 5 s) holds preemption only where connection sync follows the instance', () => {
    const c = parseKeepalivedConfig(conf, 'k.conf');
    assert.equal(instanceSpec(c.vrrp.instances[0]!, c.globalDefs, 1, true).preemptHoldMs, 5000);
    const said = parseKeepalivedConfig(conf.replace(' preempt_delay 2.5', ' preempt_sync_wait 1.5'), 'k.conf');
    assert.equal(instanceSpec(said.vrrp.instances[0]!, said.globalDefs, 1, true).preemptHoldMs, 1500);
    assert.equal(instanceSpec(said.vrrp.instances[0]!, said.globalDefs, 1, false).preemptHoldMs, 0);
    const off = parseKeepalivedConfig(conf.replace(' preempt_delay 2.5', ' preempt_sync_wait 0'), 'k.conf');
    assert.equal(instanceSpec(off.vrrp.instances[0]!, off.globalDefs, 1, true).preemptHoldMs, 0);
  });

  it('dont_track_primary leaves the interface out', () => {
    const c = parseKeepalivedConfig(conf.replace('priority 150', 'priority 150\n dont_track_primary'), 'k.conf');
    assert.deepEqual(instanceSpec(c.vrrp.instances[0]!, c.globalDefs, 1).trackers.map((t) => t.name), ['if:eth1', 'script:chk']);
  });
});
