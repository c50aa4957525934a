// ICMPv6 through the whole IPv6 data path (memory port, native batch code, classifier): errors
// about NAT and FULLNAT connections follow them both ways with their quote translated, errors
// about nothing are counted, a hop limit of 1 gets Time Exceeded, a packet too big for the tunnel
// Packet Too Big (a GSO super-frame judged by its segment size, segmented when its segments fit),
// and a real server given as an IPv4 address under an IPv6 TUN service gets 6in4.
import assert from 'node:assert/strict';
import type { VirtualServerConfig } from '../../src/config/model.js';
import { formatIpv6 } from '../../src/net/addr6.js';
import { DIRECTOR_MAC, FakeClock, labConfig, memoryLabFor, ROUTES, RS, RS_MAC, service } from '../support/memory-plane.js';
import { CLIENT6, decode6, learnNeighbours6, LIPS6, PLANE6, ROUTER6_MAC, RS6, RS6_MAC, service6, VIP6 } from '../support/memory-plane6.js';
import { ipToU32, TCP_FLAGS } from '../support/packets.js';
import { icmp6Frame, ipv6, l4Checksum6Ok, NEXT, tcp6, tcp6Frame } from '../support/packets6.js';
import { vnetHeader } from '../support/packet-checksum.js';

const fromRouter = { src: ROUTER6_MAC, dst: DIRECTOR_MAC };
const fromRs = { src: RS6_MAC[0]!, dst: DIRECTOR_MAC };
const ROUTER_HOP = '2001:db8:ff::1';

const seg6 = (src: string, dst: string, sport: number, dport: number, flags: number, hop = 64, payload = 0, eth = fromRouter) =>
  tcp6Frame({ eth, ip: { src, dst, hop }, tcp: { srcPort: sport, dstPort: dport, flags, seq: 100, payload: Buffer.alloc(payload, 0x61) } });
const quoted = (src: string, sport: number, dst: string, dport: number) =>
  ipv6({ src, dst }, [], NEXT.TCP, tcp6(src, dst, { srcPort: sport, dstPort: dport, flags: TCP_FLAGS.ACK, seq: 5 }));

async function lab6(vs: VirtualServerConfig) {
  const config = labConfig(vs);
  if (vs.laddrGroup === 'lips6') config.localAddressGroups.lips6 = LIPS6;
  const lab = await memoryLabFor(config, new FakeClock(), ROUTES, PLANE6);
  learnNeighbours6(lab.plane);
  await lab.settle();
  return lab;
}

/** The ICMPv6 message of an untagged frame: type, the MTU/pointer word, the quote's ends. */
function icmpOf(f: Buffer) {
  const q = 14 + 48;
  return {
    type: f[54]!, rest: f.readUInt32BE(58), ok: l4Checksum6Ok(f, 14, 54, NEXT.ICMPV6),
    quote: [formatIpv6(f.subarray(q + 8, q + 24)), f.readUInt16BE(q + 40), formatIpv6(f.subarray(q + 24, q + 40)), f.readUInt16BE(q + 42)],
  };
}

describe('data path, ICMPv6 about IPv6 connections', () => {
  it('NAT: an error from the client side goes to the real server, one from the real server to the client, quotes translated', async () => {
    const lab = await lab6(service6('nat'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 41000, 80, TCP_FLAGS.SYN));
      await lab.settle();
      // A router between director and client cannot pass the reply [VIP]:80 -> client.
      lab.inject(icmp6Frame({ eth: fromRouter, ip: { src: ROUTER_HOP, dst: VIP6 }, type: 2, rest: 1400, body: quoted(VIP6, 80, CLIENT6, 41000) }));
      const [toRs] = await lab.settle();
      const d = decode6(toRs!);
      assert.deepEqual([d.dstMac, d.src, d.dst, d.hop, d.next], [RS6_MAC[0], ROUTER_HOP, RS6[0], 63, 58]);
      const m = icmpOf(toRs!);
      assert.deepEqual([m.type, m.rest, m.ok, m.quote], [2, 1400, true, [RS6[0], 8080, CLIENT6, 41000]]);
      // The real server says the client's packet could not be delivered.
      lab.inject(icmp6Frame({ eth: fromRs, ip: { src: RS6[0]!, dst: CLIENT6 }, type: 1, rest: 0, body: quoted(CLIENT6, 41000, RS6[0]!, 8080) }));
      const [toClient] = await lab.settle();
      const c = decode6(toClient!);
      assert.deepEqual([c.dstMac, c.src, c.dst, c.hop], [ROUTER6_MAC, VIP6, CLIENT6, 63]);
      assert.deepEqual(icmpOf(toClient!).quote, [CLIENT6, 41000, VIP6, 80]);
      // About no connection: counted, not passed.
      lab.inject(icmp6Frame({ eth: fromRouter, ip: { src: ROUTER_HOP, dst: VIP6 }, type: 1, body: quoted(VIP6, 80, CLIENT6, 49999) }));
      assert.equal((await lab.settle()).length, 0);
      assert.equal(lab.stats().drops.icmp_unknown, 1);
    } finally {
      lab.plane.close();
    }
  });

  it('FULLNAT: a real server\'s error to [LIP]:lport goes to the client from the VIP, quoting client -> [VIP]:80', async () => {
    const lab = await lab6(service6('fnat'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 41001, 80, TCP_FLAGS.SYN));
      const lport = decode6((await lab.settle())[0]!).sport;
      lab.inject(icmp6Frame({ eth: fromRs, ip: { src: RS6[0]!, dst: LIPS6[0]! }, type: 3, body: quoted(LIPS6[0]!, lport, RS6[0]!, 8080) }));
      const [out] = await lab.settle();
      const d = decode6(out!);
      assert.deepEqual([d.dstMac, d.src, d.dst], [ROUTER6_MAC, VIP6, CLIENT6]);
      assert.deepEqual(icmpOf(out!).quote, [CLIENT6, 41001, VIP6, 80]);
    } finally {
      lab.plane.close();
    }
  });

  it('FULLNAT: Packet Too Big from the real server leg quotes the client\'s own sequence number', async () => {
    const lab = await lab6(service6('fnat'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 41002, 80, TCP_FLAGS.SYN));
      const sent = (await lab.settle())[0]!;
      assert.notEqual(sent.readUInt32BE(14 + 40 + 4), 100, 'numbered toward the real server from the director\'s ISN');
      // Whole (the segment as the real server leg saw it) and cut after the sequence number.
      for (const body of [sent.subarray(14), sent.subarray(14, 14 + 48)]) {
        lab.inject(icmp6Frame({ eth: fromRs, ip: { src: RS6[0]!, dst: LIPS6[0]! }, type: 2, rest: 1280, body }));
        const [out] = await lab.settle();
        const m = icmpOf(out!);
        assert.deepEqual([decode6(out!).dst, m.type, m.rest, m.ok, m.quote], [CLIENT6, 2, 1280, true, [CLIENT6, 41002, VIP6, 80]]);
        assert.equal(out!.readUInt32BE(14 + 48 + 40 + 4), 100, `${body.length}-byte quote: the client's sequence number`);
        if (body.length > 48) assert.ok(l4Checksum6Ok(out!, 14 + 48, 14 + 48 + 40, NEXT.TCP), 'the quoted segment\'s own checksum');
      }
    } finally {
      lab.plane.close();
    }
  });

  it('DR and TUN: an error from the client side goes to the real server as the connection\'s packets do, untouched inside', async () => {
    for (const method of ['dr', 'tun'] as const) {
      const lab = await lab6(service6(method));
      try {
        lab.inject(seg6(CLIENT6, VIP6, 41010, 80, TCP_FLAGS.SYN));
        await lab.settle();
        lab.inject(icmp6Frame({ eth: fromRouter, ip: { src: ROUTER_HOP, dst: VIP6 }, type: 2, rest: 1400, body: quoted(VIP6, 80, CLIENT6, 41010) }));
        const [out] = await lab.settle();
        const d = decode6(out!);
        assert.equal(d.dstMac, RS6_MAC[0]);
        const inner = method === 'tun' ? d.inner! : d;
        assert.deepEqual([inner.src, inner.dst, inner.hop, inner.next], [ROUTER_HOP, VIP6, 64, 58], method);
        // A real server's error about a DR or TUN connection never passes the director.
        lab.inject(icmp6Frame({ eth: fromRs, ip: { src: RS6[0]!, dst: CLIENT6 }, type: 1, body: quoted(CLIENT6, 41010, VIP6, 80) }));
        assert.equal((await lab.settle()).length, 0);
      } finally {
        lab.plane.close();
      }
    }
  });

  it('hop limit 1 gets Time Exceeded from the VIP, both ways', async () => {
    const lab = await lab6(service6('nat'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 41002, 80, TCP_FLAGS.SYN, 1));
      const [te] = await lab.settle();
      const d = decode6(te!);
      assert.deepEqual([d.dstMac, d.src, d.dst, d.hop, d.next, icmpOf(te!).type, icmpOf(te!).ok], [ROUTER6_MAC, VIP6, CLIENT6, 64, 58, 3, true]);
      lab.inject(seg6(CLIENT6, VIP6, 41003, 80, TCP_FLAGS.SYN));
      await lab.settle();
      // rr gave this one the second real server (the first connection was made, then answered).
      lab.inject(seg6(RS6[1]!, CLIENT6, 8080, 41003, TCP_FLAGS.SYN | TCP_FLAGS.ACK, 1, 0, { src: RS6_MAC[1]!, dst: DIRECTOR_MAC }));
      const [back] = await lab.settle();
      const b = decode6(back!);
      assert.deepEqual([b.dstMac, b.src, b.dst, icmpOf(back!).type], [RS6_MAC[1], VIP6, RS6[1], 3]);
      assert.equal(lab.plane.replies.timeExceeded, 2);
    } finally {
      lab.plane.close();
    }
  });
});

describe('data path, IPv6 TUN: Packet Too Big and 6in4', () => {
  it('ip6ip6: a packet over 1500 - 40 gets Packet Too Big carrying 1460, the quote within 1280 bytes', async () => {
    const lab = await lab6(service6('tun'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 41004, 80, TCP_FLAGS.SYN));
      await lab.settle();
      lab.inject(seg6(CLIENT6, VIP6, 41004, 80, TCP_FLAGS.ACK, 64, 1421));
      const [ptb] = await lab.settle();
      const d = decode6(ptb!);
      const m = icmpOf(ptb!);
      assert.deepEqual([d.dstMac, d.src, d.dst, d.hop, m.type, m.rest, m.ok], [ROUTER6_MAC, VIP6, CLIENT6, 64, 2, 1460, true]);
      assert.equal(ptb!.length, 14 + 1280);
      assert.equal(lab.plane.replies.fragNeeded, 1);
      lab.inject(seg6(CLIENT6, VIP6, 41004, 80, TCP_FLAGS.ACK, 64, 1400));  // exactly fits
      assert.equal(decode6((await lab.settle())[0]!).next, 41);
    } finally {
      lab.plane.close();
    }
  });

  it('ip6ip6: a TCPv6 GSO super-frame is cut into segments that fit; one whose segments would not gets Packet Too Big', async () => {
    const lab = await lab6(service6('tun'));
    // NEEDS_CSUM at the TCP checksum, TCPv6 GSO (4) of mss: as a local sender on veth hands it over.
    const gso = (mss: number) => vnetHeader({ flags: 1, csumStart: 54, csumOffset: 16, gsoType: 4, gsoSize: mss, hdrLen: 74 });
    try {
      lab.inject(seg6(CLIENT6, VIP6, 41006, 80, TCP_FLAGS.SYN));
      await lab.settle();
      lab.injectVnet(seg6(CLIENT6, VIP6, 41006, 80, TCP_FLAGS.ACK | TCP_FLAGS.PSH, 64, 3 * 1400 + 100), gso(1400));
      const out = await lab.settle();
      assert.deepEqual(out.map((f) => f.length), [1514, 1514, 1514, 14 + 80 + 20 + 100]);
      for (const [i, f] of out.entries()) {
        const d = decode6(f);
        assert.deepEqual([d.next, d.dst, d.inner?.dst, d.inner?.l4ok], [41, RS6[0], VIP6, true]);
        assert.equal(f.readUInt32BE(14 + 80 + 4), 100 + i * 1400);  // sequence + offset
        assert.equal(f[14 + 80 + 13]! & TCP_FLAGS.PSH, i === 3 ? TCP_FLAGS.PSH : 0);
      }
      assert.equal(lab.plane.replies.fragNeeded, 0);
      lab.injectVnet(seg6(CLIENT6, VIP6, 41006, 80, TCP_FLAGS.ACK, 64, 3000), gso(1401));
      const [ptb] = await lab.settle();
      assert.deepEqual([icmpOf(ptb!).type, icmpOf(ptb!).rest], [2, 1460]);
    } finally {
      lab.plane.close();
    }
  });

  it('6in4: a real server given as an IPv4 address gets the IPv6 packet inside IPv4 protocol 41', async () => {
    const vs = service6('tun', { realServers: [{ ...service('tun').realServers[0]! }] });
    const lab = await lab6(vs);
    try {
      lab.inject(seg6(CLIENT6, VIP6, 41005, 80, TCP_FLAGS.SYN, 57));
      const [out] = await lab.settle();
      assert.equal(out!.readUInt16BE(12), 0x0800);
      assert.equal(out!.subarray(0, 6).toString('hex'), RS_MAC[0]!.replace(/:/g, ''));
      assert.deepEqual([out![14 + 8], out![14 + 9], out!.readUInt16BE(14 + 6), out!.readUInt32BE(14 + 12), out!.readUInt32BE(14 + 16)],
        [57, 41, 0, ipToU32('198.19.0.2'), ipToU32(RS[0]!)]);
      const inner = decode6(out!, 34);
      assert.deepEqual([inner.src, inner.dst, inner.sport, inner.dport, inner.hop, inner.l4ok], [CLIENT6, VIP6, 41005, 80, 57, true]);
      // Over 1500 - 20: Packet Too Big carrying 1480.
      lab.inject(seg6(CLIENT6, VIP6, 41005, 80, TCP_FLAGS.ACK, 64, 1441));
      const [ptb] = await lab.settle();
      assert.deepEqual([icmpOf(ptb!).type, icmpOf(ptb!).rest], [2, 1480]);
    } finally {
      lab.plane.close();
    }
  });
});
