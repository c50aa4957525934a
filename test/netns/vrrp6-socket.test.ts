// The IPv6 VRRP socket (VrrpSocket family 6) on a veth between two namespaces (needs root): an
// advert sent with hop limit 255 arrives as a whole IPv6 packet whose rebuilt header holds the
// sender's link-local address, ff02::12 and hop limit 255; one sent with hop limit 254 arrives
// saying 254 (so RFC 5798 7.1's check sees the real value); our own multicast is not looped
// back; a unicast advert reaches the peer's global address; bad options and an interface
// without a link-local address are clear errors.

import assert from 'node:assert/strict';
import { Cleanup, makePrefix, sweepStale } from '../../src/lab/cleanup.js';
import { addNamespace, addVethPair, ipIn, linkUp, sysctl } from '../../src/lab/netns.js';
import { loadAddon } from '../../src/native/binding.js';
import type { NativeVrrpSocket } from '../../src/native/types.js';
import { parseIpv6 } from '../../src/net/addr6.js';
import { buildVrrpIpv6, ipv6FromBytes, readVrrpIpv6, VRRP_GROUP6, type VrrpPacket6 } from '../../src/vrrp/vrrp-packet6.js';
import { TEST_FAMILY } from '../support/netns.js';
import { needsRoot } from '../support/prerequisites.js';
import { waitUntil } from '../support/wait.js';

const a6 = (text: string): bigint => ipv6FromBytes(parseIpv6(text));

describe('VRRP socket for IPv6 (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  needsRoot();
  const cleanup = new Cleanup();
  const prefix = makePrefix(TEST_FAMILY);
  const [nsA, nsB, nsC] = [`${prefix}-va`, `${prefix}-vb`, `${prefix}-vc`];
  const sockets: NativeVrrpSocket[] = [];
  const open = (ns: string, ifname: string): NativeVrrpSocket => {
    const s = new (loadAddon().VrrpSocket)({ interface: ifname, netns: `/run/netns/${ns}`, family: 6 });
    sockets.push(s);
    return s;
  };

  before(async function () {
    this.timeout(60_000);
    await sweepStale(TEST_FAMILY);
    for (const ns of [nsA, nsB, nsC]) {
      await addNamespace(ns);
      cleanup.namespace(ns);
    }
    await addVethPair(nsA, 'va0', nsB, 'vb0');
    await addVethPair(nsC, 'vc0', nsC, 'vc1');
    // Fixed link-local addresses without duplicate address detection; vc0 gets none at all.
    for (const [ns, dev, ll, global] of [[nsA, 'va0', 'fe80::a', '2001:db8:20::a'], [nsB, 'vb0', 'fe80::b', '2001:db8:20::b']] as const) {
      await sysctl(ns, `net.ipv6.conf.${dev}.addr_gen_mode`, 1);
      await ipIn(ns, ['-6', 'addr', 'add', `${ll}/64`, 'dev', dev, 'nodad']);
      await ipIn(ns, ['-6', 'addr', 'add', `${global}/64`, 'dev', dev, 'nodad']);
      await linkUp(ns, dev);
    }
    await sysctl(nsC, 'net.ipv6.conf.vc0.addr_gen_mode', 1);
    await linkUp(nsC, 'vc0');
  });

  after(async function () {
    this.timeout(30_000);
    for (const s of sockets) s.close();
    await cleanup.run();
  });

  it('multicast: hop limit, source and destination arrive as sent; our own is not looped back', async () => {
    const a = open(nsA, 'va0');
    const b = open(nsB, 'vb0');
    assert.equal(ipv6FromBytes(a.linkLocal!()!), a6('fe80::a'));
    const gotA: VrrpPacket6[] = [];
    const gotB: VrrpPacket6[] = [];
    let primed = false;
    const sink = (into: VrrpPacket6[]) => (p: Buffer | string): void => {
      assert.ok(typeof p !== 'string', String(p));
      const r = readVrrpIpv6(p);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      if (!(primed && r.packet.advert.priority === 1)) into.push(r.packet);
    };
    a.start(sink(gotA));
    b.start(sink(gotB));
    const advert = { version: 3 as const, vrid: 7, priority: 100, addresses: [a6('2001:db8:20::100')], intervalCs: 100 };
    // IPv6 on a veth is usable once the kernel has seen its carrier (linkwatch, up to a second):
    // a priority-1 advert each way, resent until heard, then the counts start over.
    for (const [from, src, got] of [[a, 'fe80::a', gotB], [b, 'fe80::b', gotA]] as const) {
      await waitUntil('the link to carry IPv6', () => {
        if (got.length === 0) from.send(buildVrrpIpv6({ advert: { ...advert, priority: 1 }, src: a6(src) }), 0);
        return got.length > 0;
      }, 10_000);
    }
    gotA.length = 0;
    gotB.length = 0;
    primed = true; // late copies of those are left out
    a.send(buildVrrpIpv6({ advert, src: a6('fe80::a') }), 0);
    a.send(buildVrrpIpv6({ advert: { ...advert, priority: 99 }, src: a6('fe80::a'), hopLimit: 254 }), 0);
    await waitUntil('two adverts at b', () => gotB.length >= 2, 10_000);
    assert.deepEqual(gotB.map((p) => [p.src, p.dst, p.hopLimit, p.advert.priority]),
      [[a6('fe80::a'), VRRP_GROUP6, 255, 100], [a6('fe80::a'), VRRP_GROUP6, 254, 99]]);
    assert.deepEqual(gotB[0]!.advert, advert);
    b.send(buildVrrpIpv6({ advert: { ...advert, priority: 50 }, src: a6('fe80::b') }), 0);
    await waitUntil('b\'s advert at a', () => gotA.length >= 1, 10_000);
    assert.deepEqual(gotA.map((p) => p.advert.priority), [50], 'a heard b, never itself');
    // Unicast to the peer's global address, from our own global address.
    a.send(buildVrrpIpv6({ advert: { ...advert, priority: 98 }, src: a6('2001:db8:20::a'), dst: a6('2001:db8:20::b') }), 0);
    await waitUntil('the unicast advert at b', () => gotB.length >= 3, 10_000);
    assert.deepEqual([gotB[2]!.src, gotB[2]!.dst, gotB[2]!.hopLimit, gotB[2]!.advert.priority], [a6('2001:db8:20::a'), a6('2001:db8:20::b'), 255, 98]);
  });

  it('refuses a family other than 4 or 6, and an interface without a link-local address', () => {
    const Socket = loadAddon().VrrpSocket;
    assert.throws(() => new Socket({ interface: 'va0', netns: `/run/netns/${nsA}`, family: 5 as 6 }), /family must be 4 or 6/);
    assert.throws(() => new Socket({ interface: 'vc0', netns: `/run/netns/${nsC}`, family: 6 }), /interface vc0 has no IPv6 link-local address/);
  });
});
