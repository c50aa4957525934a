// `director lab demo --ecmp N`: N directors (2 or 3) announce the VIP through bird2 to a router
// that spreads flows over them by ECMP. The demo sends HTTP connections and shows how they spread
// over the directors and the real servers, then holds keep-alive flows, drains one director away
// (its route withdrawn) and shows its flows going on through the others: every director runs mh
// with sloppy_tcp, so a moved flow gets the same real server again. In a dual-stack lab (--ipv6)
// the IPv6 VIP is announced and spread the same way, and the held flows go to it.

import { Cleanup } from './cleanup.js';
import { directorBin, latestStats } from './director-runner.js';
import { EcmpLab } from './ecmp.js';
import { describeLab } from './report.js';
import { countHttp, hostPort, HTTP_PORT, labTool, startRealServers } from './services.js';
import { spawnInNamespace } from './process.js';
import { waitFor } from './ha.js';
import type { LabHandle } from './topology.js';
import { run } from './netns.js';

const HELD = 30;
const say = (s: string): void => { process.stdout.write(s + '\n'); };

interface DemoStats { services?: Array<{ vip: string; port: number; conns: number; realServers: Array<{ address: string; activeConns: number; conns: number }> }> }

/** A director's HTTP service on the IPv4 VIP, or with ipv6 on the IPv6 one. */
function http(ecmp: EcmpLab, index: number, ipv6: boolean): NonNullable<DemoStats['services']>[number] | undefined {
  const s = (latestStats(ecmp.directors[index]!.director?.process?.stdout ?? '') ?? {}) as DemoStats;
  return s.services?.find((v) => v.port === HTTP_PORT && v.vip.includes(':') === ipv6);
}

const conns = (ecmp: EcmpLab, i: number, ipv6 = false): number => http(ecmp, i, ipv6)?.conns ?? 0;
const active = (ecmp: EcmpLab, i: number, ipv6 = false): number => http(ecmp, i, ipv6)?.realServers.reduce((n, rs) => n + rs.activeConns, 0) ?? 0;

/** Waits until the router reaches address through n directors; throws after 60 s. */
async function routedThrough(ecmp: EcmpLab, address: string, n: number): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  let seen: string[] = [];
  while ((seen = await ecmp.nextHops(address)).length !== n) {
    if (Date.now() > deadline) throw new Error(`the router has ${seen.length} of ${n} next hops for ${address} after 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return seen;
}

/** Connections to address spread over the directors and real servers: printed; true when all answered. */
async function spread(lab: LabHandle, ecmp: EcmpLab, address: string, connections: number): Promise<boolean> {
  const v6 = address.includes(':');
  const before = ecmp.directors.map((_, i) => conns(ecmp, i, v6));
  const r = await countHttp(lab, address, connections);
  await waitFor('every connection in the directors\' stats', () => ecmp.directors.reduce((s, _, i) => s + conns(ecmp, i, v6) - before[i]!, 0) >= connections, 10_000).catch(() => undefined);
  say(`\n${connections} HTTP connections from ${v6 ? lab.client.address6 : lab.client.address} to ${address}: ${r.ok ? 'all answered' : `FAILED ${JSON.stringify(r.result)}`}`);
  say(`  per director:    ${ecmp.directors.map((d, i) => `${d.host.name} ${conns(ecmp, i, v6) - before[i]!}`).join(', ')}`);
  say(`  per real server: ${Object.entries(r.counts).map(([rs, c]) => `${rs} ${c}`).join(', ')}`);
  return r.ok;
}

/** Builds the lab and runs the demo; true when every connection answered and no held flow broke. */
export async function ecmpDemo(build: (cleanup: Cleanup) => Promise<LabHandle>, connections: number): Promise<boolean> {
  for (const tool of ['bird', 'birdc']) {
    if (!(await run('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false))) {
      throw new Error(`--ecmp runs bird2 on the router and the directors: ${tool} is not installed (Debian: apt-get install bird2)`);
    }
  }
  const cleanup = new Cleanup();
  try {
    const t = Date.now();
    const lab = await build(cleanup);
    await startRealServers(lab, cleanup, { udp: false });
    say(`lab ${lab.prefix} built in ${((Date.now() - t) / 1000).toFixed(2)} s`);
    say(describeLab(lab));
    const ecmp = new EcmpLab(lab, cleanup, { sloppyTcp: true });
    await ecmp.start();
    const n = lab.directors.length;
    const vips = [lab.vip, ...(lab.vip6 === undefined ? [] : [lab.vip6])];
    say(`\nbird2 on the router (AS 64512) learned from ${n} directors (AS 64513) over BGP:`);
    for (const vip of vips) {
      const seen = await routedThrough(ecmp, vip, n);
      say(`  ${vip}/${vip.includes(':') ? 128 : 32} via ${seen.join(', ')} (ECMP, layer-4 hash: fib_multipath_hash_policy=1)`);
    }
    say('every director: the same keepalived.conf (lb_algo mh, mh-port), --sloppy-tcp, --bird-routes FILE');
    let answered = true;
    for (const vip of vips) answered = (await spread(lab, ecmp, vip, connections)) && answered;

    // The held flows go to the last VIP: the IPv6 one in a dual-stack lab.
    const heldVip = vips.at(-1)!;
    const v6 = heldVip.includes(':');
    const hold = spawnInNamespace(lab.client.ns, [process.execPath, labTool('http-hold.js'), '--target', hostPort(heldVip, HTTP_PORT),
      '--connections', String(HELD), '--interval', '200', '--request-timeout', '3000', '--seconds', '60']);
    cleanup.first(() => hold.stop());
    await hold.waitFor(/^ready \d+$/m, 30_000);
    await waitFor('the held flows in the directors\' stats', () => ecmp.directors.reduce((s, _, i) => s + active(ecmp, i, v6), 0) >= HELD, 10_000).catch(() => undefined);
    const last = ecmp.directors[n - 1]!;
    const moved = active(ecmp, n - 1, v6);
    say(`\n${HELD} keep-alive flows to ${heldVip} held, a request on each every 200 ms: ${ecmp.directors.map((d, i) => `${d.host.name} ${active(ecmp, i, v6)}`).join(', ')}`);
    const t0 = Date.now();
    const drain = await run(process.execPath, [directorBin(), 'drain', '--netns', last.host.ns, '--timeout', '0']);
    while ((await ecmp.nextHops(heldVip)).length !== n - 1 && Date.now() - t0 < 30_000) await new Promise((res) => setTimeout(res, 100));
    say(`director drain ${last.host.name}: ${drain.trim().split('\n').join('; ')}`);
    say(`  the router: ${heldVip} via ${(await ecmp.nextHops(heldVip)).join(', ')} after ${Date.now() - t0} ms; ${moved} flows move to the others`);
    await last.director?.process?.exited;
    const others = ecmp.directors.slice(0, n - 1);
    const moveStart = others.map((_, i) => conns(ecmp, i, v6));
    await waitFor('the moved flows on the other directors', () => others.reduce((s, _, i) => s + conns(ecmp, i, v6) - moveStart[i]!, 0) >= moved, 10_000).catch(() => undefined);
    await hold.stop();
    const verdict = JSON.parse(hold.stdout.trim().split('\n').at(-1) ?? '{}') as { requests?: number; failed?: number; distinctConnections?: number };
    const broken = (verdict.distinctConnections ?? 0) - HELD;
    say(`  held flows after the drain: ${verdict.requests} requests, ${verdict.failed} failed, ${broken} of ${HELD} connections broken`);
    return answered && verdict.failed === 0 && broken === 0;
  } finally {
    const t = Date.now();
    await cleanup.run();
    say(`lab removed in ${((Date.now() - t) / 1000).toFixed(2)} s`);
  }
}
