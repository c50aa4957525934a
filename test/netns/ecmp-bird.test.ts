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
import type { NsProcess } from '../../src/lab/process.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { countHttp, HTTP_PORT, labTool, repoRoot } from '../../src/lab/services.js';
import { ipIn, run } from '../../src/lab/netns.js';
import { birdRoutesFile } from '../../src/announce/bird.js';
import { capture } from '../support/adm-director.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { requireTools } from '../support/prerequisites.js';
import { waitUntil } from '../support/wait.js';

const HELD = 30;

interface Stats { services: Array<{ port: number; conns: number; realServers: Array<{ activeConns: number }> }> }

function httpConns(ecmp: EcmpLab, index: number): number {
  const s = ecmp.directors[index]!.director?.stats() as Stats | null | undefined;
  return s?.services.find((v) => v.port === HTTP_PORT)?.conns ?? 0;
}

function httpActive(ecmp: EcmpLab, index: number): number {
  const s = ecmp.directors[index]!.director?.stats() as Stats | null | undefined;
  return s?.services.find((v) => v.port === HTTP_PORT)?.realServers.reduce((n, rs) => n + rs.activeConns, 0) ?? 0;
}

/** `director adm -L -c -n` of a director: the real server of each HTTP client port. */
async function connectionsOf(ns: string): Promise<Map<number, string>> {
  const io = capture();
  assert.equal(await main(['adm', '-L', '-c', '-n', '--netns', ns], io), 0, io.stderr.join('\n'));
  const chosen = new Map<number, string>();
  for (const line of io.stdout.join('\n').split('\n')) {
    const m = /^TCP\s+\S+\s+\S+\s+[\d.]+:(\d+)\s+[\d.]+:80\s+([\d.]+):80/.exec(line);
    if (m !== null) chosen.set(Number(m[1]), m[2] as string);
  }
  return chosen;
}

/** The client ports every director lists now. */
async function listedPorts(ecmp: EcmpLab): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const d of ecmp.directors) for (const port of (await connectionsOf(d.host.ns)).keys()) ports.add(port);
  return ports;
}

/** The weight of each next hop of a multipath route as `ip route` prints it (1 when it prints none). */
function nexthopWeights(route: string): number[] {
  return [...route.matchAll(/nexthop via \S+ dev \S+(?: weight (\d+))?/g)].map((m) => Number(m[1] ?? 1));
}

/** An ECMP lab with dir1 and dir2 announcing the VIP; dir3 joins in the first test. */
function ecmpLab(fx: LabFixture, sloppyTcp: boolean): () => EcmpLab {
  let ecmp: EcmpLab | null = null;
  before(async function () {
    this.timeout(120_000);
    requireTools(this, 'bird', 'birdc');
    ecmp = new EcmpLab(fx.lab, fx.cleanup, { sloppyTcp, running: 2 });
    await ecmp.start();
    const e = ecmp;
    await waitUntil('the router holds the VIP via two directors', async () => {
      const dead = e.directors.find((d) => d.director?.process?.running === false);
      if (dead !== undefined) throw new Error(`${dead.host.name} exited: ${dead.director!.process!.stderr.trim()}`);
      return (await e.nextHops()).length === 2;
    }, 90_000);
  });
  return () => {
    if (ecmp === null) throw new Error('ECMP lab not started');
    return ecmp;
  };
}

/** The held client's summary: a failed request is a broken connection (it timed out and the socket was dropped). */
interface Verdict { requests: number; failed: number; distinctConnections: number }

function holdFlows(fx: LabFixture): NsProcess {
  const hold = spawnInNamespace(fx.lab.client.ns, [process.execPath, labTool('http-hold.js'), '--target', `${fx.lab.vip}:${HTTP_PORT}`,
    '--connections', String(HELD), '--interval', '200', '--request-timeout', '3000', '--seconds', '120']);
  fx.cleanup.first(() => hold.stop());
  return hold;
}

const statsLines = (ecmp: EcmpLab, index: number): number => (ecmp.directors[index]!.director?.process?.stdout.match(/^stats: /gm) ?? []).length;
const rounds = (hold: NsProcess): number => (hold.stdout.match(/^round \d+$/gm) ?? []).length;

async function verdictOf(hold: NsProcess): Promise<Verdict> {
  await hold.stop();
  return JSON.parse(hold.stdout.trim().split('\n').at(-1)!) as Verdict;
}

/** Holds HELD keep-alive connections over dir1 and dir2, starts dir3, and returns the client's verdict once ECMP has handed it flows. */
async function joinOneUnderLoad(fx: LabFixture, ecmp: EcmpLab): Promise<{ held: number[]; moved: number; verdict: Verdict }> {
  const hold = holdFlows(fx);
  await hold.waitFor(/^ready \d+$/m, 30_000);
  await freshReports(ecmp, [0, 1]);
  const held = [0, 1].map((i) => httpActive(ecmp, i));
  ecmp.startDirector(2);
  await waitUntil('the router holds the VIP via three directors', async () => (await ecmp.nextHops()).length === 3, 60_000);
  // A flow ECMP hands dir3 becomes a connection there at its next request (sloppy_tcp), or its
  // request fails after the request timeout and the client reconnects: two whole rounds of
  // requests after the route changed have seen either.
  await twoRounds(hold);
  await freshReports(ecmp, [2]);
  return { held, moved: httpConns(ecmp, 2), verdict: await verdictOf(hold) };
}

/** Directors report their counters once a second (a stats line): waits for reports made after now. */
async function freshReports(ecmp: EcmpLab, indices: number[]): Promise<void> {
  const seen = indices.map((i) => statsLines(ecmp, i));
  await waitUntil('fresh reports from the directors', () => indices.every((i, k) => statsLines(ecmp, i) >= seen[k]! + 2), 30_000);
}

/** Waits for two whole rounds of the held client's requests: a moved flow has gone on, or failed and reconnected. */
async function twoRounds(hold: NsProcess): Promise<void> {
  const from = rounds(hold);
  await waitUntil('two rounds of requests over the new route', () => rounds(hold) >= from + 2, 60_000);
}

/**
 * Holds HELD keep-alive connections, drains director 3 away, and returns the client's verdict with
 * how many of the held flows each director carried (counted above what it held before: earlier
 * tests may leave broken flows ESTABLISHED in a director's table).
 */
async function drainOneUnderLoad(fx: LabFixture, ecmp: EcmpLab): Promise<{ held: Record<string, number>; moved: number; verdict: Verdict }> {
  const { lab } = fx;
  await freshReports(ecmp, [0, 1, 2]);
  const baseline = [0, 1, 2].map((i) => httpActive(ecmp, i));
  const hold = holdFlows(fx);
  await hold.waitFor(/^ready \d+$/m, 30_000);
  await freshReports(ecmp, [0, 1, 2]);
  const held = Object.fromEntries(ecmp.directors.map((d, i) => [d.host.name, httpActive(ecmp, i) - baseline[i]!]));
  assert.equal((await ecmp.nextHops()).length, 3, 'the router spreads over three directors');
  assert.ok((held.dir3 ?? 0) > 0, `ECMP gave dir3 some of the held flows: ${JSON.stringify(held)}`);
  const io = capture();
  assert.equal(await main(['drain', '--netns', ecmp.directors[2]!.host.ns, '--timeout', '0'], io), 0, io.stderr.join('\n'));
  assert.match(io.stdout.join('\n'), new RegExp(`withdrawn: ${lab.vip.replace(/\./g, '\\.')}`));
  await waitUntil('the router left with two next hops', async () => (await ecmp.nextHops()).length === 2, 30_000);
  await ecmp.directors[2]!.director!.process!.exited;
  await twoRounds(hold);
  return { held, moved: held.dir3 ?? 0, verdict: await verdictOf(hold) };
}

describe('ECMP: three directors announce the VIP through bird2, mh + sloppy_tcp (needs root: creates network namespaces, runs bird2)', function () {
  this.timeout(240_000);
  const fx = withLab({ mode: 'dr', servers: 3, directors: 3 });
  const lab = ecmpLab(fx, true);

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
  const lab = ecmpLab(fx, false);

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
