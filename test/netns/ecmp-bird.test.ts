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
import { ECMP_SERVICE } from '../../src/lab/ecmp.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { countHttp, HTTP_PORT, repoRoot } from '../../src/lab/services.js';
import { ipIn, run } from '../../src/lab/netns.js';
import { birdRoutesFile } from '../../src/announce/bird.js';
import { capture } from '../support/adm-director.js';
import { connectionsOf, drainOneUnderLoad, ecmpLab, HELD, joinOneUnderLoad, listedPorts, nexthopWeights } from '../support/ecmp.js';
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

describe("the bird2 templates in packaging/bird parse (bird -p)", () => {
  it('director.conf (its include pointed at a routes file director wrote) and router.conf', async function () {
    requireTools(this, 'bird');
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'director-bird-templates-'));
    try {
      const routes = path.join(tmp, 'director-vips.conf');
      writeFileSync(routes, birdRoutesFile(['198.19.0.100']));
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
