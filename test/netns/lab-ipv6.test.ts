// The dual-stack lab with no director: every host gets its 2001:db8::/32 address beside its IPv4
// one, plain IPv6 routing carries HTTP and UDP from the client to each real server, DR real
// servers serve the IPv6 VIP from lo without announcing it, and teardown leaves nothing.

import assert from 'node:assert/strict';
import { ipIn, listNamespaces, setNeighbour, deleteNeighbour } from '../../src/lab/netns.js';
import { ndQuery } from '../../src/lab/nd-probe.js';
import { countHttp, hostPort, runClient, UDP_PORT } from '../../src/lab/services.js';
import type { LabHandle } from '../../src/lab/topology.js';
import { readSysctl, withLab } from '../support/netns.js';

/** Who answers a neighbour solicitation for address from the router's LAN side, or null. */
function ndFromRouter(lab: LabHandle, address: string, timeoutMs = 3000): Promise<string | null> {
  return ndQuery({ ns: lab.router.ns, ifname: lab.router.ifname, source: lab.router.address6!, address, timeoutMs });
}

async function routeVia(ns: string, to: string): Promise<string> {
  const out = await ipIn(ns, ['-j', 'route', 'get', to]);
  return (JSON.parse(out) as Array<{ gateway?: string }>)[0]?.gateway ?? 'on-link';
}

describe('dual-stack lab (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  const fx = withLab({ mode: 'dr', servers: 3, udp: true, ipv6: true });
  let prefix = '';

  it('gives every host its IPv6 address beside the IPv4 one, none of them tentative', async function () {
    const { lab } = fx;
    prefix = lab.prefix;
    assert.equal(lab.vip6, '2001:db8::100');
    assert.equal(lab.lipNet6, '2001:db8:ff::/64');
    assert.deepEqual(lab.realServers.map((r) => r.address6), ['2001:db8::11', '2001:db8::12', '2001:db8::13']);
    assert.deepEqual(lab.directors.map((d) => d.address6), ['2001:db8::2']);
    for (const h of [lab.client, lab.routerClientSide, lab.router, ...lab.directors, ...lab.realServers]) {
      const out = await ipIn(h.ns, ['-6', '-o', 'addr', 'show', 'dev', h.ifname]);
      assert.match(out, new RegExp(`inet6 ${h.address6!.replace(/\./g, '\\.')}/64`), `${h.name}: ${out}`);
      assert.doesNotMatch(out, /tentative/, `${h.name} ${h.ifname}: ${out}`);
    }
  });

  it('forwards IPv6 in the router only and routes nothing beyond 2001:db8::/32 from the client', async function () {
    const { lab } = fx;
    assert.equal(await readSysctl(lab.router.ns, 'net.ipv6.conf.all.forwarding'), '1');
    assert.equal(await readSysctl(lab.directors[0]!.ns, 'net.ipv6.conf.all.forwarding'), '0');
    assert.equal(await readSysctl(lab.realServers[0]!.ns, 'net.ipv6.conf.all.accept_dad'), '0');
    assert.equal(await routeVia(lab.client.ns, '2001:db8::11'), '2001:db8:1::1');
    await assert.rejects(ipIn(lab.client.ns, ['-6', 'route', 'get', '2001:4860::1']), /unreachable|No route/);
  });

  it('carries HTTP and UDP from the client to each real server over IPv6 (plain routing, no director)', async function () {
    const { lab } = fx;
    for (const rs of lab.realServers) {
      const r = await countHttp(lab, rs.address6!, 2);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, { [rs.name]: 2 });
      assert.deepEqual(r.result.peers, { '2001:db8:1::10': 2 }, 'the server saw the client over IPv6');
      const u = await runClient(lab.client.ns, 'udp-client.js', ['--target', hostPort(rs.address6!, UDP_PORT), '--count', '2']);
      assert.ok(u.ok, JSON.stringify(u.result));
      assert.deepEqual(u.result.counts, { [rs.name]: 2 });
    }
  });

  it("the HTTP client's download, upload and rate modes work over IPv6 too", async function () {
    const { lab } = fx;
    const target = hostPort(lab.realServers[0]!.address6!, 80);
    const down = await runClient(lab.client.ns, 'http-client.js', ['download', '--target', target, '--bytes', '2000000']);
    assert.ok(down.ok && down.result.bytes === 2_000_000, JSON.stringify(down.result));
    const up = await runClient(lab.client.ns, 'http-client.js', ['upload', '--target', target, '--bytes', '2000000']);
    assert.ok(up.ok && up.result.server === 'rs1', JSON.stringify(up.result));
    const rate = await runClient(lab.client.ns, 'http-client.js', ['rate', '--target', target, '--per-second', '20', '--seconds', '1']);
    assert.ok(rate.ok && rate.result.succeeded === 20, JSON.stringify(rate.result));
  });

  it('keeps IPv4 as it was: the same servers answer over IPv4 and see the plain IPv4 client address', async function () {
    const { lab } = fx;
    const r = await countHttp(lab, lab.realServers[0]!.address, 2);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.deepEqual(r.result.peers, { '198.18.1.10': 2 });
  });

  it('real servers hold the IPv6 VIP on lo and answer no solicitation for it; their own addresses are answered', async function () {
    const { lab } = fx;
    const rs1 = lab.realServers[0]!;
    assert.match(await ipIn(rs1.ns, ['-6', '-o', 'addr', 'show', 'dev', 'lo']), /inet6 2001:db8::100\/128/);
    // The probe itself works: rs1's own address is advertised with rs1's MAC.
    assert.equal(await ndFromRouter(lab, rs1.address6!), rs1.mac);
    assert.equal(await ndFromRouter(lab, lab.vip6!, 1000), null, 'with no director nobody serves the IPv6 VIP on the LAN');
  });

  it("serves the IPv6 VIP from a DR real server when the router is steered to its MAC (the director's DR hop by hand)", async function () {
    const { lab } = fx;
    const rs2 = lab.realServers[1]!;
    await setNeighbour(lab.router.ns, lab.router.ifname, lab.vip6!, rs2.mac);
    try {
      const r = await countHttp(lab, lab.vip6!, 3);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, { rs2: 3 });
      const u = await runClient(lab.client.ns, 'udp-client.js', ['--target', hostPort(lab.vip6!, UDP_PORT), '--count', '2']);
      assert.ok(u.ok, `the UDP answer comes from the VIP: ${JSON.stringify(u.result)}`);
    } finally {
      await deleteNeighbour(lab.router.ns, lab.router.ifname, lab.vip6!);
    }
  });

  it('teardown leaves no namespace of the prefix behind', async function () {
    await fx.cleanup.run();
    assert.deepEqual((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`)), []);
  });
});

describe('dual-stack lab per mode (needs root: creates network namespaces)', function () {
  this.timeout(60_000);

  describe('nat', function () {
    const fx = withLab({ mode: 'nat', servers: 2, startServers: false, ipv6: true });
    it('routes IPv6 replies to the client through the director and keeps the IPv6 VIP off the real servers', async function () {
      const rs = fx.lab.realServers[0]!;
      assert.equal(await routeVia(rs.ns, fx.lab.client.address6!), '2001:db8::2');
      assert.doesNotMatch(await ipIn(rs.ns, ['-6', '-o', 'addr', 'show', 'dev', 'lo']), /2001:db8::100/);
    });
  });

  describe('fnat', function () {
    const fx = withLab({ mode: 'fnat', servers: 2, startServers: false, ipv6: true });
    it('routes the IPv6 local addresses via the director from the router and the real servers', async function () {
      const { lab } = fx;
      assert.equal(await routeVia(lab.router.ns, '2001:db8:ff::1'), '2001:db8::2');
      assert.equal(await routeVia(lab.realServers[1]!.ns, '2001:db8:ff::2'), '2001:db8::2');
      assert.equal(await routeVia(lab.realServers[1]!.ns, lab.client.address6!), '2001:db8::1');
    });
  });

  describe('tun', function () {
    const fx = withLab({ mode: 'tun', servers: 1, ipv6: true });
    it('runs the decapsulator (ip6ip6 included) on each real server, which holds the IPv6 VIP on lo', async function () {
      const decap = fx.servers.find((p) => p.argv.includes('realserver'));
      assert.ok(decap, 'a decapsulator runs');
      assert.match(decap.stdout, /decapsulating IPIP, 6in4, ip6ip6 and 4in6/);
      assert.match(await ipIn(fx.lab.realServers[0]!.ns, ['-6', '-o', 'addr', 'show', 'dev', 'lo']), /inet6 2001:db8::100\/128/);
    });
  });
});
