// Builders of IPv6 test frames (fixed header, extension headers, TCP, UDP, ICMPv6) with every
// checksum computed from scratch over the IPv6 pseudo-header, for golden tests of the addon.
import { parseIpv6 } from '../../src/net/addr6.js';
import { internetChecksum, onesSum, fold } from './packet-checksum.js';
import { ethernet, tcpSegment, type EthOptions, type TcpOptions, type UdpOptions } from './packets.js';

export const ETH_IPV6 = 0x86dd;
export const NEXT = { HOP_BY_HOP: 0, TCP: 6, UDP: 17, ROUTING: 43, FRAGMENT: 44, ESP: 50, AH: 51, ICMPV6: 58, NONE: 59, DEST_OPTS: 60 } as const;

export interface Ipv6Options {
  src: string; dst: string; hop?: number;
  /** Flow label (default 0x12345); frames the director makes afresh carry 0. */
  flow?: number;
  /** Override for malformed packets. */
  payloadLength?: number;
}

/** One extension header: its type and bytes (byte 0, the next header, is filled by ipv6()). */
export interface ExtHeader { type: number; bytes: Buffer }

/** Hop-by-hop (0) or destination options (60) of size bytes (a multiple of 8), PadN-filled. */
export function optionsHeader(type: number, size = 8): ExtHeader {
  const b = Buffer.alloc(size);
  b[1] = size / 8 - 1;
  b[2] = 1;
  b[3] = size - 4;
  return { type, bytes: b };
}

export function routingHeader(size = 8): ExtHeader {
  const b = Buffer.alloc(size);
  b[1] = size / 8 - 1;
  return { type: NEXT.ROUTING, bytes: b };
}

export function fragmentHeader(offset: number, more: boolean, id: number): ExtHeader {
  const b = Buffer.alloc(8);
  b.writeUInt16BE((offset & 0xfff8) | (more ? 1 : 0), 2);
  b.writeUInt32BE(id >>> 0, 4);
  return { type: NEXT.FRAGMENT, bytes: b };
}

/** Any header with a raw length byte: for crafting malformed chains. */
export function rawHeader(type: number, lengthByte: number, size: number): ExtHeader {
  const b = Buffer.alloc(size);
  if (size > 1) b[1] = lengthByte;
  return { type, bytes: b };
}

export function pseudo6(src: string, dst: string, proto: number, length: number): number {
  return fold(onesSum(parseIpv6(src)) + onesSum(parseIpv6(dst)) + proto + length);
}

export function ipv6(ip: Ipv6Options, chain: ExtHeader[], proto: number, upper: Uint8Array): Buffer {
  const exts = chain.map((e, i) => {
    const b = Buffer.from(e.bytes);
    if (b.length > 0) b[0] = i + 1 < chain.length ? chain[i + 1]!.type : proto;
    return b;
  });
  const payload = Buffer.concat([...exts, upper]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((0x60000000 | ((ip.flow ?? 0x12345) & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE(ip.payloadLength ?? payload.length, 4);
  h[6] = chain.length > 0 ? chain[0]!.type : proto;
  h[7] = ip.hop ?? 64;
  Buffer.from(parseIpv6(ip.src)).copy(h, 8);
  Buffer.from(parseIpv6(ip.dst)).copy(h, 24);
  return Buffer.concat([h, payload]);
}

export function tcp6(src: string, dst: string, t: TcpOptions): Buffer {
  const seg = tcpSegment(t);
  seg.writeUInt16BE(internetChecksum(seg, 0, seg.length, pseudo6(src, dst, NEXT.TCP, seg.length)), 16);
  return seg;
}

export function udp6(src: string, dst: string, u: UdpOptions): Buffer {
  const d = Buffer.concat([Buffer.alloc(8), u.payload ?? Buffer.alloc(0)]);
  d.writeUInt16BE(u.srcPort, 0);
  d.writeUInt16BE(u.dstPort, 2);
  d.writeUInt16BE(d.length, 4);
  if (u.checksum !== false) {
    const c = internetChecksum(d, 0, d.length, pseudo6(src, dst, NEXT.UDP, d.length));
    d.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  }
  return d;
}

export function icmp6(src: string, dst: string, type: number, code: number, rest: number, body: Uint8Array): Buffer {
  const m = Buffer.concat([Buffer.alloc(8), body]);
  m[0] = type;
  m[1] = code;
  m.writeUInt32BE(rest >>> 0, 4);
  m.writeUInt16BE(internetChecksum(m, 0, m.length, pseudo6(src, dst, NEXT.ICMPV6, m.length)), 2);
  return m;
}

export function tcp6Frame(o: { eth?: EthOptions; ip: Ipv6Options; tcp: TcpOptions; chain?: ExtHeader[] }): Buffer {
  return ethernet(o.eth ?? {}, ETH_IPV6, ipv6(o.ip, o.chain ?? [], NEXT.TCP, tcp6(o.ip.src, o.ip.dst, o.tcp)));
}

export function udp6Frame(o: { eth?: EthOptions; ip: Ipv6Options; udp: UdpOptions; chain?: ExtHeader[] }): Buffer {
  return ethernet(o.eth ?? {}, ETH_IPV6, ipv6(o.ip, o.chain ?? [], NEXT.UDP, udp6(o.ip.src, o.ip.dst, o.udp)));
}

export function icmp6Frame(o: { eth?: EthOptions; ip: Ipv6Options; type: number; code?: number; rest?: number; body: Uint8Array }): Buffer {
  return ethernet(o.eth ?? {}, ETH_IPV6, ipv6(o.ip, [], NEXT.ICMPV6, icmp6(o.ip.src, o.ip.dst, o.type, o.code ?? 0, o.rest ?? 0, o.body)));
}

/** True when the upper-layer checksum at frame[l4..) verifies over the IPv6 pseudo-header of the packet at l3. */
export function l4Checksum6Ok(frame: Buffer, l3: number, l4: number, proto: number): boolean {
  const end = l3 + 40 + frame.readUInt16BE(l3 + 4);
  const src = frame.subarray(l3 + 8, l3 + 24);
  const dst = frame.subarray(l3 + 24, l3 + 40);
  const seed = fold(onesSum(src) + onesSum(dst) + proto + (end - l4));
  return onesSum(frame, l4, end, seed) === 0xffff;
}
