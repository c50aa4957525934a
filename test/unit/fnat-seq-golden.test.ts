// Golden packets of FULLNAT's client-side sequence translation through the addon's pure core
// (docs/datapath.md#fullnat-sequence-numbers): toward the real server the client's sequence
// number gains CLIENT_DELTA and a SYN's timestamp option becomes NOPs; back toward the client
// the acknowledgment and SACK edges lose it; with a SYN proxy's SEQ_DELTA as well, each side's
// numbers move by its own delta. Expected frames come from the test builders, which compute
// every checksum from scratch; the rewrite's RFC 1624 updates must land on the same bytes.
import { CLIENT, fromRouter, fromRs, itRewritesEachRow, LIP, ROUTER_MAC, RS, RS_MAC, toRouter, toRs, VIP, type GoldenRow, type VerdictSpec } from '../support/golden-verdict.js';
import { makePartial, tcpFrame, TCP_FLAGS, type TcpOptions } from '../support/packets.js';

const PAYLOAD = Buffer.from('GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n');

const CLIENT_ISN = 0xf000_0000;
/** The ISN the director numbers the client's side from, toward the real server. */
const FNAT_ISN = 0x1234_5678;
const CLIENT_DELTA = (FNAT_ISN - CLIENT_ISN) >>> 0;
const SERVER_ISN = 0x0000_1000;
const COOKIE = 0xfedc_ba98;
const SERVER_DELTA = (COOKIE - SERVER_ISN) >>> 0;

/** MSS, SACK permitted, timestamps (TSval 0x11223344, TSecr 0), NOP, window scale 7: a Linux client's SYN. */
const tsOption = Buffer.from([8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0]);
const LINUX_SYN = Buffer.concat([Buffer.from([2, 4, 0x05, 0xb4, 4, 2]), tsOption, Buffer.from([1, 3, 3, 7])]);
const LINUX_SYN_NO_TS = Buffer.concat([Buffer.from([2, 4, 0x05, 0xb4, 4, 2]), Buffer.alloc(10, 1), Buffer.from([1, 3, 3, 7])]);
/** A single NOP before the timestamps: they start at odd offset 21 of the header. */
const ODD_TS = Buffer.concat([Buffer.from([1]), tsOption, Buffer.from([1])]);
const ODD_TS_GONE = Buffer.alloc(12, 1);
/** NOP, one SACK block, end of options: the edges at odd offsets 23 and 27. */
const oddSack = (left: number, right: number) => {
  const b = Buffer.from([1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  b.writeUInt32BE(left >>> 0, 3);
  b.writeUInt32BE(right >>> 0, 7);
  return b;
};

const frame = (eth: { src: string; dst: string }, src: string, dst: string, t: TcpOptions, ttl = 64) =>
  tcpFrame({ eth, ip: { src, dst, ttl, df: true, id: 0 }, tcp: t });

const fnatIn: VerdictSpec = { action: 'FORWARD', method: 'FNAT', direction: 'IN', mac: RS_MAC, srcIp: LIP, srcPort: 20001, dstIp: RS, dstPort: 80, clientDelta: CLIENT_DELTA };
const fnatOut: VerdictSpec = { action: 'FORWARD', method: 'FNAT', direction: 'OUT', mac: ROUTER_MAC, srcIp: VIP, srcPort: 80, dstIp: CLIENT, dstPort: 40000, clientDelta: CLIENT_DELTA };
const clientSeg = (t: Omit<TcpOptions, 'srcPort' | 'dstPort'>) => frame(fromRouter, CLIENT, VIP, { srcPort: 40000, dstPort: 80, ...t });
const towardRs = (t: Omit<TcpOptions, 'srcPort' | 'dstPort'>) => frame(toRs, LIP, RS, { srcPort: 20001, dstPort: 80, ...t }, 63);
const serverSeg = (t: Omit<TcpOptions, 'srcPort' | 'dstPort'>) => frame(fromRs, RS, LIP, { srcPort: 80, dstPort: 20001, ...t });
const towardClient = (t: Omit<TcpOptions, 'srcPort' | 'dstPort'>) => frame(toRouter, VIP, CLIENT, { srcPort: 80, dstPort: 40000, ...t }, 63);


const ROWS: GoldenRow[] = [
  {
    name: "in, the client's SYN: seq gains the delta, the timestamp option becomes ten NOPs, the rest stays",
    input: () => ({ frame: clientSeg({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN, window: 64240, options: LINUX_SYN }) }),
    verdict: fnatIn,
    expected: towardRs({ seq: FNAT_ISN, flags: TCP_FLAGS.SYN, window: 64240, options: LINUX_SYN_NO_TS }),
  },
  {
    name: 'in, a SYN with its timestamps at an odd offset: NOPs, checksum word by word',
    input: () => ({ frame: clientSeg({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN, options: ODD_TS }) }),
    verdict: fnatIn,
    expected: towardRs({ seq: FNAT_ISN, flags: TCP_FLAGS.SYN, options: ODD_TS_GONE }),
  },
  {
    name: 'in, data: seq gains the delta (wrapping past 2^32), ack untouched, timestamps of a non-SYN kept',
    input: () => ({ frame: clientSeg({ seq: CLIENT_ISN + 1, ack: SERVER_ISN + 1, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, options: ODD_TS, payload: PAYLOAD }) }),
    verdict: fnatIn,
    expected: towardRs({ seq: FNAT_ISN + 1, ack: SERVER_ISN + 1, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, options: ODD_TS, payload: PAYLOAD }),
  },
  {
    name: "out, the real server's SYN-ACK: seq untouched, ack loses the delta",
    input: () => ({ frame: serverSeg({ seq: SERVER_ISN, ack: FNAT_ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, options: Buffer.from([2, 4, 0x05, 0xb4]) }) }),
    verdict: fnatOut,
    expected: towardClient({ seq: SERVER_ISN, ack: CLIENT_ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, options: Buffer.from([2, 4, 0x05, 0xb4]) }),
  },
  {
    name: 'out, a SACK at odd offsets: both edges lose the delta',
    input: () => ({ frame: serverSeg({ seq: SERVER_ISN + 1, ack: FNAT_ISN + 1, flags: TCP_FLAGS.ACK, options: oddSack(FNAT_ISN + 1449, FNAT_ISN + 2897) }) }),
    verdict: fnatOut,
    expected: towardClient({ seq: SERVER_ISN + 1, ack: CLIENT_ISN + 1, flags: TCP_FLAGS.ACK, options: oddSack(CLIENT_ISN + 1449, CLIENT_ISN + 2897) }),
  },
  {
    name: 'in, CHECKSUM_PARTIAL SYN: translated, timestamps gone, and the checksum completed',
    input: () => makePartial(clientSeg({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN, options: LINUX_SYN })),
    verdict: fnatIn,
    expected: towardRs({ seq: FNAT_ISN, flags: TCP_FLAGS.SYN, options: LINUX_SYN_NO_TS }),
  },
  {
    name: 'both deltas (SYN proxy and FULLNAT), in: seq gains the client delta, ack loses the server delta',
    input: () => ({ frame: clientSeg({ seq: CLIENT_ISN + 1, ack: COOKIE + 1, flags: TCP_FLAGS.ACK, payload: PAYLOAD }) }),
    verdict: { ...fnatIn, seqDelta: SERVER_DELTA },
    expected: towardRs({ seq: FNAT_ISN + 1, ack: SERVER_ISN + 1, flags: TCP_FLAGS.ACK, payload: PAYLOAD }),
  },
  {
    name: 'both deltas, out: seq gains the server delta, ack loses the client delta',
    input: () => ({ frame: serverSeg({ seq: SERVER_ISN + 1, ack: FNAT_ISN + 1 + PAYLOAD.length, flags: TCP_FLAGS.ACK, payload: PAYLOAD }) }),
    verdict: { ...fnatOut, seqDelta: SERVER_DELTA },
    expected: towardClient({ seq: COOKIE + 1, ack: CLIENT_ISN + 1 + PAYLOAD.length, flags: TCP_FLAGS.ACK, payload: PAYLOAD }),
  },
];

describe('FULLNAT client-side sequence translation: golden packets through the addon (pure core)', () => {
  itRewritesEachRow(ROWS);
});
