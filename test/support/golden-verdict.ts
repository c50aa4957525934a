// The golden-packet tests' shared lab addresses, verdict builder (a verdict record from a
// readable spec, with the words each action reads) and row runner (test/unit/packet-golden.test.ts,
// test/unit/syn-proxy-golden.test.ts, test/unit/fnat-seq-golden.test.ts).
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/native/binding.js';
import { Action, Direction, Method, SeqMode, Verdict as V } from '../../src/native/layout.generated.js';
import { ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import { ipToU32, macHiLo } from './packets.js';

export const DIR_MAC = '02:00:00:00:0d:01';
export const DIR_IP = '198.19.0.2';
export const ROUTER_MAC = '02:00:00:00:00:fe';
export const RS_MAC = '02:00:00:00:01:11';
export const CLIENT = '198.18.1.10';
export const VIP = '198.19.0.100';
export const RS = '198.19.0.11';
export const LIP = '198.19.1.1';
export const LIP2 = '198.19.1.2';
export const PAYLOAD = Buffer.from('GET / HTTP/1.0\r\n\r\n');

/** Ethernet addresses of the frames in and out of the director, by the neighbour on the other end. */
export const fromRouter = { src: ROUTER_MAC, dst: DIR_MAC };
export const toRouter = { src: DIR_MAC, dst: ROUTER_MAC };
export const fromRs = { src: RS_MAC, dst: DIR_MAC };
export const toRs = { src: DIR_MAC, dst: RS_MAC };
/** The director's port as the rewrite sees it. */
export const egress = { mac: DIR_MAC, mtu: 1500 };

export type VerdictSpec = {
  action: keyof typeof Action; method?: keyof typeof Method; direction?: keyof typeof Direction; mac?: string;
  srcIp?: string; srcPort?: number; dstIp?: string; dstPort?: number; tunSrc?: string; tunDst?: string; mtu?: number;
  /** IPv6 frames: the new source and destination (SRC_IP6, DST_IP6 words). */
  srcIp6?: string; dstIp6?: string;
  /** SYN proxy: SEQ_MODE TRANSLATE with this delta. */
  seqDelta?: number;
  /** FULLNAT: SEQ_MODE TRANSLATE with this client-side delta (CLIENT_DELTA). */
  clientDelta?: number;
  /** SYN proxy segments: ISN, TCP_OPTS, WINDOW words. */
  isn?: number; tcpOpts?: number; window?: number;
};

export function verdict(s: VerdictSpec): Uint32Array {
  const v = new Uint32Array(V.WORDS);
  v[V.ACTION] = Action[s.action];
  if (s.method) v[V.METHOD] = Method[s.method];
  if (s.direction) v[V.DIRECTION] = Direction[s.direction];
  if (s.mac) {
    const { hi, lo } = macHiLo(s.mac);
    v[V.DST_MAC_HI] = hi;
    v[V.DST_MAC_LO] = lo;
  }
  if (s.srcIp) v[V.SRC_IP] = ipToU32(s.srcIp);
  if (s.srcPort) v[V.SRC_PORT] = s.srcPort;
  if (s.dstIp) v[V.DST_IP] = ipToU32(s.dstIp);
  if (s.dstPort) v[V.DST_PORT] = s.dstPort;
  if (s.srcIp6) v.set(ipv6Words(parseIpv6(s.srcIp6)), V.SRC_IP6_0);
  if (s.dstIp6) v.set(ipv6Words(parseIpv6(s.dstIp6)), V.DST_IP6_0);
  if (s.tunSrc) v[V.TUN_SRC] = ipToU32(s.tunSrc);
  if (s.tunDst) v[V.TUN_DST] = ipToU32(s.tunDst);
  if (s.mtu) v[V.MTU] = s.mtu;
  if (s.seqDelta !== undefined) {
    v[V.SEQ_MODE] = SeqMode.TRANSLATE;
    v[V.SEQ_DELTA] = s.seqDelta >>> 0;
  }
  if (s.clientDelta !== undefined) {
    v[V.SEQ_MODE] = SeqMode.TRANSLATE;
    v[V.CLIENT_DELTA] = s.clientDelta >>> 0;
  }
  v[V.ISN] = (s.isn ?? 0) >>> 0;
  v[V.TCP_OPTS] = s.tcpOpts ?? 0;
  v[V.WINDOW] = s.window ?? 0;
  return v;
}

/** One golden packet: a frame in, the verdict applied to it, the one frame expected out. */
export interface GoldenRow { name: string; input: () => { frame: Buffer; vnet?: Buffer }; verdict: VerdictSpec; expected: Buffer }

/** A test per row: the addon's pure core rewrites the input into exactly the expected frame. */
export function itRewritesEachRow(rows: readonly GoldenRow[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const { frame: input, vnet } = row.input();
      const out = loadAddon().rewrite(input, verdict(row.verdict), egress, vnet);
      assert.equal(out.error, 0, `rewrite error ${out.error}`);
      assert.equal(out.length, 1, 'one frame out');
      assert.equal(Buffer.from(out[0]!.frame).toString('hex'), row.expected.toString('hex'));
    });
  }
}
