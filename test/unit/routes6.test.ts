// IPv6 next hops: `ip -j -6 route` output read into routes (link-local and non-unicast ones left
// out), longest prefix first, on-link destinations their own next hop, no route none.
import assert from 'node:assert/strict';
import { formatIpv6, ipv6FromWords, ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import { parseRoutes6, RouteTable6 } from '../../src/net/routes6.js';

const w = (t: string) => ipv6Words(parseIpv6(t));

describe('IPv6 next hops from the routing table', () => {
  const json = [
    { dst: '2001:db8::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [] },
    { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [] },
    { dst: '2001:db8:5::/48', gateway: '2001:db8::fe', dev: 'eth0', flags: [] },
    { type: 'multicast', dst: 'ff00::/8', dev: 'eth0', flags: [] },
    { dst: 'default', gateway: '2001:db8::1', dev: 'eth0', flags: [] },
  ];

  it('reads unicast routes, skipping link-local and multicast ones', () => {
    const routes = parseRoutes6(json);
    assert.deepEqual(routes.map((r) => [formatIpv6(ipv6FromWords(r.network)), r.prefixLen, r.gateway && formatIpv6(ipv6FromWords(r.gateway))]),
      [['2001:db8::', 64, null], ['2001:db8:5::', 48, '2001:db8::fe'], ['::', 0, '2001:db8::1']]);
  });

  it('picks the longest prefix: on-link, via a gateway, the default; none without a route', () => {
    const table = new RouteTable6(parseRoutes6(json));
    const hop = new Uint32Array(4);
    const via = (t: string) => (table.nextHop(w(t), 0, hop) ? formatIpv6(ipv6FromWords(hop)) : null);
    assert.equal(via('2001:db8::11'), '2001:db8::11');
    assert.equal(via('2001:db8:5:1::9'), '2001:db8::fe');
    assert.equal(via('2001:db8:1::10'), '2001:db8::1');
    assert.equal(new RouteTable6(parseRoutes6(json.slice(0, 2))).nextHop(w('2001:db8:1::10'), 0, hop), false);
  });
});
