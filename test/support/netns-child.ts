// Child process for the cleanup test: builds a small lab, prints its prefix, and waits to be
// interrupted; the Cleanup registry's SIGINT/SIGTERM handler must remove the lab.

import { Cleanup, makePrefix } from '../../src/lab/cleanup.js';
import { startRealServers } from '../../src/lab/services.js';
import { buildLab } from '../../src/lab/topology.js';

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  const lab = await buildLab({ prefix: makePrefix('dt'), mode: 'dr', servers: 1, cleanup });
  await startRealServers(lab, cleanup);
  process.stdout.write(`built ${lab.prefix}\n`);
  // Bounded: if nobody interrupts us, clean up and leave after 60 s (the test interrupts at once).
  setTimeout(() => { void cleanup.run().then(() => process.exit(3)); }, 60_000);
}

main().catch((e: Error) => { process.stderr.write(`${e.message}\n`); process.exit(1); });
