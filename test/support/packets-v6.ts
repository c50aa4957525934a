// IPv6 test packets (header, UDP with the IPv6 pseudo-header checksum, tunnel frames), computed
// from scratch like the IPv4 builders in packets.ts.
import { isIPv6 } from 'node:net';
import { ethernet, type EthOptions } from './packets.js';
import { internetChecksum, onesSum } from './packet-checksum.js';

export const ETH_IPV6 = 0x86dd;
export const NEXT = { IPIP: 4, UDP: 17, IPV6: 41, DSTOPTS: 60 } as const;

/** The 16 bytes of an IPv6 address in any textual form (:: compression included). */
export function ipv6Bytes(ip: string): Buffer {
  if (!isIPv6(ip)) throw new Error(`not an IPv6 address: ${ip}`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const words = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(parseInt(w, 16), 2 * i));
  return b;
}

export interface Ipv6Options {
  src: string; dst: string; hopLimit?: number; flowLabel?: number;
  /** Overrides for crafting malformed headers. */
  payloadLength?: number;
}

export function ipv6(ip: Ipv6Options, next: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(((6 << 28) | ((ip.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE(ip.payloadLength ?? payload.length, 4);
  h[6] = next;
  h[7] = ip.hopLimit ?? 64;
  ipv6Bytes(ip.src).copy(h, 8);
  ipv6Bytes(ip.dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

/** Folded sum of the IPv6 pseudo-header (RFC 8200 8.1: src, dst, 32-bit length, next header). */
export function pseudoHeaderSum6(src: string, dst: string, next: number, l4len: number): number {
  const p = Buffer.alloc(40);
  ipv6Bytes(src).copy(p, 0);
  ipv6Bytes(dst).copy(p, 16);
  p.writeUInt32BE(l4len, 32);
  p[39] = next;
  return onesSum(p);
}

/** A UDP datagram over IPv6 (the checksum is mandatory there). */
export function udp6(src: string, dst: string, u: { srcPort: number; dstPort: number; payload?: Uint8Array }): Buffer {
  const d = Buffer.concat([Buffer.alloc(8), u.payload ?? Buffer.alloc(0)]);
  d.writeUInt16BE(u.srcPort, 0);
  d.writeUInt16BE(u.dstPort, 2);
  d.writeUInt16BE(d.length, 4);
  const c = internetChecksum(d, 0, d.length, pseudoHeaderSum6(src, dst, NEXT.UDP, d.length));
  d.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  return d;
}

/**
 * A destination options header carrying the tunnel encapsulation limit option (RFC 2473 4.1.1),
 * as Linux's ip6_tunnel adds it: type 4, length 1, the limit, then PadN to 8 bytes.
 */
export function encapLimitHeader(next: number, limit = 4): Buffer {
  return Buffer.from([next, 0, 4, 1, limit, 1, 1, 0]);
}

/** An Ethernet frame around an IPv6 packet. */
export function ipv6Frame(eth: EthOptions, packet: Uint8Array): Buffer {
  return ethernet(eth, ETH_IPV6, packet);
}
