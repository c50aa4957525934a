// Directors behind a router that spreads flows by ECMP (needs root: creates network
// namespaces and runs bird2 in them). Each director announces the VIP to the router's bird2 over
// BGP (`director run --bird-routes`); the router installs one multipath route with a layer-4
// hash. Checked: flows spread over all three; every director gives a flow the real server that
// Maglev gives it offline (`director simulate`), so the choice does not depend on the director;
// and when a director joins under load, or drains away (its route withdrawn), the held flows
// ECMP moves go on: none broken with mh + sloppy_tcp, while without it they break (measured).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { ECMP_SERVICE, EcmpLab } from '../../src/lab/ecmp.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { countHttp, HTTP_PORT, repoRoot } from '../../src/lab/services.js';
import { ipIn, run } from '../../src/lab/netns.js';
import { birdRoutesFile } from '../../src/announce/bird.js';
import { capture } from '../support/adm-director.js';
import { connectionsOf, drainOneUnderLoad, ecmpLab, HELD, httpConns, joinOneUnderLoad, listedPorts, nexthopWeights } from '../support/ecmp.js';
import { withLab } from '../support/netns.js';
import { requireTools } from '../support/prerequisites.js';
import { waitUntil } from '../support/wait.js';

describe('ECMP: three directors announce the VIP through bird2, mh + sloppy_tcp (needs root: creates network namespaces, runs bird2)', function () {
  this.timeout(240_000);
  const fx = withLab({ mode: 'dr', servers: 3, directors: 3 });
  const lab = ecmpLab(fx, { sloppyTcp: true });

  it('a director joins under load: ECMP hands it some held flows, which go on there (0 broken)', async function () {
    const { held, moved, verdict } = await joinOneUnderLoad(fx, lab());
    console.log(`      held on dir1/dir2 ${held.join('/')}; dir3 joined and took ${moved}; client: ${JSON.stringify(verdict)}`);
    assert.ok(moved > 0, 'the new director took over some flows');
    assert.equal(verdict.failed, 0, JSON.stringify(verdict));
    assert.equal(verdict.distinctConnections, HELD, 'no connection was lost and reopened');
  });

  it('spreads 90 connections over the three directors, each choosing the real server mh gives the flow offline', async function () {
    const ecmp = lab();
    const route = await ipIn(fx.lab.router.ns, ['route', 'show', `${fx.lab.vip}/32`]);
    console.log(`      the router's route: ${route.trim().replace(/\s+/g, ' ')}`);
    assert.deepEqual(nexthopWeights(route), [1, 1, 1], 'bird installs three equal next hops');
    // The previous test's flows may still sit in the tables (closing): count the new flows only.
    const before = await listedPorts(ecmp);
    const r = await countHttp(fx.lab, fx.lab.vip, 90);
    assert.ok(r.ok, JSON.stringify(r.result));
    let live = new Map<number, string>();
    const perDirector = [0, 0, 0];
    await waitUntil('the directors list 90 new connections', async () => {
      live = new Map();
      perDirector.fill(0);
      for (const [i, d] of ecmp.directors.entries()) {
        for (const [port, rs] of await connectionsOf(d.host.ns)) {
          if (before.has(port)) continue;
          live.set(port, rs);
          perDirector[i]!++;
        }
      }
      return live.size >= 90;
    }, 30_000);
    console.log(`      new connections per director: ${perDirector.join(' / ')}`);
    // 90 flows over three equal next hops: below 5 on one of them is about 1e-9 under a uniform hash.
    assert.ok(perDirector.every((n) => n >= 5), `each director carries a share: ${perDirector.join(' / ')}`);

    const tmp = mkdtempSync(path.join(os.tmpdir(), `director-ecmp-sim-${fx.lab.prefix}-`));
    fx.cleanup.atEnd(() => rmSync(tmp, { recursive: true, force: true }));
    writeFileSync(path.join(tmp, 'lab.conf'), labKeepalivedConf(fx.lab, { ...ECMP_SERVICE, schedFlags: [...ECMP_SERVICE.schedFlags] }));
    writeFileSync(path.join(tmp, 'flows.txt'), [...live.keys()].map((p) => `tcp ${fx.lab.client.address}:${p} ${fx.lab.vip}:${HTTP_PORT}`).join('\n'));
    const io = capture();
    assert.equal(await main(['simulate', '-f', path.join(tmp, 'lab.conf'), '--flows', path.join(tmp, 'flows.txt'), '--json'], io), 0, io.stderr.join('\n'));
    const offline = new Map((JSON.parse(io.stdout.join('\n')) as { flows: Array<{ client: { port: number }; destination: { address: string } }> })
      .flows.map((f) => [f.client.port, f.destination.address]));
    assert.deepEqual([...live].sort(), [...offline].sort(), 'every director chose what mh chooses offline');
    assert.ok(new Set(live.values()).size > 1, 'mh-port spreads one client\'s flows over several real servers');
  });

  it('a director drained away: route withdrawn, its held flows move to the others and go on (0 broken)', async function () {
    const { held, moved, verdict } = await drainOneUnderLoad(fx, lab());
    console.log(`      held per director ${JSON.stringify(held)}; moved ${moved}; client: ${JSON.stringify(verdict)}`);
    assert.ok(moved > 0, 'the drained director carried some of the held flows');
    assert.equal(verdict.failed, 0, JSON.stringify(verdict));
    assert.equal(verdict.distinctConnections, HELD, 'no connection was lost and reopened');
  });
});

describe('ECMP over IPv6: in a dual-stack lab the directors announce the IPv6 VIP through bird2 as well, mh + sloppy_tcp (needs root: creates network namespaces, runs bird2)', function () {
  this.timeout(240_000);
  const fx = withLab({ mode: 'dr', servers: 3, directors: 3, ipv6: true });
  let ecmp: EcmpLab | null = null;

  before(async function () {
    this.timeout(120_000);
    requireTools(this, 'bird', 'birdc');
    ecmp = new EcmpLab(fx.lab, fx.cleanup, { sloppyTcp: true });
    await ecmp.start();
  });

  it('the router holds the IPv6 VIP via all three directors (/128, equal next hops), and IPv6 connections spread over them', async function () {
    const e = ecmp!;
    let route = '';
    await waitUntil('the router holds both VIPs via the three directors', async () => {
      const dead = e.directors.find((d) => d.director?.process?.running === false);
      if (dead !== undefined) throw new Error(`${dead.host.name} exited: ${dead.director!.process!.stderr.trim()}`);
      route = await ipIn(fx.lab.router.ns, ['-6', 'route', 'show', `${fx.lab.vip6!}/128`]);
      return nexthopWeights(route).length === 3 && (await e.nextHops()).length === 3;
    }, 90_000);
    console.log(`      the router's IPv6 route: ${route.trim().replace(/\s+/g, ' ')}`);
    assert.deepEqual(nexthopWeights(route), [1, 1, 1], 'bird installs three equal IPv6 next hops');
    assert.deepEqual((await e.nextHops(fx.lab.vip6!)).sort(), fx.lab.directors.map((d) => d.address6).sort(), 'each next hop is a director\'s IPv6 address');

    const r = await countHttp(fx.lab, fx.lab.vip6!, 60);
    assert.ok(r.ok, JSON.stringify(r.result));
    const perDirector = [0, 0, 0];
    await waitUntil('the directors\' stats count the 60 IPv6 connections', () => {
      for (const i of [0, 1, 2]) perDirector[i] = httpConns(e, i, true);
      return perDirector.reduce((a, b) => a + b, 0) >= 60;
    }, 30_000);
    console.log(`      IPv6 connections per director: ${perDirector.join(' / ')}`);
    // 60 flows over three equal next hops: below 3 on one of them is about 1e-7 under a uniform hash.
    assert.ok(perDirector.every((n) => n >= 3), `each director carries a share: ${perDirector.join(' / ')}`);
  });

  it('a director drained away: both VIPs withdrawn, its held IPv6 flows move to the others and go on (0 broken)', async function () {
    const { held, moved, verdict } = await drainOneUnderLoad(fx, ecmp!, { ipv6: true });
    console.log(`      held per director ${JSON.stringify(held)}; moved ${moved}; client: ${JSON.stringify(verdict)}`);
    assert.ok(moved > 0, 'the drained director carried some of the held flows');
    assert.equal(verdict.failed, 0, JSON.stringify(verdict));
    assert.equal(verdict.distinctConnections, HELD, 'no connection was lost and reopened');
    assert.equal((await ecmp!.nextHops()).length, 2, 'the IPv4 VIP was withdrawn with it');
  });
});

describe("the bird2 templates in packaging/bird parse (bird -p)", () => {
  it('director.conf (its include pointed at a routes file director wrote) and router.conf', async function () {
    requireTools(this, 'bird');
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'director-bird-templates-'));
    try {
      const routes = path.join(tmp, 'director-vips.conf');
      writeFileSync(routes, birdRoutesFile(['198.19.0.100', '2001:db8::100']));
      const director = readFileSync(path.join(repoRoot(), 'packaging', 'bird', 'director.conf'), 'utf8').replaceAll('/etc/bird/director-vips.conf', routes);
      assert.ok(director.includes(routes), 'the template includes the routes file');
      writeFileSync(path.join(tmp, 'director.conf'), director);
      await run('bird', ['-p', '-c', path.join(tmp, 'director.conf')]);
      await run('bird', ['-p', '-c', path.join(repoRoot(), 'packaging', 'bird', 'router.conf')]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('ECMP without sloppy_tcp: consistent hashing alone (needs root: creates network namespaces, runs bird2)', function () {
  this.timeout(240_000);
  const fx = withLab({ mode: 'dr', servers: 3, directors: 3 });
  const lab = ecmpLab(fx, { sloppyTcp: false });

  it('a director joins: the held flows ECMP moves break', async function () {
    const { held, moved, verdict } = await joinOneUnderLoad(fx, lab());
    const broken = verdict.failed;
    console.log(`      held on dir1/dir2 ${held.join('/')}; dir3 joined (${moved} connections there); broken ${broken} of ${HELD}; client: ${JSON.stringify(verdict)}`);
    assert.ok(broken > 0, 'flows moved to the new director broke');
    assert.ok(broken < HELD, 'flows that stayed on their director went on');
  });

  it('a director drained away: the flows that change director break, the others go on', async function () {
    const { held, moved, verdict } = await drainOneUnderLoad(fx, lab());
    const broken = verdict.failed;
    console.log(`      held per director ${JSON.stringify(held)}; moved at least ${moved}; broken ${broken} of ${HELD}; client: ${JSON.stringify(verdict)}`);
    assert.ok(broken > 0, 'the drained director\'s flows broke');
    assert.ok(broken < HELD, 'flows that stayed on their director went on');
  });
});
