// Route announcement and drain, against a fake route daemon (no bird, no root): which VIPs are
// announced as real servers come and go, withdrawals, failures retried, the routes file bird
// includes, and a drain that waits for connections to end or times out.

import assert from 'node:assert/strict';
import type { AdmRealServer, AdmService, AdmSnapshot } from '../../src/adm/model.js';
import { RouteAnnouncer, serviceableVips, type RouteDaemon } from '../../src/announce/announcer.js';
import { birdRoutesFile } from '../../src/announce/bird.js';
import { activeConnections, drain } from '../../src/announce/drain.js';
import { controlOps } from '../../src/control/ops.js';
import { silentLogger } from '../../src/log/logger.js';
import { main } from '../../src/cli/main.js';
import { capture } from '../support/adm-director.js';
import { SNAPSHOT } from '../fixtures/adm/data.js';

const rs = (effectiveWeight: number, activeConns = 0): AdmRealServer =>
  ({ ...SNAPSHOT.services[0]!.realServers[0]!, effectiveWeight, activeConns });
const svc = (address: string, port: number, servers: AdmRealServer[]): AdmService =>
  ({ ...SNAPSHOT.services[0]!, address, port, realServers: servers });
const snap = (...services: AdmService[]): AdmSnapshot => ({ ...SNAPSHOT, services });

class FakeDaemon implements RouteDaemon {
  readonly describe = 'fake';
  readonly calls: string[][] = [];
  failures = 0;
  async announce(addresses: readonly string[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('daemon down');
    }
    this.calls.push([...addresses]);
  }
}

describe('route announcement', () => {
  it('announces a VIP while a service on it has a real server with weight above 0, in address order', () => {
    assert.deepEqual(serviceableVips(snap(
      svc('198.19.0.101', 80, [rs(1)]), svc('198.19.0.100', 443, [rs(0), rs(2)]), svc('198.19.0.100', 80, [rs(0)]), svc('198.19.0.9', 80, [rs(0)]),
    )), ['198.19.0.100', '198.19.0.101']);
  });

  it('announces IPv6 VIPs too, after the IPv4 ones, in address order', () => {
    assert.deepEqual(serviceableVips(snap(
      svc('2001:db8::101', 80, [rs(1)]), svc('198.19.0.100', 80, [rs(1)]), svc('2001:db8::100', 80, [rs(1)]),
      svc('2001:db8::9', 80, [rs(1)]), svc('2001:db8::102', 80, [rs(0)]),
    )), ['198.19.0.100', '2001:db8::9', '2001:db8::100', '2001:db8::101']);
  });

  it('never announces a firewall-mark service (0.0.0.0, no address of its own)', () => {
    assert.deepEqual(serviceableVips(snap({ ...svc('0.0.0.0', 0, [rs(1)]), fwmark: 7 }, svc('198.19.0.100', 80, [rs(1)]))), ['198.19.0.100']);
  });

  it('follows the real servers: announce, no call while unchanged, withdraw a VIP that cannot serve, retry a failure', async () => {
    const daemon = new FakeDaemon();
    const a = new RouteAnnouncer(daemon, silentLogger);
    await a.update(snap(svc('198.19.0.100', 80, [rs(1)]), svc('198.19.0.101', 80, [rs(1)])));
    await a.update(snap(svc('198.19.0.100', 80, [rs(1)]), svc('198.19.0.101', 80, [rs(1)])));
    assert.deepEqual(daemon.calls, [['198.19.0.100', '198.19.0.101']]);
    daemon.failures = 1;
    await a.update(snap(svc('198.19.0.100', 80, [rs(1)]), svc('198.19.0.101', 80, [rs(0)])));
    assert.deepEqual(a.current, ['198.19.0.100', '198.19.0.101'], 'a failed update changes nothing');
    await a.update(snap(svc('198.19.0.100', 80, [rs(1)]), svc('198.19.0.101', 80, [rs(0)])));
    assert.deepEqual(daemon.calls.at(-1), ['198.19.0.100']);
    assert.deepEqual(a.current, ['198.19.0.100']);
  });

  it('withdraws everything on drain and never announces again; a withdrawal that fails is an error', async () => {
    const daemon = new FakeDaemon();
    const a = new RouteAnnouncer(daemon, silentLogger);
    await a.update(snap(svc('198.19.0.100', 80, [rs(1)])));
    await a.withdrawAll();
    await a.update(snap(svc('198.19.0.100', 80, [rs(1)])));
    assert.deepEqual(daemon.calls, [['198.19.0.100'], []]);
    const failing = new FakeDaemon();
    const b = new RouteAnnouncer(failing, silentLogger);
    await b.update(snap(svc('198.19.0.100', 80, [rs(1)])));
    failing.failures = 1;
    await assert.rejects(b.withdrawAll(), /daemon down/);
  });

  it("writes bird's routes file: a static protocol of /32 blackhole routes and one of /128 (each empty when there is none)", () => {
    assert.equal(birdRoutesFile(['198.19.0.100', '198.19.0.101', '2001:db8::100'], 42), `# Written by director (pid 42): the VIPs it announces now. Do not edit; included by bird.conf.
protocol static director_vips {
  ipv4;
  route 198.19.0.100/32 blackhole;
  route 198.19.0.101/32 blackhole;
}
protocol static director_vips6 {
  ipv6;
  route 2001:db8::100/128 blackhole;
}
`);
    assert.match(birdRoutesFile([], 42), /protocol static director_vips \{\n {2}ipv4;\n\}\nprotocol static director_vips6 \{\n {2}ipv6;\n\}\n$/);
  });
});

describe('director drain and lab demo --ecmp: usage', () => {
  it('refuses what cannot work, before touching anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['lab', 'demo', '--ecmp', '3', '--mode', 'nat'], /--ecmp runs DR only/],
      [['lab', 'demo', '--ecmp', '2', '--ha'], /at most one of --ha and --ecmp/],
      [['lab', 'demo', '--ecmp', '4'], /ecmp/],
      [['drain', '--timeout', 'soon'], /'--timeout' must be a number of seconds/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      assert.equal(await main(argv, io), 2, argv.join(' '));
      assert.match(io.stderr.join('\n'), message);
    }
  });
});

describe('drain', () => {
  it('withdraws, then waits until the established connections have ended', async () => {
    const daemon = new FakeDaemon();
    const a = new RouteAnnouncer(daemon, silentLogger);
    await a.update(snap(svc('198.19.0.100', 80, [rs(1)])));
    const left = [3, 2, 0];
    const r = await drain({ snapshot: () => snap(svc('198.19.0.100', 80, [rs(1, left.shift() ?? 0)])), announcer: a, timeoutMs: 30_000 });
    assert.deepEqual([r.withdrawn, r.active, r.timedOut], [['198.19.0.100'], 0, false]);
    assert.deepEqual(daemon.calls.at(-1), []);
    assert.equal(left.length, 0, 'polled until none were left');
  });

  it('gives up at the timeout and says how many were left', async () => {
    let t = 0;
    const r = await drain({ snapshot: () => snap(svc('198.19.0.100', 80, [rs(1, 2), rs(1, 1)])), announcer: null, timeoutMs: 1000, now: () => (t += 400) });
    assert.deepEqual([r.withdrawn, r.active, r.timedOut], [[], 3, true]);
    assert.equal(activeConnections(snap(svc('198.19.0.100', 80, [rs(1, 2), rs(1, 1)]))), 3);
  });

  it('the control op checks its timeout', async () => {
    const ops = controlOps({ snapshot: () => SNAPSHOT, stats: () => ({}), connections: () => [], edit: async () => {} },
      { version: 't', drain: async (ms) => ({ ms }) });
    assert.deepEqual(await ops.drain!({ timeout: 1.5 }), { ms: 1500 });
    assert.deepEqual(await ops.drain!({}), { ms: 60_000 });
    assert.throws(() => ops.drain!({ timeout: -1 }), /timeout: must be a number of seconds/);
    assert.throws(() => ops.drain!({ timeout: 'x' }), /timeout: must be a number of seconds/);
  });
});
