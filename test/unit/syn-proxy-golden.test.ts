// Golden packets of the SYN proxy through the addon's pure core: the three segments it builds
// (SYN-ACK with the cookie, SYN to the real server, handshake ACK) and the sequence translation
// of forwarded segments both ways, NAT and FULLNAT, plain and CHECKSUM_PARTIAL. Expected frames
// come from the test builders, which compute every checksum from scratch; the translation's
// RFC 1624 updates must land on the same bytes.
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/native/binding.js';
import { TcpOpt } from '../../src/native/layout.generated.js';
import { CLIENT, DIR_MAC, egress, fromRouter, fromRs, itRewritesEachRow, LIP, ROUTER_MAC, RS, RS_MAC, toRouter, toRs, verdict, VIP, type GoldenRow } from '../support/golden-verdict.js';
import { makePartial, tcpFrame, TCP_FLAGS, type TcpOptions } from '../support/packets.js';

const PAYLOAD = Buffer.from('GET /file HTTP/1.1\r\nHost: vip\r\n\r\n');

const COOKIE = 0xfedc_ba98;
const SERVER_ISN = 0x0000_1000;
/** cookie ISN - server ISN, as the classifier computes it (mod 2^32). */
const DELTA = (COOKIE - SERVER_ISN) >>> 0;
const CLIENT_ISN = 0x1111_0000;

/** MSS 1460, SACK permitted, window scale 7, timestamps: what a Linux client's SYN carries. */
const LINUX_SYN_OPTIONS = Buffer.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
/** What the proxy writes: MSS then NOP NOP SACK-permitted. */
const mssSack = (mss: number) => Buffer.from([2, 4, mss >> 8, mss & 0xff, 1, 1, 4, 2]);
/** One SACK block (NOP NOP kind 5 length 10). */
const sack = (left: number, right: number) => {
  const b = Buffer.from([1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
  b.writeUInt32BE(left >>> 0, 4);
  b.writeUInt32BE(right >>> 0, 8);
  return b;
};

const frame = (eth: { src: string; dst: string }, src: string, dst: string, t: TcpOptions, ttl = 64, df = false) =>
  tcpFrame({ eth, ip: { src, dst, ttl, df, id: df ? 0 : 0x1234 }, tcp: t });

/** NOP, one SACK block, end of options: the edges start at odd offsets 23 and 27 of the header. */
const oddSack = (left: number, right: number) => {
  const b = Buffer.from([1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  b.writeUInt32BE(left >>> 0, 3);
  b.writeUInt32BE(right >>> 0, 7);
  return b;
};


const ROWS: GoldenRow[] = [
  {
    name: 'SYN-ACK: the cookie as ISN, ack = ISN + 1, MSS and SACK-permitted only, back to the sender, DF, TTL 64',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: CLIENT_ISN, flags: TCP_FLAGS.SYN, options: LINUX_SYN_OPTIONS, window: 64240 }, 63) }),
    verdict: { action: 'SYNPROXY_SYNACK', isn: COOKIE, tcpOpts: 1460 | TcpOpt.SACK_PERM, window: 64240 },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, seq: COOKIE, ack: CLIENT_ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, window: 64240, options: mssSack(1460) }, 64, true),
  },
  {
    name: 'SYN-ACK without SACK: MSS alone (a SYN with data: the data is not answered)',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40001, dstPort: 80, seq: 5, flags: TCP_FLAGS.SYN, payload: PAYLOAD }) }),
    verdict: { action: 'SYNPROXY_SYNACK', isn: COOKIE, tcpOpts: 1300, window: 64240 },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40001, seq: COOKIE, ack: 6, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, window: 64240, options: Buffer.from([2, 4, 0x05, 0x14]) }, 64, true),
  },
  {
    name: 'NAT: the proven ACK (with data) becomes the SYN to the real server, client ISN and cookie options, no data',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: CLIENT_ISN + 1, ack: COOKIE + 1, flags: TCP_FLAGS.ACK, window: 502, payload: PAYLOAD }, 63) }),
    verdict: { action: 'SYNPROXY_SYN', method: 'NAT', direction: 'IN', mac: RS_MAC, srcIp: CLIENT, srcPort: 40000, dstIp: RS, dstPort: 8080, isn: CLIENT_ISN, tcpOpts: 1440 | TcpOpt.SACK_PERM },
    expected: frame(toRs, CLIENT, RS, { srcPort: 40000, dstPort: 8080, seq: CLIENT_ISN, ack: 0, flags: TCP_FLAGS.SYN, window: 502, options: mssSack(1440) }, 64, true),
  },
  {
    name: 'FULLNAT: the SYN leaves from the local address and port',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: CLIENT_ISN + 1, ack: COOKIE + 1, flags: TCP_FLAGS.ACK, window: 502 }, 63) }),
    verdict: { action: 'SYNPROXY_SYN', method: 'FNAT', direction: 'IN', mac: RS_MAC, srcIp: LIP, srcPort: 1055, dstIp: RS, dstPort: 8080, isn: CLIENT_ISN, tcpOpts: 536 },
    expected: frame(toRs, LIP, RS, { srcPort: 1055, dstPort: 8080, seq: CLIENT_ISN, ack: 0, flags: TCP_FLAGS.SYN, window: 502, options: Buffer.from([2, 4, 0x02, 0x18]) }, 64, true),
  },
  {
    name: "the real server's SYN-ACK becomes the handshake ACK back to it, with the client's window",
    input: () => ({ frame: frame(fromRs, RS, LIP, { srcPort: 8080, dstPort: 1055, seq: SERVER_ISN, ack: CLIENT_ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, options: mssSack(1460) }) }),
    verdict: { action: 'SYNPROXY_ACK', window: 502 },
    expected: frame({ src: DIR_MAC, dst: RS_MAC }, LIP, RS, { srcPort: 1055, dstPort: 8080, seq: CLIENT_ISN + 1, ack: SERVER_ISN + 1, flags: TCP_FLAGS.ACK, window: 502 }, 64, true),
  },
  {
    name: 'NAT in, translating: ack and both SACK edges lose the delta, seq untouched',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: CLIENT_ISN + 1, ack: COOKIE + 1 + 4000, flags: TCP_FLAGS.ACK, options: sack(COOKIE + 5449, COOKIE + 6897), payload: PAYLOAD }) }),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'IN', mac: RS_MAC, dstIp: RS, dstPort: 8080, seqDelta: DELTA },
    expected: frame(toRs, CLIENT, RS, { srcPort: 40000, dstPort: 8080, seq: CLIENT_ISN + 1, ack: SERVER_ISN + 1 + 4000, flags: TCP_FLAGS.ACK, options: sack(SERVER_ISN + 5449, SERVER_ISN + 6897), payload: PAYLOAD }, 63),
  },
  {
    name: 'NAT in, translating: SACK edges at odd offsets (one NOP before the block) keep the checksum right',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: 3, ack: COOKIE + 1, flags: TCP_FLAGS.ACK, options: oddSack(COOKIE + 0x1234_5679, COOKIE + 0x0fed_cba9) }) }),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'IN', mac: RS_MAC, dstIp: RS, dstPort: 8080, seqDelta: DELTA },
    expected: frame(toRs, CLIENT, RS, { srcPort: 40000, dstPort: 8080, seq: 3, ack: SERVER_ISN + 1, flags: TCP_FLAGS.ACK, options: oddSack(SERVER_ISN + 0x1234_5679, SERVER_ISN + 0x0fed_cba9) }, 63),
  },
  {
    name: 'NAT out, translating: seq gains the delta, ack untouched',
    input: () => ({ frame: frame(fromRs, RS, CLIENT, { srcPort: 8080, dstPort: 40000, seq: SERVER_ISN + 1, ack: CLIENT_ISN + 1 + PAYLOAD.length, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: PAYLOAD }) }),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, seqDelta: DELTA },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, seq: COOKIE + 1, ack: CLIENT_ISN + 1 + PAYLOAD.length, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: PAYLOAD }, 63),
  },
  {
    name: 'FULLNAT in, translating (a FIN without ACK keeps its ack field)',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: 77, ack: 12345, flags: TCP_FLAGS.FIN }) }),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'IN', mac: RS_MAC, srcIp: LIP, srcPort: 1055, dstIp: RS, dstPort: 8080, seqDelta: DELTA },
    expected: frame(toRs, LIP, RS, { srcPort: 1055, dstPort: 8080, seq: 77, ack: 12345, flags: TCP_FLAGS.FIN }, 63),
  },
  {
    name: 'FULLNAT out, translating: seq wraps around 2^32',
    input: () => ({ frame: frame(fromRs, RS, LIP, { srcPort: 8080, dstPort: 1055, seq: 0x0200_0000, ack: 99, flags: TCP_FLAGS.ACK, payload: PAYLOAD }) }),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, dstIp: CLIENT, dstPort: 40000, seqDelta: DELTA },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, seq: (0x0200_0000 + DELTA) >>> 0, ack: 99, flags: TCP_FLAGS.ACK, payload: PAYLOAD }, 63),
  },
  {
    name: 'SYN-ACK with window scaling: MSS, SACK-permitted, NOP and window scale 7',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: CLIENT_ISN, flags: TCP_FLAGS.SYN, options: LINUX_SYN_OPTIONS }) }),
    verdict: { action: 'SYNPROXY_SYNACK', isn: COOKIE, tcpOpts: 1460 | TcpOpt.SACK_PERM | TcpOpt.WSCALE | (7 << TcpOpt.WSCALE_SHIFT), window: 64240 },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, seq: COOKIE, ack: CLIENT_ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, window: 64240,
      options: Buffer.concat([mssSack(1460), Buffer.from([1, 3, 3, 7])]) }, 64, true),
  },
  {
    name: "SYN to the real server with the client's window scale, without SACK",
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: CLIENT_ISN + 1, ack: COOKIE + 1, flags: TCP_FLAGS.ACK, window: 502 }, 63) }),
    verdict: { action: 'SYNPROXY_SYN', method: 'NAT', direction: 'IN', mac: RS_MAC, srcIp: CLIENT, srcPort: 40000, dstIp: RS, dstPort: 8080, isn: CLIENT_ISN,
      tcpOpts: 1460 | TcpOpt.WSCALE | (9 << TcpOpt.WSCALE_SHIFT) },
    expected: frame(toRs, CLIENT, RS, { srcPort: 40000, dstPort: 8080, seq: CLIENT_ISN, ack: 0, flags: TCP_FLAGS.SYN, window: 502, options: Buffer.from([2, 4, 0x05, 0xb4, 1, 3, 3, 9]) }, 64, true),
  },
  {
    name: "NAT out, translating, the real server's scale 9 told in the client's 7: window x 4",
    input: () => ({ frame: frame(fromRs, RS, CLIENT, { srcPort: 8080, dstPort: 40000, seq: SERVER_ISN + 1, ack: 5, flags: TCP_FLAGS.ACK, window: 1000, payload: PAYLOAD }) }),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, seqDelta: DELTA, window: 9 | (7 << 8) },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, seq: COOKIE + 1, ack: 5, flags: TCP_FLAGS.ACK, window: 4000, payload: PAYLOAD }, 63),
  },
  {
    name: 'FULLNAT in, translating, a scaling client to a non-scaling real server: window << 7, capped at 65535',
    input: () => ({ frame: frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: 9, ack: COOKIE + 1, flags: TCP_FLAGS.ACK, window: 600 }) }),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'IN', mac: RS_MAC, srcIp: LIP, srcPort: 1055, dstIp: RS, dstPort: 8080, seqDelta: DELTA, window: 7 },
    expected: frame(toRs, LIP, RS, { srcPort: 1055, dstPort: 8080, seq: 9, ack: SERVER_ISN + 1, flags: TCP_FLAGS.ACK, window: 65535 }, 63),
  },
  {
    name: 'a SYN-ACK the real server sends again keeps its (never scaled) window',
    input: () => ({ frame: frame(fromRs, RS, CLIENT, { srcPort: 8080, dstPort: 40000, seq: SERVER_ISN, ack: 5, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, window: 1000 }) }),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, seqDelta: DELTA, window: 9 | (7 << 8) },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, seq: COOKIE, ack: 5, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, window: 1000 }, 63),
  },
  {
    name: 'NAT in, CHECKSUM_PARTIAL: translated, and the checksum completed over the translated segment',
    input: () => makePartial(frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, seq: 1, ack: COOKIE + 1, flags: TCP_FLAGS.ACK, payload: PAYLOAD })),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'IN', mac: RS_MAC, dstIp: RS, dstPort: 8080, seqDelta: DELTA },
    expected: frame(toRs, CLIENT, RS, { srcPort: 40000, dstPort: 8080, seq: 1, ack: SERVER_ISN + 1, flags: TCP_FLAGS.ACK, payload: PAYLOAD }, 63),
  },
  {
    name: 'FULLNAT out, CHECKSUM_PARTIAL: translated, and the checksum completed',
    input: () => makePartial(frame(fromRs, RS, LIP, { srcPort: 8080, dstPort: 1055, seq: SERVER_ISN + 1, ack: 2, flags: TCP_FLAGS.ACK, payload: PAYLOAD })),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, dstIp: CLIENT, dstPort: 40000, seqDelta: DELTA },
    expected: frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, seq: COOKIE + 1, ack: 2, flags: TCP_FLAGS.ACK, payload: PAYLOAD }, 63),
  },
];

describe('SYN proxy golden packets through the addon (pure core)', () => {
  itRewritesEachRow(ROWS);

  it('refuses the segments on frames they do not fit (a SYN-ACK for an ACK, a SYN for a SYN)', () => {
    const ack = frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.ACK });
    const syn = frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.SYN });
    const rewrite = loadAddon().rewrite;
    assert.equal(rewrite(ack, verdict({ action: 'SYNPROXY_SYNACK', isn: 1 }), egress).length, 0);
    assert.equal(rewrite(syn, verdict({ action: 'SYNPROXY_SYN', mac: RS_MAC, srcIp: CLIENT, srcPort: 40000, dstIp: RS, dstPort: 8080 }), egress).length, 0);
    assert.equal(rewrite(ack, verdict({ action: 'SYNPROXY_SYN', mac: RS_MAC, dstIp: RS, dstPort: 8080 }), egress).length, 0, 'no source: bad verdict');
    assert.equal(rewrite(ack, verdict({ action: 'SYNPROXY_ACK' }), egress).length, 0);
  });
});
