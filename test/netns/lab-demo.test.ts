// `director lab demo` through bin/director, as a user runs it: traffic spread over the real
// servers, counters printed, and nothing left behind, also when interrupted with Ctrl-C; the
// failover and ECMP demos; and the main job on a bare machine, where PATH holds only node and ip.

import assert from 'node:assert/strict';
import { assertDemoSpread, bareEnvironment, namespacesLeft, runDemo, startDemo } from '../support/demo.js';
import { needsRoot, requireTools } from '../support/prerequisites.js';

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

  it('--ecmp 3 --ipv6: three directors announce both VIPs through bird2, connections to each spread over them, a drain under held IPv6 flows breaks none', async function () {
    requireTools(this, 'bird', 'birdc');
    const out = await runDemo(['--ecmp', '3', '--ipv6', '--connections', '30'], 140_000);
    assert.match(out, /198\.19\.0\.100\/32 via (198\.19\.0\.[234], ){2}198\.19\.0\.[234] \(ECMP/, out);
    assert.match(out, /2001:db8::100\/128 via (2001:db8::[234], ){2}2001:db8::[234] \(ECMP/, out);
    for (const [client, vip] of [['198\\.18\\.1\\.10', '198\\.19\\.0\\.100'], ['2001:db8:1::10', '2001:db8::100']]) {
      const block = new RegExp(`30 HTTP connections from ${client} to ${vip}: all answered\\n {2}per director: +dir1 (\\d+), dir2 (\\d+), dir3 (\\d+)`).exec(out);
      assert.ok(block, out);
      // 30 flows over three equal next hops: one left without any is about 2e-5 under a uniform hash.
      assert.ok(block.slice(1).every((n) => Number(n) >= 1), `each director carries some: ${block[0]}`);
    }
    assert.match(out, /withdrawn: 198\.19\.0\.100, 2001:db8::100/, out);
    assert.match(out, /held flows after the drain: \d+ requests, 0 failed, 0 of 30 connections broken/, out);
    const prefix = /lab (\S+) built/.exec(out)?.[1] ?? '';
    assert.notEqual(prefix, '', out);
    assert.deepEqual(await namespacesLeft(prefix), []);
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
