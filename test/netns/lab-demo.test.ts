// `director lab demo` through bin/director, as a user runs it: traffic spread over the real
// servers, counters printed, and nothing left behind, also when interrupted with Ctrl-C; and the
// main job on a bare machine, where PATH holds only node and ip.

import assert from 'node:assert/strict';
import { assertDemoSpread, bareEnvironment, namespacesLeft, runDemo, startDemo } from '../support/demo.js';
import { needsRoot } from '../support/prerequisites.js';

describe('director lab demo (needs root: creates network namespaces)', function () {
  this.timeout(150_000);
  needsRoot();

  it('spreads 9 connections 3/3/3, prints the director stats and removes the lab', async function () {
    const out = await runDemo(['--connections', '9'], 120_000);
    await assertDemoSpread(out, 3);
    assert.match(out, /TCP 198\.19\.0\.100:80 rr\s+9/);
  });

  it('--ha: the master is SIGKILLed mid-download, the synced backup takes over and the download completes intact', async function () {
    const out = await runDemo(['--ha'], 120_000);
    assert.match(out, /dir1 198\.19\.0\.2 MASTER\n {2}dir2 198\.19\.0\.3 BACKUP/);
    assert.match(out, /dir2 holds \d+ connection\(s\) synced from dir1/);
    assert.match(out, /dir1 198\.19\.0\.2 killed\n {2}dir2 198\.19\.0\.3 MASTER/);
    assert.match(out, /download complete and intact: 24000000 bytes checked byte for byte/);
  });

  it('cleans up when interrupted (Ctrl-C) while the director runs', async function () {
    const p = startDemo(['--connections', '100000']);
    try {
      const prefix = (await p.waitFor(/lab (\S+) built/, 60_000))[1] ?? '';
      await p.waitFor(/owns 198\.19\.0\.100/, 60_000);
      process.kill(p.pid, 'SIGINT');
      const status = await p.exited;
      assert.equal(status.code, 130, p.stderr);
      assert.deepEqual(await namespacesLeft(prefix), []);
    } finally {
      await p.stop();
    }
  });

  describe('with a PATH holding only node and ip (no arping, ping, sysctl, ethtool, curl, tshark)', function () {
    let bare: ReturnType<typeof bareEnvironment>;
    before(function () { bare = bareEnvironment(); });
    after(function () { bare.remove(); });

    it('embedded director: prints 10/10/10 for HTTP and UDP and removes the lab', async function () {
      await assertDemoSpread(await runDemo(['--connections', '30'], 120_000, bare.env), 10);
    });

    it('director process (director run), offloads off: prints 10/10/10 and removes the lab', async function () {
      const out = await runDemo(['--connections', '30', '--process', '--offloads', 'off'], 120_000, bare.env);
      await assertDemoSpread(out, 10);
    });
  });
});
