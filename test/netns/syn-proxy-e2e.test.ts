// The SYN proxy end to end in a netns lab, NAT and FULLNAT (needs root: creates network
// namespaces): the shared routed cases (30 HTTP connections spread 10/10/10, 20 MB download and
// upload byte for byte, checksums at the receivers, no unexpected drop) with syn_proxy on the
// TCP service, plus its own: every TCP connection went through a cookie, the real server's
// handshake and sequence translation, and none was refused or reset.

import assert from 'node:assert/strict';
import { statsOf, routedSuite, type RoutedContext, type RoutedMode } from '../support/routed-e2e.js';

interface ProxyStats { synAcks: number; proven: number; serverAnswered: number; held: number; synRetries: number }

function proxyCase(ctx: RoutedContext): void {
  it('opened every TCP connection through a cookie and a finished real-server handshake', function () {
    const stats = statsOf(ctx.dir.director);
    const p = stats.synProxy as ProxyStats;
    const drops = stats.drops as Record<string, number>;
    console.log(`      syn proxy ${JSON.stringify(p)}`);
    // 30 spread connections, the download, the upload and the checksum case's transfers.
    assert.ok(p.proven >= 33, JSON.stringify(p));
    assert.equal(p.serverAnswered, p.proven, 'every proven client got its real server');
    assert.ok(p.synAcks >= p.proven, JSON.stringify(p));
    for (const reason of ['synproxy_bad_cookie', 'synproxy_early', 'synproxy_handshake', 'synproxy_no_conn']) {
      assert.equal(drops[reason] ?? 0, 0, `${reason}: ${JSON.stringify(drops)}`);
    }
  });
}

for (const mode of ['nat', 'fnat'] as RoutedMode[]) routedSuite(mode, proxyCase, { synProxy: true });
