// The ECMP lab as netns tests drive it (needs root where used): the lab with its first two
// directors announcing, keep-alive flows held through the VIP while a director joins or drains,
// the client's verdict, and what the directors report (stats lines, adm -L -c).

import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import { EcmpLab, type EcmpOptions } from '../../src/lab/ecmp.js';
import type { NsProcess } from '../../src/lab/process.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { HTTP_PORT, hostPort, labTool } from '../../src/lab/services.js';
import { capture } from './adm-director.js';
import type { LabFixture } from './netns.js';
import { requireTools } from './prerequisites.js';
import { waitUntil } from './wait.js';

export const HELD = 30;

interface ServiceStats { vip: string; port: number; conns: number; realServers: Array<{ activeConns: number }> }

/** A director's HTTP service on the IPv4 VIP, or with ipv6 on the IPv6 one (a dual-stack lab). */
function httpService(ecmp: EcmpLab, index: number, ipv6: boolean): ServiceStats | undefined {
  const s = ecmp.directors[index]!.director?.stats() as { services: ServiceStats[] } | null | undefined;
  return s?.services.find((v) => v.port === HTTP_PORT && v.vip.includes(':') === ipv6);
}

export function httpConns(ecmp: EcmpLab, index: number, ipv6 = false): number {
  return httpService(ecmp, index, ipv6)?.conns ?? 0;
}

export function httpActive(ecmp: EcmpLab, index: number, ipv6 = false): number {
  return httpService(ecmp, index, ipv6)?.realServers.reduce((n, rs) => n + rs.activeConns, 0) ?? 0;
}

/** `director adm -L -c -n` of a director: the real server of each HTTP client port. */
export async function connectionsOf(ns: string): Promise<Map<number, string>> {
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
export async function listedPorts(ecmp: EcmpLab): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const d of ecmp.directors) for (const port of (await connectionsOf(d.host.ns)).keys()) ports.add(port);
  return ports;
}

/** The weight of each next hop of a multipath route as `ip route` prints it (1 when it prints none). */
export function nexthopWeights(route: string): number[] {
  return [...route.matchAll(/nexthop via \S+ dev \S+(?: weight (\d+))?/g)].map((m) => Number(m[1] ?? 1));
}

/** An ECMP lab with dir1 and dir2 announcing the VIP; dir3 joins in the first test. */
export function ecmpLab(fx: LabFixture, options: EcmpOptions): () => EcmpLab {
  let ecmp: EcmpLab | null = null;
  before(async function () {
    this.timeout(120_000);
    requireTools(this, 'bird', 'birdc');
    ecmp = new EcmpLab(fx.lab, fx.cleanup, { ...options, running: 2 });
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
export interface Verdict { requests: number; failed: number; distinctConnections: number }

export function holdFlows(fx: LabFixture, ipv6 = false): NsProcess {
  const hold = spawnInNamespace(fx.lab.client.ns, [process.execPath, labTool('http-hold.js'), '--target', hostPort(ipv6 ? fx.lab.vip6! : fx.lab.vip, HTTP_PORT),
    '--connections', String(HELD), '--interval', '200', '--request-timeout', '3000', '--seconds', '120']);
  fx.cleanup.first(() => hold.stop());
  return hold;
}

export const statsLines = (ecmp: EcmpLab, index: number): number => (ecmp.directors[index]!.director?.process?.stdout.match(/^stats: /gm) ?? []).length;
export const rounds = (hold: NsProcess): number => (hold.stdout.match(/^round \d+$/gm) ?? []).length;

export async function verdictOf(hold: NsProcess): Promise<Verdict> {
  await hold.stop();
  return JSON.parse(hold.stdout.trim().split('\n').at(-1)!) as Verdict;
}

/** Holds HELD keep-alive connections over dir1 and dir2, starts dir3, and returns the client's verdict once ECMP has handed it flows. */
export async function joinOneUnderLoad(fx: LabFixture, ecmp: EcmpLab, o: { sync?: boolean } = {}): Promise<{ held: number[]; moved: number; verdict: Verdict }> {
  const hold = holdFlows(fx);
  await hold.waitFor(/^ready \d+$/m, 30_000);
  await freshReports(ecmp, [0, 1]);
  const held = [0, 1].map((i) => httpActive(ecmp, i));
  const joining = ecmp.startDirector(2, o).process!;
  await waitUntil('the router holds the VIP via three directors', async () => {
    if (!joining.running) throw new Error(`dir3 exited: ${joining.stderr.trim()}`);
    return (await ecmp.nextHops()).length === 3;
  }, 60_000);
  // A flow ECMP hands dir3 becomes a connection there at its next request (sloppy_tcp), or its
  // request fails after the request timeout and the client reconnects: two whole rounds of
  // requests after the route changed have seen either.
  await twoRounds(hold);
  await freshReports(ecmp, [2]);
  return { held, moved: httpConns(ecmp, 2), verdict: await verdictOf(hold) };
}

/** Directors report their counters once a second (a stats line): waits for reports made after now. */
export async function freshReports(ecmp: EcmpLab, indices: number[]): Promise<void> {
  const seen = indices.map((i) => statsLines(ecmp, i));
  await waitUntil('fresh reports from the directors', () => indices.every((i, k) => statsLines(ecmp, i) >= seen[k]! + 2), 30_000);
}

/** Waits for two whole rounds of the held client's requests: a moved flow has gone on, or failed and reconnected. */
export async function twoRounds(hold: NsProcess): Promise<void> {
  const from = rounds(hold);
  await waitUntil('two rounds of requests over the new route', () => rounds(hold) >= from + 2, 60_000);
}

/**
 * Holds HELD keep-alive connections, drains director 3 away, and returns the client's verdict with
 * how many of the held flows each director carried (counted above what it held before: earlier
 * tests may leave broken flows ESTABLISHED in a director's table).
 */
export async function drainOneUnderLoad(fx: LabFixture, ecmp: EcmpLab, o: { ipv6?: boolean } = {}): Promise<{ held: Record<string, number>; moved: number; verdict: Verdict }> {
  const ipv6 = o.ipv6 === true;
  const hops = (): Promise<string[]> => ecmp.nextHops(ipv6 ? fx.lab.vip6! : fx.lab.vip);
  await freshReports(ecmp, [0, 1, 2]);
  const baseline = [0, 1, 2].map((i) => httpActive(ecmp, i, ipv6));
  const hold = holdFlows(fx, ipv6);
  await hold.waitFor(/^ready \d+$/m, 30_000);
  await freshReports(ecmp, [0, 1, 2]);
  const held = Object.fromEntries(ecmp.directors.map((d, i) => [d.host.name, httpActive(ecmp, i, ipv6) - baseline[i]!]));
  assert.equal((await hops()).length, 3, 'the router spreads over three directors');
  assert.ok((held.dir3 ?? 0) > 0, `ECMP gave dir3 some of the held flows: ${JSON.stringify(held)}`);
  const io = capture();
  assert.equal(await main(['drain', '--netns', ecmp.directors[2]!.host.ns, '--timeout', '0'], io), 0, io.stderr.join('\n'));
  assert.match(io.stdout.join('\n'), new RegExp(`withdrawn: .*${(ipv6 ? fx.lab.vip6! : fx.lab.vip).replace(/\./g, '\\.')}`));
  await waitUntil('the router left with two next hops', async () => (await hops()).length === 2, 30_000);
  await ecmp.directors[2]!.director!.process!.exited;
  await twoRounds(hold);
  return { held, moved: held.dir3 ?? 0, verdict: await verdictOf(hold) };
}
