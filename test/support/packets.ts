// Builders of test frames (Ethernet, 802.1Q, ARP, IPv4, TCP, UDP, ICMP, IPIP, fragments, GSO
// super-frames) with every checksum computed from scratch; decoding and checksum checks are
// re-exported so a test imports one module.
import { decodeFrame } from './packet-decode.js';
import {
  internetChecksum, makePartial, pseudoHeaderSum, VNET_GSO_TCPV4, vnetHeader, parseVnet,
} from './packet-checksum.js';

export * from './packet-decode.js';
export * from './packet-checksum.js';

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;
export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;
export const PROTO = { ICMP: 1, IPIP: 4, TCP: 6, UDP: 17 } as const;

/** Locally administered MACs used when a test names none. */
export const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
export const DEFAULT_DST_MAC = '02:00:00:00:00:02';

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC "${mac}"`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** A MAC as records.h splits it: hi = first two bytes, lo = last four. */
export function macHiLo(mac: string): { hi: number; lo: number } {
  const b = macBytes(mac);
  return { hi: b.readUInt16BE(0), lo: b.readUInt32BE(2) };
}

export function ipBytes(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`bad IPv4 "${ip}"`);
  return Buffer.from(parts.map(Number));
}

export function ipToU32(ip: string): number {
  return ipBytes(ip).readUInt32BE(0);
}

export function u32ToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Deterministic filler bytes, so payload corruption is visible in comparisons. */
export function pattern(length: number, seed = 0): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

export interface EthOptions { dst?: string; src?: string; vlan?: number; pcp?: number }

export function ethernet(eth: EthOptions, etherType: number, payload: Uint8Array): Buffer {
  const tagged = eth.vlan !== undefined;
  const h = Buffer.alloc(tagged ? 18 : 14);
  macBytes(eth.dst ?? DEFAULT_DST_MAC).copy(h, 0);
  macBytes(eth.src ?? DEFAULT_SRC_MAC).copy(h, 6);
  if (tagged) {
    h.writeUInt16BE(ETH_VLAN, 12);
    h.writeUInt16BE(((eth.pcp ?? 0) << 13) | (eth.vlan! & 0x0fff), 14);
  }
  h.writeUInt16BE(etherType, tagged ? 16 : 12);
  return Buffer.concat([h, payload]);
}

export interface Ipv4Options {
  src: string; dst: string; ttl?: number; tos?: number; id?: number;
  df?: boolean; mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** Raw option bytes (padded by the caller to a multiple of 4). */
  options?: Uint8Array;
  /** Overrides for crafting malformed headers. */
  totalLength?: number; checksum?: number; ihl?: number; version?: number;
}

export function ipv4(ip: Ipv4Options, proto: number, payload: Uint8Array): Buffer {
  const opts = ip.options ?? Buffer.alloc(0);
  if (opts.length % 4 !== 0) throw new Error('IPv4 options must be padded to 4 bytes');
  const hl = 20 + opts.length;
  const h = Buffer.alloc(hl);
  h[0] = ((ip.version ?? 4) << 4) | (ip.ihl ?? hl / 4);
  h[1] = ip.tos ?? 0;
  h.writeUInt16BE(ip.totalLength ?? hl + payload.length, 2);
  h.writeUInt16BE(ip.id ?? 0x1234, 4);
  const off = ip.fragOffset ?? 0;
  if (off % 8 !== 0) throw new Error('fragment offset must be a multiple of 8');
  h.writeUInt16BE((ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | (off / 8), 6);
  h[8] = ip.ttl ?? 64;
  h[9] = proto;
  ipBytes(ip.src).copy(h, 12);
  ipBytes(ip.dst).copy(h, 16);
  Buffer.from(opts).copy(h, 20);
  h.writeUInt16BE(ip.checksum ?? internetChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

export interface TcpOptions {
  srcPort: number; dstPort: number; seq?: number; ack?: number; flags?: number;
  window?: number; urgent?: number; options?: Uint8Array; payload?: Uint8Array;
}

/** A TCP segment with its checksum over the pseudo-header of src -> dst. */
export function tcp(src: string, dst: string, t: TcpOptions): Buffer {
  const seg = tcpSegment(t);
  const seed = pseudoHeaderSum(ipBytes(src), ipBytes(dst), PROTO.TCP, seg.length);
  seg.writeUInt16BE(internetChecksum(seg, 0, seg.length, seed), 16);
  return seg;
}

/** A TCP segment with its checksum field zero, for the caller to sum over its pseudo-header. */
export function tcpSegment(t: TcpOptions): Buffer {
  const opts = t.options ?? Buffer.alloc(0);
  if (opts.length % 4 !== 0) throw new Error('TCP options must be padded to 4 bytes');
  const h = Buffer.alloc(20 + opts.length);
  h.writeUInt16BE(t.srcPort, 0);
  h.writeUInt16BE(t.dstPort, 2);
  h.writeUInt32BE((t.seq ?? 1000) >>> 0, 4);
  h.writeUInt32BE((t.ack ?? 0) >>> 0, 8);
  h[12] = (h.length / 4) << 4;
  h[13] = t.flags ?? TCP_FLAGS.ACK;
  h.writeUInt16BE(t.window ?? 65535, 14);
  h.writeUInt16BE(t.urgent ?? 0, 18);
  Buffer.from(opts).copy(h, 20);
  return Buffer.concat([h, t.payload ?? Buffer.alloc(0)]);
}

export interface UdpOptions { srcPort: number; dstPort: number; payload?: Uint8Array; checksum?: boolean }

/** A UDP datagram; checksum false leaves the field zero ("not computed"). */
export function udp(src: string, dst: string, u: UdpOptions): Buffer {
  const d = Buffer.concat([Buffer.alloc(8), u.payload ?? Buffer.alloc(0)]);
  d.writeUInt16BE(u.srcPort, 0);
  d.writeUInt16BE(u.dstPort, 2);
  d.writeUInt16BE(d.length, 4);
  if (u.checksum !== false) {
    const c = internetChecksum(d, 0, d.length, pseudoHeaderSum(ipBytes(src), ipBytes(dst), PROTO.UDP, d.length));
    d.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  }
  return d;
}

export interface EchoOptions { type?: 0 | 8; id: number; seq: number; payload?: Uint8Array }

export function icmpEcho(e: EchoOptions): Buffer {
  const m = Buffer.concat([Buffer.alloc(8), e.payload ?? Buffer.alloc(0)]);
  m[0] = e.type ?? 8;
  m.writeUInt16BE(e.id, 4);
  m.writeUInt16BE(e.seq, 6);
  m.writeUInt16BE(internetChecksum(m), 2);
  return m;
}

export interface IcmpErrorOptions {
  type: number; code: number;
  /** Frag-needed: next-hop MTU (low 16 bits of the rest-of-header word). */
  mtu?: number; rest?: number;
  /** The offending IP packet (an IP packet, not a frame; see ipPacketOf). */
  quote: Uint8Array;
  /** Bytes of it to quote; default its IP header + 8 (RFC 792). */
  quoteBytes?: number;
}

export function icmpError(e: IcmpErrorOptions): Buffer {
  const n = e.quoteBytes ?? (e.quote[0]! & 0x0f) * 4 + 8;
  const m = Buffer.concat([Buffer.alloc(8), Buffer.from(e.quote.subarray(0, n))]);
  m[0] = e.type;
  m[1] = e.code;
  m.writeUInt32BE((e.rest ?? (e.mtu ?? 0) & 0xffff) >>> 0, 4);
  m.writeUInt16BE(internetChecksum(m), 2);
  return m;
}

export interface FrameBase { eth?: EthOptions; ip: Ipv4Options }

export function ipFrame(o: FrameBase & { proto: number; payload: Uint8Array }): Buffer {
  return ethernet(o.eth ?? {}, ETH_IPV4, ipv4(o.ip, o.proto, o.payload));
}

export function tcpFrame(o: FrameBase & { tcp: TcpOptions }): Buffer {
  return ipFrame({ ...o, proto: PROTO.TCP, payload: tcp(o.ip.src, o.ip.dst, o.tcp) });
}

export function udpFrame(o: FrameBase & { udp: UdpOptions }): Buffer {
  return ipFrame({ ...o, proto: PROTO.UDP, payload: udp(o.ip.src, o.ip.dst, o.udp) });
}

export function icmpEchoFrame(o: FrameBase & { echo: EchoOptions }): Buffer {
  return ipFrame({ ...o, proto: PROTO.ICMP, payload: icmpEcho(o.echo) });
}

export function icmpErrorFrame(o: FrameBase & { error: IcmpErrorOptions }): Buffer {
  return ipFrame({ ...o, proto: PROTO.ICMP, payload: icmpError(o.error) });
}

/** IPIP: outer IPv4 (proto 4) around an inner IP packet. */
export function ipipFrame(o: { eth?: EthOptions; outer: Ipv4Options; inner: Uint8Array }): Buffer {
  return ipFrame({ eth: o.eth ?? {}, ip: o.outer, proto: PROTO.IPIP, payload: o.inner });
}

/** The IP packet inside an Ethernet frame (VLAN tag skipped, trailing padding cut). */
export function ipPacketOf(frame: Uint8Array): Buffer {
  const d = decodeFrame(frame);
  if (!d.ip) throw new Error('ipPacketOf: not an IPv4 frame');
  return Buffer.from(frame.subarray(d.l3Offset, d.l3Offset + d.ip.totalLength));
}

export interface ArpOptions {
  eth?: EthOptions; op: 1 | 2; senderMac: string; senderIp: string; targetMac?: string; targetIp: string;
}

export function arpFrame(a: ArpOptions): Buffer {
  const p = Buffer.alloc(28);
  p.writeUInt16BE(1, 0);
  p.writeUInt16BE(ETH_IPV4, 2);
  p[4] = 6;
  p[5] = 4;
  p.writeUInt16BE(a.op, 6);
  macBytes(a.senderMac).copy(p, 8);
  ipBytes(a.senderIp).copy(p, 14);
  macBytes(a.targetMac ?? '00:00:00:00:00:00').copy(p, 18);
  ipBytes(a.targetIp).copy(p, 24);
  const dst = a.eth?.dst ?? (a.op === 1 ? 'ff:ff:ff:ff:ff:ff' : a.targetMac ?? DEFAULT_DST_MAC);
  return ethernet({ ...a.eth, dst, src: a.eth?.src ?? a.senderMac }, ETH_ARP, p);
}

/** "Who has targetIp? Tell senderIp", broadcast. */
export function arpRequest(a: Omit<ArpOptions, 'op' | 'targetMac'>): Buffer {
  return arpFrame({ ...a, op: 1 });
}

export function arpReply(a: Omit<ArpOptions, 'op'> & { targetMac: string }): Buffer {
  return arpFrame({ ...a, op: 2 });
}

/** Splits an IPv4 frame's payload into fragments of at most chunk bytes (a multiple of 8). */
export function fragmentFrames(o: FrameBase & { proto: number; payload: Uint8Array }, chunk: number): Buffer[] {
  if (chunk % 8 !== 0 || chunk <= 0) throw new Error('fragment size must be a positive multiple of 8');
  const out: Buffer[] = [];
  for (let off = 0; off < o.payload.length; off += chunk) {
    const last = off + chunk >= o.payload.length;
    out.push(ipFrame({ ...o, ip: { ...o.ip, fragOffset: off, mf: !last }, payload: o.payload.subarray(off, off + chunk) }));
  }
  return out;
}

/**
 * A TCPv4 GSO super-frame as a local sender's stack hands it over: one large frame whose TCP
 * checksum is partial (seed over the whole length) and a vnet header with gso_type TCPV4 and
 * gso_size = mss, to be cut into segments of mss payload bytes.
 */
export function gsoTcpFrame(o: FrameBase & { tcp: TcpOptions }, mss: number): { frame: Buffer; vnet: Buffer } {
  const { frame, vnet } = makePartial(tcpFrame(o));
  const v = parseVnet(vnet);
  const ip = decodeFrame(frame).ip!;
  const hdrLen = ip.offset + ip.ihl * 4 + ip.tcp!.headerLength;
  return { frame, vnet: vnetHeader({ ...v, gsoType: VNET_GSO_TCPV4, gsoSize: mss, hdrLen }) };
}
