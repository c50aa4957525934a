// NAT end to end in a netns lab: the shared routed cases, then NAT's own: the director routes,
// so it decrements TTL and answers an expiring packet with ICMP time exceeded from its address.

import assert from 'node:assert/strict';
import { UDP_PORT } from '../../src/lab/services.js';
import { requireTools } from '../support/prerequisites.js';
import { udpProbe } from '../support/probes.js';
import { demoSuite, routedSuite, statsOf, type RoutedContext } from '../support/routed-e2e.js';

const udpRx = ({ fx }: RoutedContext): number => fx.servers
  .filter((p) => p.argv.some((a) => a.endsWith('udp-server.js')))
  .reduce((n, p) => n + (p.stdout.match(/^rx /gm) ?? []).length, 0);

const timeExceededSent = ({ dir }: RoutedContext): number =>
  (statsOf(dir.director).icmpSent as { timeExceeded: number }).timeExceeded;

routedSuite('nat', (ctx) => {
  // The router namespace between client and director decrements TTL first: a datagram sent with
  // TTL 2 reaches the director with TTL 1, which the director's own forwarding step would take
  // to 0. TTL 3 is the control: it reaches the director with 2 and the real server with 1.
  it('answers a datagram arriving with TTL 1 with ICMP time exceeded from the director address', async function () {
    requireTools(this, 'python3');
    const { lab } = ctx.fx;
    const rxBefore = udpRx(ctx);
    const sentBefore = timeExceededSent(ctx);
    const r = await udpProbe(lab.client.ns, lab.vip, UDP_PORT, { size: 32, ttl: 2 });
    assert.equal(r.reply, null, JSON.stringify(r));
    assert.deepEqual(r.icmp, { errno: 'EHOSTUNREACH', origin: 2, type: 11, code: 0, info: 0, from: lab.directors[0]!.address },
      JSON.stringify(r));
    assert.equal(udpRx(ctx) - rxBefore, 0, 'no real server saw the expired datagram');
    assert.equal(timeExceededSent(ctx) - sentBefore, 1);
  });

  it('forwards a datagram arriving with TTL 2 (control for the TTL 1 case)', async function () {
    requireTools(this, 'python3');
    const { lab } = ctx.fx;
    const r = await udpProbe(lab.client.ns, lab.vip, UDP_PORT, { size: 32, ttl: 3 });
    assert.equal(r.icmp, null, JSON.stringify(r));
    assert.match(r.reply ?? '', /^rs[123]$/, JSON.stringify(r));
  });
});
demoSuite('nat');
