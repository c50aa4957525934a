// Mocha helpers for netns tests: build a lab in before(), tear it down in after() even when a
// test or the build failed; the root check comes first (prerequisites.ts).

import { Cleanup, makePrefix, sweepStale } from '../../src/lab/cleanup.js';
import { buildLab, type LabHandle, type LabOptions } from '../../src/lab/topology.js';
import { startRealServers } from '../../src/lab/services.js';
import { run } from '../../src/lab/netns.js';
import type { NsProcess } from '../../src/lab/process.js';
import { needsRoot } from './prerequisites.js';

/** Namespaces of test runs start with this family; lab up uses "dl". */
export const TEST_FAMILY = 'dt';

export interface LabFixture {
  /** The lab; throws if read before before() finished. */
  readonly lab: LabHandle;
  readonly cleanup: Cleanup;
  /** The servers started on the real servers, HTTP then UDP per server (empty with startServers false). */
  readonly servers: NsProcess[];
}

export interface WithLabOptions extends Omit<LabOptions, 'prefix' | 'cleanup'> {
  /** Start the HTTP server (and the UDP server when udp) on every real server. */
  servers?: number;
  startServers?: boolean;
  udp?: boolean;
}

/** Registers before()/after() hooks that build and remove a lab around a describe block. */
export function withLab(options: WithLabOptions): LabFixture {
  const cleanup = new Cleanup();
  let lab: LabHandle | null = null;
  const servers: NsProcess[] = [];
  needsRoot();
  before(async function () {
    this.timeout(60_000);
    await sweepStale(TEST_FAMILY);
    const { startServers, udp, ...labOptions } = options;
    lab = await buildLab({ ...labOptions, prefix: makePrefix(TEST_FAMILY), cleanup });
    if (startServers !== false) servers.push(...await startRealServers(lab, cleanup, { udp: udp === true }));
  });
  after(async function () {
    this.timeout(30_000);
    await cleanup.run();
  });
  return {
    get lab(): LabHandle {
      if (lab === null) throw new Error('lab not built (before() failed or was skipped)');
      return lab;
    },
    cleanup,
    servers,
  };
}

/** A file as a process inside ns reads it (/proc/sys/net and /proc/net follow the reader's namespace). */
export function readInNamespace(ns: string, file: string): Promise<string> {
  return run('ip', ['netns', 'exec', ns, 'cat', file]);
}

/** A sysctl of ns, trimmed. */
export async function readSysctl(ns: string, key: string): Promise<string> {
  return (await readInNamespace(ns, `/proc/sys/${key.replace(/\./g, '/')}`)).trim();
}
