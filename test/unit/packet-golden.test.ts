// Golden packets through the addon's pure core: each row builds an input frame, a verdict and
// the expected output frames with the test builders (which compute every checksum from
// scratch), and compares bytes. Incremental updates (RFC 1624) must land on the same bytes.
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/native/binding.js';
import { FrameKind, Meta as M, ParseError, Verdict as V } from '../../src/native/layout.generated.js';
import { CLIENT, DIR_IP, DIR_MAC, fromRouter, fromRs, LIP, LIP2, PAYLOAD, ROUTER_MAC, RS, RS_MAC, toRouter, toRs, verdict, VIP, type VerdictSpec } from '../support/golden-verdict.js';
import {
  arpReply, arpRequest, decodeFrame, icmpEchoFrame, icmpErrorFrame, ipipFrame, ipPacketOf, ipToU32, makePartial,
  tcpFrame, udpFrame, TCP_FLAGS, ethernet, ETH_IPV4, ipv4, udp, PROTO, vnetHeader, gsoTcpFrame,
} from '../support/packets.js';

interface GoldenRow {
  name: string;
  input: () => { frame: Buffer; vnet?: Buffer };
  verdict: VerdictSpec;
  /** Expected frames; `actual` lends fields the core chooses freely (an ICMP error's IP id). */
  expected: (actual: Buffer[]) => { frame: Buffer; vnet?: Buffer }[];
}

const seg = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number, ttl = 64, df = false) =>
  tcpFrame({ eth, ip: { src, dst, ttl, df }, tcp: { srcPort: sport, dstPort: dport, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, seq: 7, ack: 9, payload: PAYLOAD } });
const dgram = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number, ttl = 64) =>
  udpFrame({ eth, ip: { src, dst, ttl }, udp: { srcPort: sport, dstPort: dport, payload: PAYLOAD } });
/**
 * The pure ACK (timestamps option) a real server sent in a FULLNAT upload, as captured in the
 * netns checksum case under CPU load: it arrived partial; rewritten, its TCP checksum is zero,
 * which the director's kernel, left to complete it in software, wrote as 0xffff.
 */
const capturedAck = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number, ttl: number) =>
  tcpFrame({ eth, ip: { src, dst, ttl, id: 0x55e9, df: true }, tcp: {
    srcPort: sport, dstPort: dport, flags: TCP_FLAGS.ACK, seq: 0xa68b436a, ack: 0xcad2b206, window: 0x01fe,
    options: Buffer.from('0101080a7224688d761f86dc', 'hex'),
  } });
const ipIdOf = (f: Buffer) => decodeFrame(f).ip!.id;

const ROWS: GoldenRow[] = [
  {
    name: 'DR: only the MACs change',
    input: () => ({ frame: seg(fromRouter, CLIENT, 40000, VIP, 80) }),
    verdict: { action: 'FORWARD', method: 'DR', mac: RS_MAC },
    expected: () => [{ frame: seg(toRs, CLIENT, 40000, VIP, 80) }],
  },
  {
    name: 'NAT in: destination to the real server with port mapping, TTL - 1',
    input: () => ({ frame: seg(fromRouter, CLIENT, 40000, VIP, 80) }),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp: RS, dstPort: 8080 },
    expected: () => [{ frame: seg(toRs, CLIENT, 40000, RS, 8080, 63) }],
  },
  {
    name: 'NAT out: source back to VIP:vport',
    input: () => ({ frame: seg(fromRs, RS, 8080, CLIENT, 40000) }),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80 },
    expected: () => [{ frame: seg(toRouter, VIP, 80, CLIENT, 40000, 63) }],
  },
  {
    name: 'FULLNAT in: LIP:lport to the real server',
    input: () => ({ frame: seg(fromRouter, CLIENT, 40000, VIP, 80) }),
    verdict: { action: 'FORWARD', method: 'FNAT', mac: RS_MAC, srcIp: LIP, srcPort: 5000, dstIp: RS, dstPort: 8080 },
    expected: () => [{ frame: seg(toRs, LIP, 5000, RS, 8080, 63) }],
  },
  {
    name: 'FULLNAT out: reversed exactly',
    input: () => ({ frame: seg(fromRs, RS, 8080, LIP, 5000) }),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, dstIp: CLIENT, dstPort: 40000 },
    expected: () => [{ frame: seg(toRouter, VIP, 80, CLIENT, 40000, 63) }],
  },
  {
    name: 'NAT in, UDP with a zero checksum: it stays zero',
    input: () => ({ frame: udpFrame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 5353, dstPort: 53, payload: PAYLOAD, checksum: false } }) }),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp: RS, dstPort: 53 },
    expected: () => [{ frame: udpFrame({ eth: toRs, ip: { src: CLIENT, dst: RS, ttl: 63 }, udp: { srcPort: 5353, dstPort: 53, payload: PAYLOAD, checksum: false } }) }],
  },
  {
    name: 'NAT in, CHECKSUM_PARTIAL UDP: only the pseudo-header seed follows the address',
    input: () => makePartial(dgram(fromRouter, CLIENT, 5353, VIP, 53)),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp: RS, dstPort: 5354 },
    expected: () => [makePartial(dgram(toRs, CLIENT, 5353, RS, 5354, 63))],
  },
  {
    name: 'NAT in, CHECKSUM_PARTIAL TCP: completed here, plain vnet header (nothing left to the kernel)',
    input: () => makePartial(seg(fromRouter, CLIENT, 40000, VIP, 80)),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp: RS, dstPort: 8080 },
    expected: () => [{ frame: seg(toRs, CLIENT, 40000, RS, 8080, 63), vnet: vnetHeader({}) }],
  },
  {
    name: 'FULLNAT out, the partial ACK of the failing capture: its zero TCP checksum leaves as 0x0000, not 0xffff',
    input: () => makePartial(capturedAck(fromRs, RS, 80, LIP2, 1055, 64)),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, dstIp: CLIENT, dstPort: 43102 },
    expected: () => {
      const frame = capturedAck(toRouter, VIP, 80, CLIENT, 43102, 63);
      assert.equal(frame.readUInt16BE(50), 0, 'the row must cover a zero TCP checksum');
      return [{ frame, vnet: vnetHeader({}) }];
    },
  },
  {
    name: 'NAT in, GSO vnet header over one segment: the kernel would not segment it, so completed here',
    input: () => gsoTcpFrame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP }, tcp: { srcPort: 40000, dstPort: 80, payload: PAYLOAD } }, 1448),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp: RS, dstPort: 8080 },
    expected: () => [{ frame: tcpFrame({ eth: toRs, ip: { src: CLIENT, dst: RS, ttl: 63 }, tcp: { srcPort: 40000, dstPort: 8080, payload: PAYLOAD } }), vnet: vnetHeader({}) }],
  },
  {
    name: 'TUN: IPIP head from the director, DF/TTL copied, inner packet untouched',
    input: () => ({ frame: seg(fromRouter, CLIENT, 40000, VIP, 80, 64, true) }),
    verdict: { action: 'FORWARD', method: 'TUN', mac: RS_MAC, tunSrc: DIR_IP, tunDst: RS },
    expected: () => [{
      frame: ipipFrame({ eth: toRs, outer: { src: DIR_IP, dst: RS, df: true, ttl: 64, id: 0 }, inner: ipPacketOf(seg(fromRouter, CLIENT, 40000, VIP, 80, 64, true)) }),
      vnet: vnetHeader({}),
    }],
  },
  {
    name: 'ARP request for the VIP becomes a reply from the egress MAC',
    input: () => ({ frame: arpRequest({ senderMac: ROUTER_MAC, senderIp: '198.19.0.1', targetIp: VIP }) }),
    verdict: { action: 'ARP_REPLY' },
    expected: () => [{ frame: arpReply({ eth: { src: DIR_MAC, dst: ROUTER_MAC }, senderMac: DIR_MAC, senderIp: VIP, targetMac: ROUTER_MAC, targetIp: '198.19.0.1' }) }],
  },
  {
    name: 'TTL 1: time-exceeded to the sender, from the egress address, quoting the packet',
    input: () => ({ frame: seg(fromRouter, CLIENT, 40000, VIP, 80, 1) }),
    verdict: { action: 'ICMP_TIME_EXCEEDED' },
    expected: (out) => [{ frame: icmpErrorFrame({
      eth: toRouter, ip: { src: DIR_IP, dst: CLIENT, ttl: 64, tos: 0xc0, id: ipIdOf(out[0]!) },
      error: { type: 11, code: 0, quote: ipPacketOf(seg(fromRouter, CLIENT, 40000, VIP, 80, 1)), quoteBytes: 20 + 20 + PAYLOAD.length },
    }) }],
  },
  {
    name: 'frag-needed: type 3 code 4 carrying the MTU',
    input: () => ({ frame: seg(fromRouter, CLIENT, 40000, VIP, 80, 64, true) }),
    verdict: { action: 'ICMP_FRAG_NEEDED', mtu: 1480 },
    expected: (out) => [{ frame: icmpErrorFrame({
      eth: toRouter, ip: { src: DIR_IP, dst: CLIENT, ttl: 64, tos: 0xc0, id: ipIdOf(out[0]!) },
      error: { type: 3, code: 4, mtu: 1480, quote: ipPacketOf(seg(fromRouter, CLIENT, 40000, VIP, 80, 64, true)), quoteBytes: 20 + 20 + PAYLOAD.length },
    }) }],
  },
  {
    name: 'ping to the VIP: echo reply from the VIP, MACs and addresses swapped, TTL 64',
    input: () => ({ frame: icmpEchoFrame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP, ttl: 63, id: 4242 }, echo: { type: 8, id: 77, seq: 3, payload: PAYLOAD } }) }),
    verdict: { action: 'ICMP_ECHO_REPLY' },
    expected: () => [{ frame: icmpEchoFrame({ eth: toRouter, ip: { src: VIP, dst: CLIENT, ttl: 64, id: 4242 }, echo: { type: 0, id: 77, seq: 3, payload: PAYLOAD } }) }],
  },
  {
    name: 'ICMP error from the real server (NAT): outer and quoted packet mirrored toward the client',
    input: () => ({ frame: icmpErrorFrame({
      eth: fromRs, ip: { src: RS, dst: CLIENT },
      error: { type: 3, code: 3, quote: ipv4({ src: CLIENT, dst: RS, ttl: 63 }, PROTO.UDP, udp(CLIENT, RS, { srcPort: 5353, dstPort: 53, payload: PAYLOAD })) },
    }) }),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 53 },
    expected: () => [{ frame: icmpErrorFrame({
      eth: toRouter, ip: { src: VIP, dst: CLIENT, ttl: 63 },
      error: { type: 3, code: 3, quote: ipv4({ src: CLIENT, dst: VIP, ttl: 63 }, PROTO.UDP, udp(CLIENT, VIP, { srcPort: 5353, dstPort: 53, payload: PAYLOAD })) },
    }) }],
  },
];

describe('golden packets through the addon (pure core)', () => {
  const egress = { mac: DIR_MAC, mtu: 1500, ip: ipToU32(DIR_IP) };
  for (const row of ROWS) {
    it(row.name, () => {
      const { frame, vnet } = row.input();
      const out = loadAddon().rewrite(frame, verdict(row.verdict), egress, vnet);
      assert.equal(out.error, 0, `rewrite error ${out.error}`);
      const frames = out.map((o) => Buffer.from(o.frame));
      const want = row.expected(frames);
      assert.equal(out.length, want.length, 'frame count');
      want.forEach((w, i) => {
        assert.deepEqual(frames[i]!.toString('hex'), w.frame.toString('hex'), `frame ${i} bytes`);
        if (w.vnet) assert.deepEqual(Buffer.from(out[i]!.vnet).toString('hex'), w.vnet.toString('hex'), `frame ${i} vnet header`);
      });
    });
  }

  it('refuses an unknown action instead of guessing', () => {
    const v = verdict({ action: 'FORWARD', method: 'DR', mac: RS_MAC });
    v[V.ACTION] = 99;
    const out = loadAddon().rewrite(seg(fromRouter, CLIENT, 40000, VIP, 80), v, egress);
    assert.equal(out.length, 0);
    assert.notEqual(out.error, 0);
  });
});

describe('golden parse records through the addon', () => {
  const parse = (f: Buffer, vnet?: Buffer) => loadAddon().parse(f, vnet);
  const cases: { name: string; frame: () => Buffer; check: (m: Uint32Array) => void }[] = [
    {
      name: 'TCP: tuple, flags, offsets',
      frame: () => seg(fromRouter, CLIENT, 40000, VIP, 80),
      check: (m) => {
        assert.deepEqual([m[M.KIND], m[M.PROTO], m[M.SRC_IP], m[M.DST_IP], m[M.SRC_PORT], m[M.DST_PORT]],
          [FrameKind.IPV4, 6, ipToU32(CLIENT), ipToU32(VIP), 40000, 80]);
        assert.deepEqual([m[M.L3_OFF], m[M.L4_OFF], m[M.PAYLOAD_OFF], m[M.TCP_FLAGS], m[M.TTL]], [14, 34, 54, 0x18, 64]);
      },
    },
    {
      name: 'TCP: sequence and acknowledgment numbers, full 32 bits',
      frame: () => tcpFrame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP },
        tcp: { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.ACK, seq: 0xfedcba98, ack: 0x80000001 } }),
      check: (m) => assert.deepEqual([m[M.TCP_SEQ], m[M.TCP_ACK]], [0xfedcba98, 0x80000001]),
    },
    {
      name: '802.1Q tag: VLAN id + 1 and shifted offsets',
      frame: () => ethernet({ ...fromRouter, vlan: 7 }, ETH_IPV4, ipPacketOf(seg(fromRouter, CLIENT, 1, VIP, 80))),
      check: (m) => assert.deepEqual([m[M.VLAN], m[M.L3_OFF], m[M.L4_OFF]], [8, 18, 38]),
    },
    {
      name: 'ICMP error: the quoted tuple',
      frame: () => icmpErrorFrame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP }, error: { type: 3, code: 3, quote: ipv4({ src: VIP, dst: CLIENT }, PROTO.UDP, udp(VIP, CLIENT, { srcPort: 53, dstPort: 5353 })) } }),
      check: (m) => assert.deepEqual([m[M.ICMP], m[M.INNER_PROTO], m[M.INNER_SRC_IP], m[M.INNER_SRC_PORT], m[M.INNER_DST_PORT]],
        [0x0303, 17, ipToU32(VIP), 53, 5353]),
    },
    {
      name: 'a truncated IPv4 header is an error, not a read past the end',
      frame: () => seg(fromRouter, CLIENT, 1, VIP, 80).subarray(0, 30),
      check: (m) => assert.equal(m[M.ERROR], ParseError.TRUNCATED_IP),
    },
    {
      name: 'a corrupted IPv4 header checksum is an error',
      frame: () => { const f = seg(fromRouter, CLIENT, 1, VIP, 80); f[24] = f[24]! ^ 0xff; return f; },
      check: (m) => assert.equal(m[M.ERROR], ParseError.BAD_IP_CHECKSUM),
    },
  ];
  for (const c of cases) it(c.name, () => c.check(parse(c.frame())));
});
