// Lossless restart of one `director run` process in a NAT netns lab (needs root: creates network
// namespaces): a download held open across a SIGTERM and a new start completes byte for byte
// when the director wrote and read --state-file; without it (the control) the stream stalls;
// with --sloppy-tcp and sh the new director picks the same real server and the stream goes on.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activeByServer, haConfig, heldDownload, startDirector, until, untilStalled } from '../support/ha-lab.js';
import { withLab } from '../support/netns.js';
import type { NsProcess } from '../../src/lab/process.js';

// Far more than the buffers hold once the client stops reading (receive buffers autotune to the
// reading rate): at the hold the window closes (untilStalled waits for it), so the restart falls
// into a stalled stream and the client's window update is the first segment the new director sees.
const BYTES = 32_000_000;

describe('lossless restart, NAT: --state-file and --sloppy-tcp (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'nat', servers: 2 });
  let dir = '';
  let run = 0;

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), `director-restart-${fx.lab.prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
  });

  /** Starts a director, holds a download open across a restart with `args`, returns the download's result and both directors' logs. */
  async function acrossRestart(config: string, args: string[], timeoutMs: number) {
    const hold = path.join(dir, `release-${++run}`);
    const first = await startDirector(fx.lab, 0, config, args, fx.cleanup);
    const download = heldDownload(fx.lab, hold, { bytes: BYTES, holdAt: 1_000_000, seed: run, timeoutMs });
    await until('an established connection', () => Object.keys(activeByServer(first)).length === 1);
    await untilStalled(first);
    await first.stop(5000);
    const second: NsProcess = await startDirector(fx.lab, 0, config, args, fx.cleanup);
    writeFileSync(hold, '');
    const r = await download;
    await second.stop(5000);
    // The state lines are log lines: stderr.
    return { r, first: first.stderr, second: second.stderr };
  }

  it('with --state-file: the table is written on SIGTERM, read on start, and the stream completes', async () => {
    const file = path.join(dir, 'state');
    const { r, first, second } = await acrossRestart(haConfig(fx.lab, dir), ['--state-file', file], 60_000);
    assert.match(first, /state: wrote 1 connections and templates to /);
    assert.match(second, /state: loaded 1 connections and 0 templates from .* \(written \d+\.\d s ago\)/);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.equal(r.result.bytes, BYTES);
  });

  it('control, without --state-file: the new director drops the stream\'s segments and it stalls', async () => {
    const { r, second } = await acrossRestart(haConfig(fx.lab, dir), [], 12_000);
    assert.equal(r.ok, false, JSON.stringify(r.result));
    assert.doesNotMatch(second, /state: loaded/);
  });

  it('with --sloppy-tcp and sh: the first mid-flow segment is scheduled to the same real server', async () => {
    const { r } = await acrossRestart(haConfig(fx.lab, dir, { scheduler: 'sh' }), ['--sloppy-tcp'], 60_000);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.equal(r.result.bytes, BYTES);
  });
});
