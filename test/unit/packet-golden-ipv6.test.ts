// IPv6 golden packets through the addon's pure core: parse records of well-formed frames, the
// barrage of malformed ones (each refused under its own ParseError, never a crash), and DR, NAT
// and FULLNAT rewrites, the answers to a neighbour solicitation and an echo, compared byte for byte with frames built from scratch (so the incremental
// checksum updates over the IPv6 pseudo-header must land on the same bytes).
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/native/binding.js';
import { FrameKind, Meta as M, ParseError } from '../../src/native/layout.generated.js';
import { ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import { DIR_MAC, fromRouter, fromRs, PAYLOAD, ROUTER_MAC, RS_MAC, toRouter, toRs, verdict, type VerdictSpec } from '../support/golden-verdict.js';
import { ethernet, TCP_FLAGS } from '../support/packets.js';
import {
  ETH_IPV6, fragmentHeader, icmp6, icmp6Frame, ipv6, l4Checksum6Ok, NEXT, optionsHeader, rawHeader, routingHeader,
  tcp6, tcp6Frame, udp6, udp6Frame, type ExtHeader,
} from '../support/packets6.js';

const CLIENT = '2001:db8:1::10';
const VIP = '2001:db8::100';
const RS = '2001:db8::11';
const LIP = '2001:db8:f::1';

const seg = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number, hop = 64, chain: ExtHeader[] = []) =>
  tcp6Frame({ eth, ip: { src, dst, hop }, chain, tcp: { srcPort: sport, dstPort: dport, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, seq: 7, ack: 9, payload: PAYLOAD } });
const dgram = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number, hop = 64) =>
  udp6Frame({ eth, ip: { src, dst, hop }, udp: { srcPort: sport, dstPort: dport, payload: PAYLOAD } });
const bare = (chain: ExtHeader[], proto: number, upper: Uint8Array, payloadLength?: number) =>
  ethernet(fromRouter, ETH_IPV6, ipv6({ src: CLIENT, dst: VIP, payloadLength }, chain, proto, upper));
const words = (a: string) => ipv6Words(parseIpv6(a));

describe('IPv6 parse records through the addon', () => {
  const parse = (f: Buffer) => loadAddon().parse(f);

  it('TCP: addresses as four words, tuple, offsets, hop limit', () => {
    const m = parse(seg(fromRouter, CLIENT, 40000, VIP, 80));
    assert.equal(m[M.ERROR], 0);
    assert.deepEqual([m[M.KIND], m[M.PROTO], m[M.SRC_PORT], m[M.DST_PORT], m[M.L3_OFF], m[M.L4_OFF], m[M.TTL]],
      [FrameKind.IPV6, 6, 40000, 80, 14, 54, 64]);
    assert.deepEqual([...m.subarray(M.SRC_IP6_0, M.SRC_IP6_0 + 4)], words(CLIENT));
    assert.deepEqual([...m.subarray(M.DST_IP6_0, M.DST_IP6_0 + 4)], words(VIP));
    assert.equal(m[M.SRC_IP], 0);
  });

  it('walks hop-by-hop, destination options, routing and a fragment header to the upper layer', () => {
    const m = parse(udp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP },
      chain: [optionsHeader(NEXT.HOP_BY_HOP), optionsHeader(NEXT.DEST_OPTS, 16), routingHeader(), fragmentHeader(0, false, 3)],
      udp: { srcPort: 5353, dstPort: 53, payload: PAYLOAD } }));
    assert.deepEqual([m[M.ERROR], m[M.PROTO], m[M.L4_OFF], m[M.DST_PORT]], [0, 17, 14 + 40 + 40, 53]);
  });

  it('an ICMPv6 error carries the quoted tuple', () => {
    const quoted = ipv6({ src: VIP, dst: CLIENT }, [], NEXT.TCP, tcp6(VIP, CLIENT, { srcPort: 80, dstPort: 40000 }));
    const m = parse(icmp6Frame({ eth: fromRouter, ip: { src: '2001:db8:ff::1', dst: VIP }, type: 2, rest: 1280, body: quoted }));
    assert.deepEqual([m[M.ICMP], m[M.ICMP_EXTRA], m[M.INNER_PROTO], m[M.INNER_SRC_PORT], m[M.INNER_DST_PORT]], [0x0200, 1280, 6, 80, 40000]);
    assert.deepEqual([...m.subarray(M.INNER_SRC_IP6_0, M.INNER_SRC_IP6_0 + 4)], words(VIP));
  });

  const barrage: [string, () => Buffer, number][] = [
    ['fixed header cut', () => seg(fromRouter, CLIENT, 1, VIP, 80).subarray(0, 14 + 39), ParseError.TRUNCATED_IP],
    ['payload length beyond the frame', () => bare([], NEXT.TCP, tcp6(CLIENT, VIP, { srcPort: 1, dstPort: 80 }), 900), ParseError.BAD_IP_TOTAL_LEN],
    ['extension header length beyond the packet', () => bare([rawHeader(NEXT.DEST_OPTS, 200, 8)], NEXT.NONE, Buffer.alloc(0)), ParseError.EXT_TRUNCATED],
    ['hop-by-hop not first', () => bare([routingHeader(), optionsHeader(NEXT.HOP_BY_HOP)], NEXT.NONE, Buffer.alloc(0)), ParseError.EXT_ORDER],
    ['a loop of destination options', () => bare(Array.from({ length: 30 }, () => optionsHeader(NEXT.DEST_OPTS)), NEXT.NONE, Buffer.alloc(0)), ParseError.EXT_REPEATED],
    ['AH', () => bare([], NEXT.AH, Buffer.alloc(24)), ParseError.EXT_UNSUPPORTED],
    ['ragged fragment', () => bare([fragmentHeader(0, true, 1)], NEXT.UDP, udp6(CLIENT, VIP, { srcPort: 1, dstPort: 53, payload: Buffer.alloc(3) })), ParseError.BAD_FRAG_LEN],
    ['UDP checksum 0', () => udp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 1, dstPort: 53, checksum: false } }), ParseError.UDP6_ZERO_CHECKSUM],
    ['TCP cut', () => bare([], NEXT.TCP, Buffer.alloc(12)), ParseError.TRUNCATED_L4],
  ];
  for (const [name, frame, code] of barrage) {
    it(`malformed: ${name} is refused as ${Object.entries(ParseError).find(([, v]) => v === code)![0]}`, () => {
      const m = parse(frame());
      assert.equal(m[M.ERROR], code);
      assert.deepEqual([m[M.HASH], m[M.L4_OFF], m[M.SRC_PORT]], [0, 0, 0]);
    });
  }
});

interface Row {
  name: string;
  input: () => Buffer;
  verdict: VerdictSpec;
  expected: () => Buffer;
  /** Where the upper layer starts in the expected frame, and its protocol (checksum check). */
  l4?: [number, number];
}

const ROWS: Row[] = [
  {
    name: 'DR: only the MACs change',
    input: () => seg(fromRouter, CLIENT, 40000, VIP, 80),
    verdict: { action: 'FORWARD', method: 'DR', mac: RS_MAC },
    expected: () => seg(toRs, CLIENT, 40000, VIP, 80),
  },
  {
    name: 'NAT in: destination to the real server with port mapping, hop limit - 1',
    input: () => seg(fromRouter, CLIENT, 40000, VIP, 80),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp6: RS, dstPort: 8080 },
    expected: () => seg(toRs, CLIENT, 40000, RS, 8080, 63),
    l4: [54, NEXT.TCP],
  },
  {
    name: 'NAT in behind destination options and routing headers',
    input: () => seg(fromRouter, CLIENT, 40000, VIP, 80, 64, [optionsHeader(NEXT.DEST_OPTS), routingHeader(16)]),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp6: RS, dstPort: 8080 },
    expected: () => seg(toRs, CLIENT, 40000, RS, 8080, 63, [optionsHeader(NEXT.DEST_OPTS), routingHeader(16)]),
    l4: [54 + 24, NEXT.TCP],
  },
  {
    name: 'NAT out: source back to [VIP]:vport',
    input: () => dgram(fromRs, RS, 5353, CLIENT, 40000),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'OUT', mac: ROUTER_MAC, srcIp6: VIP, srcPort: 53 },
    expected: () => dgram(toRouter, VIP, 53, CLIENT, 40000, 63),
    l4: [54, NEXT.UDP],
  },
  {
    name: 'NAT in: an ICMPv6 echo keeps its checksum right (it covers the pseudo-header)',
    input: () => icmp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP }, type: 128, rest: 0x00420001, body: PAYLOAD }),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp6: RS, dstPort: 1 },
    expected: () => icmp6Frame({ eth: toRs, ip: { src: CLIENT, dst: RS, hop: 63 }, type: 128, rest: 0x00420001, body: PAYLOAD }),
    l4: [54, NEXT.ICMPV6],
  },
  {
    name: 'FULLNAT in: [LIP]:lport -> [RS]:port',
    input: () => seg(fromRouter, CLIENT, 40000, VIP, 80),
    verdict: { action: 'FORWARD', method: 'FNAT', mac: RS_MAC, srcIp6: LIP, srcPort: 5001, dstIp6: RS, dstPort: 8080 },
    expected: () => seg(toRs, LIP, 5001, RS, 8080, 63),
    l4: [54, NEXT.TCP],
  },
  {
    name: 'FULLNAT out: [VIP]:vport -> [client]:port',
    input: () => seg(fromRs, RS, 8080, LIP, 5001),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'OUT', mac: ROUTER_MAC, srcIp6: VIP, srcPort: 80, dstIp6: CLIENT, dstPort: 40000 },
    expected: () => seg(toRouter, VIP, 80, CLIENT, 40000, 63),
    l4: [54, NEXT.TCP],
  },
  {
    name: 'TUN: ip6ip6 around the untouched packet (next header 41, hop limit copied, flow label 0)',
    input: () => seg(fromRouter, CLIENT, 40000, VIP, 80, 57),
    verdict: { action: 'FORWARD', method: 'TUN', mac: RS_MAC, srcIp6: '2001:db8::2', dstIp6: RS },
    expected: () => ethernet(toRs, ETH_IPV6, ipv6Outer(ipPacket6(seg(fromRouter, CLIENT, 40000, VIP, 80, 57)), 57)),
  },
  {
    name: 'ND_ADVERT: a neighbour solicitation for the VIP becomes the solicited advertisement (S and O, target option)',
    input: () => icmp6Frame({ eth: { src: ROUTER_MAC, dst: '33:33:ff:00:01:00' }, ip: { src: '2001:db8::1', dst: 'ff02::1:ff00:100', hop: 255 },
      type: 135, body: Buffer.concat([Buffer.from(parseIpv6(VIP)), ndOption(1, ROUTER_MAC)]) }),
    verdict: { action: 'ND_ADVERT', srcIp6: VIP },
    expected: () => icmp6Frame({ eth: toRouter, ip: { src: VIP, dst: '2001:db8::1', hop: 255, flow: 0 }, type: 136, rest: 0x60000000,
      body: Buffer.concat([Buffer.from(parseIpv6(VIP)), ndOption(2, DIR_MAC)]) }),
    l4: [54, NEXT.ICMPV6],
  },
  {
    name: 'ICMP_ECHO_REPLY on IPv6: addresses swapped, type 129, hop limit 64',
    input: () => icmp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP, hop: 60 }, type: 128, rest: 0x00420001, body: PAYLOAD }),
    verdict: { action: 'ICMP_ECHO_REPLY' },
    expected: () => icmp6Frame({ eth: toRouter, ip: { src: VIP, dst: CLIENT, hop: 64 }, type: 129, rest: 0x00420001, body: PAYLOAD }),
    l4: [54, NEXT.ICMPV6],
  },
];

/** A link-layer address option of Neighbour Discovery (type 1 source, 2 target). */
function ndOption(type: number, mac: string): Buffer {
  return Buffer.concat([Buffer.from([type, 1]), Buffer.from(mac.split(':').map((x) => parseInt(x, 16)))]);
}

/** The IPv6 packet inside an untagged frame. */
function ipPacket6(frame: Buffer): Buffer {
  return frame.subarray(14, 14 + 40 + frame.readUInt16BE(18));
}

/** The outer header IPVS puts around an IPv6 packet for TUN: built field by field. */
function ipv6Outer(inner: Buffer, hop: number): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(inner.length, 4);
  h[6] = 41;
  h[7] = hop;
  Buffer.from(parseIpv6('2001:db8::2')).copy(h, 8);
  Buffer.from(parseIpv6(RS)).copy(h, 24);
  return Buffer.concat([h, inner]);
}

describe('IPv6 golden packets through the addon (pure core)', () => {
  const egress = { mac: DIR_MAC, mtu: 1500, ip: 0 };
  for (const row of ROWS) {
    it(row.name, () => {
      const out = loadAddon().rewrite(row.input(), verdict(row.verdict), egress);
      assert.equal(out.error, 0, `rewrite error ${out.error}`);
      assert.equal(out.length, 1);
      const got = Buffer.from(out[0]!.frame);
      assert.equal(got.toString('hex'), row.expected().toString('hex'));
      if (row.l4) assert.ok(l4Checksum6Ok(got, 14, row.l4[0], row.l4[1]), 'upper-layer checksum verifies');
    });
  }

  it('refuses a hop limit of 1 (ICMPv6 errors about connections: packet-golden-icmp6)', () => {
    const nat = verdict({ action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp6: RS, dstPort: 80 });
    const last = loadAddon().rewrite(seg(fromRouter, CLIENT, 40000, VIP, 80, 1), nat, egress);
    assert.equal(last.length, 0);
    assert.notEqual(last.error, 0);
  });

  it('a NAT verdict without an IPv6 address is refused, not applied as IPv4', () => {
    const v4 = verdict({ action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp: '198.19.0.11', dstPort: 80 });
    const out = loadAddon().rewrite(seg(fromRouter, CLIENT, 40000, VIP, 80), v4, egress);
    assert.equal(out.length, 0);
    assert.notEqual(out.error, 0);
  });
});

// The builders themselves must agree with the decoder's idea of a checksum, or the rows prove nothing.
describe('IPv6 test builders', () => {
  it('build frames whose upper-layer checksums verify', () => {
    assert.ok(l4Checksum6Ok(seg(fromRouter, CLIENT, 1, VIP, 80), 14, 54, NEXT.TCP));
    assert.ok(l4Checksum6Ok(dgram(fromRouter, CLIENT, 1, VIP, 53), 14, 54, NEXT.UDP));
    const echo = ethernet(fromRouter, ETH_IPV6, ipv6({ src: CLIENT, dst: VIP }, [], NEXT.ICMPV6, icmp6(CLIENT, VIP, 128, 0, 1, PAYLOAD)));
    assert.ok(l4Checksum6Ok(echo, 14, 54, NEXT.ICMPV6));
    const broken = seg(fromRouter, CLIENT, 1, VIP, 80);
    broken[broken.length - 1] = broken[broken.length - 1]! ^ 1;
    assert.ok(!l4Checksum6Ok(broken, 14, 54, NEXT.TCP));
  });
});
