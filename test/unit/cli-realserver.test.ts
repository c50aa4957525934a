// Real server setup/check/teardown against a fake system: which items, idempotence, what
// --check reports, what teardown restores, and the CLI around it.
import { strict as assert } from 'node:assert';
import { buildPlan } from '../../src/realserver/plan.js';
import { checkRealServer, setupRealServer, teardownRealServer } from '../../src/realserver/realserver.js';
import { memoryStateStore } from '../support/memory-state-store.js';
import type { RealServerSystem } from '../../src/realserver/system.js';
import { executeGroup } from '../../src/cli/command.js';
import { realserverCommands } from '../../src/cli/realserver.js';
import type { CliIo } from '../../src/cli/io.js';

interface FakeSystem extends RealServerSystem {
  sysctls: Map<string, string>;
  lo: string[];
}

/** A fresh kernel's defaults for lo, all, default and eth0 (rp_filter strict on eth0). */
function fakeSystem(): FakeSystem {
  const sysctls = new Map<string, string>();
  for (const dev of ['all', 'default', 'lo', 'eth0']) {
    sysctls.set(`net.ipv4.conf.${dev}.arp_ignore`, '0');
    sysctls.set(`net.ipv4.conf.${dev}.arp_announce`, '0');
    sysctls.set(`net.ipv4.conf.${dev}.rp_filter`, dev === 'eth0' ? '1' : '0');
    // IPv6 switched off on eth0, as some hosts ship it.
    sysctls.set(`net.ipv6.conf.${dev}.disable_ipv6`, dev === 'eth0' ? '1' : '0');
  }
  const sys: FakeSystem = {
    sysctls,
    lo: ['127.0.0.1/8'],
    readSysctl: (k) => sysctls.get(k) ?? null,
    writeSysctl: (k, v) => void sysctls.set(k, v),
    loAddresses: () => [...sys.lo],
    addLoAddress: (c) => void sys.lo.push(c),
    delLoAddress: (c) => void (sys.lo = sys.lo.filter((a) => a !== c)),
    interfaces: () => ['eth0', 'lo'],
  };
  return sys;
}

const DR = { vip: '198.19.0.100', mode: 'dr' as const, interface: 'eth0' };

describe('realserver: plan, setup, check, teardown (fake system)', () => {
  it('plans the VIP on lo, arp_ignore/arp_announce on all, lo, IF and rp_filter on all, IF', () => {
    assert.deepEqual(buildPlan(DR).map((i) => i.title), [
      '198.19.0.100/32 on lo',
      'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.lo.arp_ignore=1', 'net.ipv4.conf.eth0.arp_ignore=1',
      'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.lo.arp_announce=2', 'net.ipv4.conf.eth0.arp_announce=2',
      'net.ipv4.conf.all.rp_filter=2', 'net.ipv4.conf.eth0.rp_filter=2',
    ]);
    assert.equal(buildPlan({ vip: '198.19.0.100', mode: 'dr' }).length, 6);
  });

  it('--check on a fresh system lists every missing item, exit 1', () => {
    const out = checkRealServer(DR, fakeSystem());
    assert.equal(out.code, 1);
    assert.deepEqual(out.lines, [
      'missing: 198.19.0.100/32 is not on lo',
      'missing: net.ipv4.conf.all.arp_ignore is 0, want 1 or 2',
      'missing: net.ipv4.conf.lo.arp_ignore is 0, want 1 or 2',
      'missing: net.ipv4.conf.eth0.arp_ignore is 0, want 1 or 2',
      'missing: net.ipv4.conf.all.arp_announce is 0, want 2',
      'missing: net.ipv4.conf.lo.arp_announce is 0, want 2',
      'missing: net.ipv4.conf.eth0.arp_announce is 0, want 2',
      'missing: net.ipv4.conf.eth0.rp_filter is 1, want 0 or 2',
    ]);
  });

  it('setup applies what is missing, is idempotent, and --check then passes', () => {
    const sys = fakeSystem();
    const store = memoryStateStore();
    const first = setupRealServer(DR, sys, store);
    assert.equal(first.code, 0);
    assert.equal(first.lines.length, 9);
    assert.equal(first.lines[0], 'set: 198.19.0.100/32 on lo');
    assert.equal(first.lines[7], 'set: net.ipv4.conf.eth0.rp_filter=2 (was 1)');
    assert.ok(sys.lo.includes('198.19.0.100/32'));
    assert.equal(sys.sysctls.get('net.ipv4.conf.all.rp_filter'), '0', 'a relaxed rp_filter is left alone');
    const again = setupRealServer(DR, sys, store);
    assert.deepEqual(again.lines, ['ok: already set up for 198.19.0.100 (dr)']);
    assert.equal(sys.lo.filter((a) => a === '198.19.0.100/32').length, 1);
    assert.deepEqual(checkRealServer(DR, sys), { lines: ['ok: all 9 items set for 198.19.0.100 (dr)'], code: 0 });
  });

  it('teardown removes the VIP and restores the previous sysctls', () => {
    const sys = fakeSystem();
    const before = new Map(sys.sysctls);
    const store = memoryStateStore();
    setupRealServer(DR, sys, store);
    const out = teardownRealServer('198.19.0.100', sys, store);
    assert.equal(out.code, 0);
    assert.deepEqual(sys.lo, ['127.0.0.1/8']);
    assert.deepEqual(sys.sysctls, before);
    assert.equal(out.lines[0], 'removed: 198.19.0.100/32 from lo');
    assert.equal(store.list().length, 0);
  });

  it('teardown keeps the sysctls while another VIP still needs them', () => {
    const sys = fakeSystem();
    const store = memoryStateStore();
    setupRealServer(DR, sys, store);
    setupRealServer({ ...DR, vip: '198.19.0.101' }, sys, store);
    const out = teardownRealServer('198.19.0.100', sys, store);
    assert.ok(out.lines.includes('note: sysctls kept, still needed for 198.19.0.101'));
    assert.equal(sys.sysctls.get('net.ipv4.conf.all.arp_ignore'), '1');
    assert.deepEqual(sys.lo, ['127.0.0.1/8', '198.19.0.101/32']);
  });

  it('a second setup of the same VIP keeps the first previous values', () => {
    const sys = fakeSystem();
    const store = memoryStateStore();
    setupRealServer(DR, sys, store);
    sys.sysctls.set('net.ipv4.conf.eth0.arp_ignore', '0');
    setupRealServer(DR, sys, store);
    assert.equal(store.load('198.19.0.100')!.previous['net.ipv4.conf.eth0.arp_ignore'], '0');
    teardownRealServer('198.19.0.100', sys, store);
    assert.equal(sys.sysctls.get('net.ipv4.conf.eth0.arp_ignore'), '0');
  });

  it('an IPv6 VIP: VIP/128 on lo and IPv6 on where packets arrive, no ARP or rp_filter items; teardown restores', () => {
    const sys = fakeSystem();
    const store = memoryStateStore();
    const v6 = { vip: '2001:db8::100', mode: 'dr' as const, interface: 'eth0' };
    assert.deepEqual(buildPlan(v6).map((i) => i.title), [
      '2001:db8::100/128 on lo',
      'net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.lo.disable_ipv6=0', 'net.ipv6.conf.eth0.disable_ipv6=0',
    ]);
    assert.deepEqual(checkRealServer(v6, sys).lines, ['missing: 2001:db8::100/128 is not on lo', 'missing: net.ipv6.conf.eth0.disable_ipv6 is 1, want 0']);
    const before = new Map(sys.sysctls);
    assert.deepEqual(setupRealServer(v6, sys, store).lines, [
      'set: 2001:db8::100/128 on lo', 'set: net.ipv6.conf.eth0.disable_ipv6=0 (was 1)', 'ok: set up for 2001:db8::100 (dr)',
    ]);
    assert.equal(sys.sysctls.get('net.ipv4.conf.all.arp_ignore'), '0', 'ARP is not touched for an IPv6 VIP');
    assert.equal(checkRealServer(v6, sys).code, 0);
    assert.equal(teardownRealServer('2001:db8::100', sys, store).lines[0], 'removed: 2001:db8::100/128 from lo');
    assert.deepEqual(sys.sysctls, before);
    assert.deepEqual(sys.lo, ['127.0.0.1/8']);
  });

  it('a missing interface is an error listing the real ones', () => {
    const out = setupRealServer({ ...DR, interface: 'eth9' }, fakeSystem(), memoryStateStore());
    assert.deepEqual(out, { lines: ["error: interface 'eth9' does not exist; one of: eth0"], code: 1 });
  });
});

describe('cli: director realserver (fake system)', () => {
  function io(): CliIo & { stdout: string[]; stderr: string[] } {
    const c = { stdout: [] as string[], stderr: [] as string[] };
    return { ...c, out: (l) => void c.stdout.push(l), err: (l) => void c.stderr.push(l), waitForSignal: () => new Promise(() => {}) };
  }

  it('setup, --check and teardown with exit statuses 1 (missing) then 0', async () => {
    const sys = fakeSystem();
    const store = memoryStateStore();
    const deps = { system: () => sys, store: () => store };
    const args = ['setup', '--vip', '198.19.0.100', '--mode', 'dr', '--interface', 'eth0'];
    assert.equal(await executeGroup(realserverCommands(deps), [...args, '--check'], io()), 1);
    assert.equal(await executeGroup(realserverCommands(deps), args, io()), 0);
    const checked = io();
    assert.equal(await executeGroup(realserverCommands(deps), [...args, '--check'], checked), 0);
    assert.deepEqual(checked.stdout, ['ok: all 9 items set for 198.19.0.100 (dr)']);
    assert.equal(await executeGroup(realserverCommands(deps), ['teardown', '--vip', '198.19.0.100'], io()), 0);
    assert.equal(await executeGroup(realserverCommands(deps), [...args, '--check'], io()), 1);
  });

  it('takes an IPv6 VIP in any spelling and works on it as ip prints it', async () => {
    const sys = fakeSystem();
    const out = io();
    const deps = { system: () => sys, store: memoryStateStore };
    assert.equal(await executeGroup(realserverCommands(deps), ['setup', '--vip', '2001:DB8:0:0::0100', '--mode', 'dr'], out), 0);
    assert.ok(sys.lo.includes('2001:db8::100/128'), sys.lo.join(' '));
    assert.match(out.stdout.join('\n'), /ok: set up for 2001:db8::100 \(dr\)/);
  });

  it('tun mode applies ARP suppression, then runs the decapsulator until a signal', async () => {
    const sys = fakeSystem();
    const out = { ...io(), waitForSignal: async () => 'SIGTERM' };
    const started: { vip: string; interface: string }[] = [];
    let stopped = 0;
    const decapsulator = async (o: { vip: string; interface: string }) => {
      started.push(o);
      return { stats: () => ({ decapsulated: 3 }), stop: async () => void stopped++ };
    };
    const commands = realserverCommands({ system: () => sys, store: memoryStateStore, decapsulator });
    const code = await executeGroup(commands, ['setup', '--vip', '198.19.0.100', '--mode', 'tun', '--interface', 'eth0'], out);
    assert.equal(code, 0);
    assert.equal(sys.sysctls.get('net.ipv4.conf.eth0.arp_announce'), '2');
    assert.deepEqual(started, [{ vip: '198.19.0.100', interface: 'eth0' }]);
    assert.equal(stopped, 1);
    assert.match(out.stdout.join('\n'), /decapsulating IPIP, 6in4, ip6ip6 and 4in6 for 198.19.0.100 on eth0/);
    assert.match(out.stdout.join('\n'), /SIGTERM, stopped \{"decapsulated":3\}/);
  });
});
