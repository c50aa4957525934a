// A three-namespace line for native I/O tests (A --veth-- D --veth-- B), made and removed per
// run with a unique prefix, plus a helper to run scripts inside.

import { Cleanup, makePrefix, sweepStale } from '../../src/lab/cleanup.js';
import { addAddress, addNamespace, addVethPair, ipIn, linkInfo, linkUp, sysctl } from '../../src/lab/netns.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { TEST_FAMILY } from './netns.js';

export interface Line {
  prefix: string;
  a: string; d: string; b: string;        // namespace names
  macA0: string; macD0: string; macD1: string; macB0: string;
  ipA: string; ipB: string;
}

export const LINE_IP_A = '198.19.0.10';
export const LINE_IP_B = '198.19.0.11';

/** A: a0 198.19.0.10/24; D: d0, d1 without addresses; B: b0 198.19.0.11/24. */
export async function buildLine(cleanup: Cleanup): Promise<Line> {
  await sweepStale(TEST_FAMILY);
  const prefix = makePrefix(TEST_FAMILY);
  const [a, d, b] = ['a', 'd', 'b'].map((r) => `${prefix}-nio${r}`) as [string, string, string];
  for (const ns of [a, d, b]) {
    cleanup.namespace(ns);
    await addNamespace(ns);
    await sysctl(ns, 'net.ipv6.conf.all.disable_ipv6', 1);
    await sysctl(ns, 'net.ipv6.conf.default.disable_ipv6', 1);
  }
  await addVethPair(a, 'a0', d, 'd0');
  await addVethPair(d, 'd1', b, 'b0');
  for (const [ns, dev] of [[a, 'a0'], [d, 'd0'], [d, 'd1'], [b, 'b0']] as const) await linkUp(ns, dev);
  await addAddress(a, 'a0', `${LINE_IP_A}/24`);
  await addAddress(b, 'b0', `${LINE_IP_B}/24`);
  const [macA0, macD0, macD1, macB0] = await Promise.all(
    [[a, 'a0'], [d, 'd0'], [d, 'd1'], [b, 'b0']].map(([ns, dev]) => linkInfo(ns!, dev!).then((l) => l.mac)));
  return { prefix, a, d, b, macA0: macA0!, macD0: macD0!, macD1: macD1!, macB0: macB0!, ipA: LINE_IP_A, ipB: LINE_IP_B };
}

/** A and B reach each other through D's MACs (D does no ARP in these tests). */
export async function pinNeighbours(line: Line): Promise<void> {
  await ipIn(line.a, ['neigh', 'replace', line.ipB, 'lladdr', line.macD0, 'dev', 'a0', 'nud', 'permanent']);
  await ipIn(line.b, ['neigh', 'replace', line.ipA, 'lladdr', line.macD1, 'dev', 'b0', 'nud', 'permanent']);
}

export function nsPath(ns: string): string {
  return `/run/netns/${ns}`;
}

/** Runs a node script (source text) inside ns, registered for cleanup. */
export function nodeIn(cleanup: Cleanup, ns: string, source: string, args: string[] = []): NsProcess {
  const p = spawnInNamespace(ns, [process.execPath, '-e', source, '--', ...args]);
  cleanup.process(p);
  return p;
}
