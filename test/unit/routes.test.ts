import assert from 'node:assert/strict';
import { formatIpv4, parseIpv4 } from '../../src/net/addr.js';
import { parseRoutes, RouteTable } from '../../src/net/routes.js';

describe('next hops from the routing table', () => {
  const table = new RouteTable(parseRoutes([
    { dst: 'default', gateway: '198.19.0.1', dev: 'eth0' },
    { dst: '198.19.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '198.19.0.2' },
    { dst: '198.18.7.0/24', gateway: '198.19.0.9', dev: 'eth0' },
    { dst: '198.18.7.7', gateway: '198.19.0.10', dev: 'eth0' },
    { dst: '198.18.9.0/24', type: 'blackhole' },
  ]));
  const hop = (a: string) => formatIpv4(table.nextHop(parseIpv4(a)));

  it('picks the longest matching prefix', () => {
    assert.equal(hop('198.19.0.11'), '198.19.0.11', 'on-link: the address itself');
    assert.equal(hop('198.18.1.10'), '198.19.0.1', 'default route');
    assert.equal(hop('198.18.7.1'), '198.19.0.9');
    assert.equal(hop('198.18.7.7'), '198.19.0.10', 'host route beats the /24');
  });

  it('nextHopI32 agrees with nextHop, int32 in and out, 0 for no route', () => {
    for (const a of ['198.19.0.11', '198.18.1.10', '198.18.7.1', '198.18.7.7', '198.18.9.3']) {
      assert.equal(formatIpv4(table.nextHopI32(parseIpv4(a) | 0) >>> 0), hop(a), a);
      assert.equal(table.nextHopI32(parseIpv4(a)), table.nextHopI32(parseIpv4(a) | 0), `${a} as uint32`);
    }
    const none = new RouteTable(parseRoutes([{ dst: '198.19.0.0/24', dev: 'eth0' }]));
    assert.equal(none.nextHopI32(parseIpv4('198.18.1.10') | 0), 0);
  });

  it('says so when there is no route', () => {
    const none = new RouteTable(parseRoutes([{ dst: '198.19.0.0/24', dev: 'eth0' }]));
    assert.equal(none.nextHop(parseIpv4('198.18.1.10')), -1);
    assert.match(none.describe(parseIpv4('198.18.1.10')), /no route/);
  });
});
