// `director lab demo --ecmp N`: N directors (2 or 3) announce the VIP through bird2 to a router
// that spreads flows over them by ECMP. The demo sends HTTP connections and shows how they spread
// over the directors and the real servers, then holds keep-alive flows, drains one director away
// (its route withdrawn) and shows its flows going on through the others: every director runs mh
// with sloppy_tcp, so a moved flow gets the same real server again.

import { Cleanup } from './cleanup.js';
import { directorBin, latestStats } from './director-runner.js';
import { EcmpLab } from './ecmp.js';
import { describeLab } from './report.js';
import { countHttp, HTTP_PORT, labTool, startRealServers } from './services.js';
import { spawnInNamespace } from './process.js';
import { waitFor } from './ha.js';
import type { LabHandle } from './topology.js';
import { run } from './netns.js';

const HELD = 30;
const say = (s: string): void => { process.stdout.write(s + '\n'); };

interface DemoStats { services?: Array<{ port: number; conns: number; realServers: Array<{ address: string; activeConns: number; conns: number }> }> }

function http(ecmp: EcmpLab, index: number): NonNullable<DemoStats['services']>[number] | undefined {
  const s = (latestStats(ecmp.directors[index]!.director?.process?.stdout ?? '') ?? {}) as DemoStats;
  return s.services?.find((v) => v.port === HTTP_PORT);
}

const conns = (ecmp: EcmpLab, i: number): number => http(ecmp, i)?.conns ?? 0;
const active = (ecmp: EcmpLab, i: number): number => http(ecmp, i)?.realServers.reduce((n, rs) => n + rs.activeConns, 0) ?? 0;

/** Builds the lab and runs the demo; true when every connection answered and no held flow broke. */
export async function ecmpDemo(build: (cleanup: Cleanup) => Promise<LabHandle>, connections: number): Promise<boolean> {
  for (const tool of ['bird', 'birdc']) {
    if (!(await run('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false))) {
      throw new Error(`--ecmp runs bird2 on the router and the directors: ${tool} is not installed (Debian: apt-get install bird2)`);
    }
  }
  const cleanup = new Cleanup();
  try {
    const lab = await build(cleanup);
    await startRealServers(lab, cleanup, { udp: false });
    say(describeLab(lab));
    const ecmp = new EcmpLab(lab, cleanup, { sloppyTcp: true });
    await ecmp.start();
    const n = lab.directors.length;
    const hops = async (): Promise<string[]> => ecmp.nextHops();
    let seen: string[] = [];
    const deadline = Date.now() + 60_000;
    while ((seen = await hops()).length !== n) {
      if (Date.now() > deadline) throw new Error(`the router has ${seen.length} of ${n} next hops for ${lab.vip} after 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    say(`\nbird2 on the router (AS 64512) learned ${lab.vip}/32 from ${n} directors (AS 64513) over BGP:`);
    say(`  ${lab.vip} via ${seen.join(', ')} (ECMP, layer-4 hash: fib_multipath_hash_policy=1)`);
    say('every director: the same keepalived.conf (lb_algo mh, mh-port), --sloppy-tcp, --bird-routes FILE');

    const before = ecmp.directors.map((_, i) => conns(ecmp, i));
    const r = await countHttp(lab, lab.vip, connections);
    await waitFor('every connection in the directors\' stats', () => ecmp.directors.reduce((s, _, i) => s + conns(ecmp, i) - before[i]!, 0) >= connections, 10_000).catch(() => undefined);
    say(`\n${connections} HTTP connections from ${lab.client.address}: ${r.ok ? 'all answered' : `FAILED ${JSON.stringify(r.result)}`}`);
    say(`  per director:    ${ecmp.directors.map((d, i) => `${d.host.name} ${conns(ecmp, i) - before[i]!}`).join(', ')}`);
    say(`  per real server: ${Object.entries(r.counts).map(([rs, c]) => `${rs} ${c}`).join(', ')}`);

    const hold = spawnInNamespace(lab.client.ns, [process.execPath, labTool('http-hold.js'), '--target', `${lab.vip}:${HTTP_PORT}`,
      '--connections', String(HELD), '--interval', '200', '--request-timeout', '3000', '--seconds', '60']);
    cleanup.first(() => hold.stop());
    await hold.waitFor(/^ready \d+$/m, 30_000);
    await waitFor('the held flows in the directors\' stats', () => ecmp.directors.reduce((s, _, i) => s + active(ecmp, i), 0) >= HELD, 10_000).catch(() => undefined);
    const last = ecmp.directors[n - 1]!;
    const moved = active(ecmp, n - 1);
    say(`\n${HELD} keep-alive flows held, a request on each every 200 ms: ${ecmp.directors.map((d, i) => `${d.host.name} ${active(ecmp, i)}`).join(', ')}`);
    const t0 = Date.now();
    const drain = await run(process.execPath, [directorBin(), 'drain', '--netns', last.host.ns, '--timeout', '0']);
    while ((await hops()).length !== n - 1 && Date.now() - t0 < 30_000) await new Promise((res) => setTimeout(res, 100));
    say(`director drain ${last.host.name}: ${drain.trim().split('\n').join('; ')}`);
    say(`  the router: ${lab.vip} via ${(await hops()).join(', ')} after ${Date.now() - t0} ms; ${moved} flows move to the others`);
    await last.director?.process?.exited;
    const others = ecmp.directors.slice(0, n - 1);
    const moveStart = others.map((_, i) => conns(ecmp, i));
    await waitFor('the moved flows on the other directors', () => others.reduce((s, _, i) => s + conns(ecmp, i) - moveStart[i]!, 0) >= moved, 10_000).catch(() => undefined);
    await hold.stop();
    const verdict = JSON.parse(hold.stdout.trim().split('\n').at(-1) ?? '{}') as { requests?: number; failed?: number; distinctConnections?: number };
    const broken = (verdict.distinctConnections ?? 0) - HELD;
    say(`  held flows after the drain: ${verdict.requests} requests, ${verdict.failed} failed, ${broken} of ${HELD} connections broken`);
    return r.ok && verdict.failed === 0 && broken === 0;
  } finally {
    const t = Date.now();
    await cleanup.run();
    say(`lab removed in ${((Date.now() - t) / 1000).toFixed(2)} s`);
  }
}
