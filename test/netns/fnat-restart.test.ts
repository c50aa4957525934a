// A second FULLNAT director after the first, with the same local addresses and real server, in a
// netns lab (needs root: creates network namespaces). The real server closes first (HTTP with
// Connection: close), so it holds every (local address, port, real server, port) tuple of the
// first director's connections in TIME_WAIT, and DIRECTOR_FIRST_LOCAL_PORT makes the second
// director hand out exactly the same pairs in the same order. The real server must still accept
// every handshake at once: the director numbers the client's side toward it from a wall clock
// (after the old connection's numbers) and removes the SYN's timestamps (no PAWS), so no SYN
// waits for a retransmit (docs/datapath.md#fullnat-sequence-numbers). Without that translation,
// about half the handshakes of the second director stalled a second or more.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { directorBin } from '../../src/lab/director-runner.js';
import { runInNamespace, spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { HTTP_PORT, hostPort, runClient, type ClientResult } from '../../src/lab/services.js';
import { ADDR } from '../../src/lab/topology.js';
import { haConfig } from '../support/ha-lab.js';
import { withLab } from '../support/netns.js';

const CONNECTIONS = 200;
/** A SYN retransmit waits 1 s: a request slower than this met a TIME_WAIT tuple that refused it. */
const REQUEST_MS = 1000;
const FIRST_PORT = '20000';

describe('FULLNAT: a second director reuses the first one\'s tuples (needs root: creates network namespaces)', function () {
  this.timeout(240_000);
  const fx = withLab({ mode: 'fnat', servers: 1 });
  let dir = '';

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), `director-fnat-restart-${fx.lab.prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
  });

  /** A director on the lab's first director host whose local port cursors start at FIRST_PORT. */
  async function start(config: string): Promise<NsProcess> {
    const host = fx.lab.directors[0]!;
    const p = spawnInNamespace(host.ns, [process.execPath, directorBin(), 'run', '--config', config, '--interface', host.ifname],
      { env: { ...process.env, DIRECTOR_FIRST_LOCAL_PORT: FIRST_PORT } });
    fx.cleanup.process(p);
    await p.waitFor(/director: attached/, 20_000, 'stderr');
    return p;
  }

  /** CONNECTIONS short requests (Connection: close), four at a time, each bounded by REQUEST_MS. */
  function requests(): Promise<ClientResult> {
    return runClient(fx.lab.client.ns, 'http-client.js', ['count', '--target', hostPort(fx.lab.vip, HTTP_PORT),
      '--connections', String(CONNECTIONS), '--parallel', '4', '--timeout', '120000', '--request-timeout', String(REQUEST_MS)], 130_000);
  }

  /** Tuples the real server holds in TIME_WAIT toward the local addresses. */
  async function timeWaits(): Promise<number> {
    const r = await runInNamespace(fx.lab.realServers[0]!.ns, ['ss', '-Htan', 'state', 'time-wait', 'dst', ADDR.lipNet]);
    return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
  }

  it(`every one of ${CONNECTIONS} connections through each director completes within ${REQUEST_MS} ms`, async () => {
    const config = haConfig(fx.lab, dir);
    const first = await start(config);
    const before = await requests();
    await first.stop(5000);
    const held = await timeWaits();
    const second = await start(config);
    const after = await requests();
    await second.stop(5000);
    const line = (r: ClientResult) => `${String(r.result.errors)} of ${CONNECTIONS} over ${REQUEST_MS} ms, ${String(r.result.ms)} ms in all`;
    if (process.env.DIRECTOR_TEST_VERBOSE) console.log(`      first: ${line(before)}; TIME_WAIT held: ${held}; second: ${line(after)}`);
    assert.ok(before.ok, `first director: ${JSON.stringify(before.result)}`);
    assert.ok(held >= CONNECTIONS / 2, `the real server holds only ${held} tuples in TIME_WAIT: the scene did not reuse them`);
    assert.ok(after.ok, `second director, on the first one's tuples: ${line(after)} (${String(after.result.firstError)})`);
  });
});
