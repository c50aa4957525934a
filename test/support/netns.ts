// Mocha helpers for netns tests: build a lab in before(), tear it down in after() even when a
// test or the build failed, and skip with a printed reason when not root.

import { Cleanup, makePrefix, sweepStale } from '../../src/lab/cleanup.js';
import { buildLab, type LabHandle, type LabOptions } from '../../src/lab/topology.js';
import { startRealServers } from '../../src/lab/services.js';
import type { NsProcess } from '../../src/lab/process.js';

/** Namespaces of test runs start with this family; lab up uses "dl". */
export const TEST_FAMILY = 'dt';

/** Why netns tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root to create network namespaces (run as root, as CI does)';
  }
  return null;
}

/** Skips the current test or hook with a reason the summary reporter prints. */
export function skipWith(ctx: Mocha.Context, reason: string): never {
  const tag = (t: Mocha.Runnable): void => { (t as Mocha.Runnable & { skipReason?: string }).skipReason = reason; };
  const tagSuite = (s: Mocha.Suite): void => { s.tests.forEach(tag); s.suites.forEach(tagSuite); };
  const self = ctx.test as (Mocha.Runnable & { type?: string }) | undefined;
  // In a before() hook the whole suite is skipped: every test in it gets the reason.
  if (self?.type === 'hook' && self.parent !== undefined) tagSuite(self.parent);
  else if (self !== undefined) tag(self);
  console.log(`    skipped: ${reason}`);
  ctx.skip();
}

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
  before(async function () {
    this.timeout(60_000);
    const why = netnsUnavailable();
    if (why !== null) skipWith(this, why);
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
