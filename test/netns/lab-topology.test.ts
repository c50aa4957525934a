// The lab itself, with no director: plain routing must work and teardown must leave nothing.

import assert from 'node:assert/strict';
import { ipIn, listNamespaces, setOffloads } from '../../src/lab/netns.js';
import { countHttp, runClient, UDP_PORT } from '../../src/lab/services.js';
import { arpFromRouter } from '../support/director.js';
import { readSysctl, withLab } from '../support/netns.js';
import { ping } from '../support/ping.js';
import { needsRoot, requireTools } from '../support/prerequisites.js';

describe('lab topology (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  before(function () { requireTools(this, 'python3'); });
  const fx = withLab({ mode: 'dr', servers: 3, udp: true });
  let prefix = '';

  it('names every namespace with the run prefix and gives each host a MAC', function () {
    const { lab } = fx;
    prefix = lab.prefix;
    assert.equal(lab.namespaces.length, 3 + 1 + 3);
    for (const n of lab.namespaces) assert.ok(n.startsWith(`${lab.prefix}-`), n);
    for (const h of [lab.client, lab.router, ...lab.directors, ...lab.realServers]) {
      assert.match(h.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, `${h.name} mac`);
    }
    assert.deepEqual(lab.realServers.map((r) => r.address), ['198.19.0.11', '198.19.0.12', '198.19.0.13']);
  });

  it('the client reaches the router on both sides', async function () {
    assert.ok(await ping(fx.lab.client.ns, '198.18.1.1'));
    assert.ok(await ping(fx.lab.client.ns, '198.19.0.1'));
  });

  it('the client reaches each real server by its own address over HTTP and UDP (plain routing)', async function () {
    const { lab } = fx;
    for (const rs of lab.realServers) {
      const r = await countHttp(lab, rs.address, 2);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, { [rs.name]: 2 });
      const u = await runClient(lab.client.ns, 'udp-client.js', ['--target', `${rs.address}:${UDP_PORT}`, '--count', '2']);
      assert.ok(u.ok, JSON.stringify(u.result));
      assert.deepEqual(u.result.counts, { [rs.name]: 2 });
    }
  });

  it('real servers hold the VIP on lo but do not answer ARP for it (DR recipe)', async function () {
    const { lab } = fx;
    assert.equal(await readSysctl(lab.realServers[0]!.ns, 'net.ipv4.conf.lan0.arp_ignore'), '1');
    assert.equal(await readSysctl(lab.realServers[0]!.ns, 'net.ipv4.conf.all.arp_announce'), '2');
    // With no director running nobody owns the VIP: a who-has for it stays unanswered.
    assert.equal(await arpFromRouter(lab, lab.vip, 1000), null);
  });

  it('forwards in the router but not in the director namespace', async function () {
    assert.equal(await readSysctl(fx.lab.router.ns, 'net.ipv4.ip_forward'), '1');
    assert.equal(await readSysctl(fx.lab.directors[0]!.ns, 'net.ipv4.ip_forward'), '0');
  });

  it('teardown leaves no namespace of the prefix behind', async function () {
    await fx.cleanup.run();
    const left = (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
    assert.deepEqual(left, []);
    await fx.cleanup.run(); // idempotent
  });
});

describe('lab topology per mode (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  needsRoot();
  before(function () { requireTools(this, 'python3'); });
  async function routeVia(ns: string, to: string): Promise<string> {
    const out = await ipIn(ns, ['-j', 'route', 'get', to]);
    return (JSON.parse(out) as Array<{ gateway?: string }>)[0]?.gateway ?? 'on-link';
  }

  describe('nat', function () {
    const fx = withLab({ mode: 'nat', servers: 2, startServers: false });
    it('routes real-server replies to the client through the director and keeps the VIP off them', async function () {
      const rs = fx.lab.realServers[0]!;
      assert.equal(await routeVia(rs.ns, fx.lab.client.address), '198.19.0.2');
      const addrs = await ipIn(rs.ns, ['-4', '-o', 'addr', 'show', 'dev', 'lo']);
      assert.doesNotMatch(addrs, /198\.19\.0\.100/);
    });
  });

  describe('fnat with two directors', function () {
    const fx = withLab({ mode: 'fnat', servers: 2, directors: 2, startServers: false });
    it('routes the local addresses (LIPs) through the VIP (the VRRP master) and builds a second director', async function () {
      const { lab } = fx;
      assert.equal(await routeVia(lab.realServers[1]!.ns, '198.19.1.1'), lab.vip);
      assert.equal(await routeVia(lab.router.ns, '198.19.1.1'), lab.vip);
      assert.equal(await routeVia(lab.realServers[1]!.ns, lab.client.address), '198.19.0.1');
      assert.deepEqual(lab.directors.map((d) => d.address), ['198.19.0.2', '198.19.0.3']);
      assert.ok(await ping(lab.directors[1]!.ns, lab.directors[0]!.address));
    });
  });

  describe('offloads off', function () {
    const fx = withLab({ mode: 'dr', servers: 1, offloads: false, startServers: false });
    it('turns rx, tx, tso, gso and gro off on every lab interface (no ethtool needed)', async function () {
      const { lab } = fx;
      const ends = [lab.client, lab.routerClientSide, lab.router, ...lab.directors, ...lab.realServers];
      const off = { rx: false, tx: false, tso: false, gso: false, gro: false };
      // An empty request changes nothing and reads the state back.
      for (const h of ends) assert.deepEqual(await setOffloads(h.ns, h.ifname, {}), off, `${h.name} ${h.ifname}`);
    });
  });

  it('refuses impossible options with a clear message', async function () {
    const { buildLab } = await import('../../src/lab/topology.js');
    const { Cleanup } = await import('../../src/lab/cleanup.js');
    const cleanup = new Cleanup();
    await assert.rejects(buildLab({ prefix: 'dtbad', mode: 'dr', servers: 0, cleanup }), /servers must be 1\.\.40/);
    await assert.rejects(buildLab({ prefix: 'dtbad', mode: 'dr', directors: 4, cleanup }), /directors must be 1, 2 or 3/);
    assert.deepEqual(cleanup.pending, [], 'nothing was created');
  });
});
