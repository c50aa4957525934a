// VRRPv3 over IPv6 (RFC 5798) on the wire: the advert with its IPv6 addresses and its checksum
// over the IPv6 pseudo-header, the IPv6 packet around it (to ff02::12, hop limit 255, from the
// interface's link-local address) and the reader that turns a received packet back into values.
//
// IPv6 addresses are bigints here (the 128 bits, first byte most significant): they compare as
// RFC 5798 6.4.3 compares primary addresses, and serve as Set/Map keys without a text form.

import { internetChecksum } from '../net/checksum.js';
import { VRRP_PROTOCOL } from './vrrp-packet.js';

/** ff02::12, the VRRP group for IPv6 (RFC 5798 section 5.1.2, part 2). */
export const VRRP_GROUP6 = 0xff02_0000_0000_0000_0000_0000_0000_0012n;
/** Sent with, and (multicast) only accepted with, hop limit 255 (RFC 5798 section 5.1.2, part 3). */
export const VRRP_HOP_LIMIT = 255;
export const IPV6_HEADER_BYTES = 40;
const VRRP_VERSION = 3;
const VRRP_TYPE_ADVERT = 1;
const VRRP_HEADER_BYTES = 8;
const ADDRESS_BYTES = 16;
const MAX_INTERVAL_CS = 0xfff;
const ETH_HEADER_BYTES = 14;
const ETH_P_IPV6 = 0x86dd;
/** keepalived (and RFC 5798's note on DSCP) sends adverts as network control: class 0xc0. */
const TRAFFIC_CLASS_NETWORK_CONTROL = 0xc0;

export interface VrrpAdvert6 {
  version: 3;
  vrid: number;
  priority: number;
  /** IPv6 addresses in the order the master lists them. */
  addresses: bigint[];
  /** Max Adver Int, centiseconds (12 bits). */
  intervalCs: number;
}

/** A received advert with the IPv6 facts RFC 5798 7.1 checks. */
export interface VrrpPacket6 {
  src: bigint;
  dst: bigint;
  hopLimit: number;
  advert: VrrpAdvert6;
}

/** Why an IPv6 packet is not a readable VRRPv3 advert (each a counted drop). */
export type Vrrp6ReadError = 'ip-header' | 'not-vrrp' | 'truncated' | 'version' | 'type' | 'length' | 'checksum';
export type Vrrp6Read = { ok: true; packet: VrrpPacket6 } | { ok: false; reason: Vrrp6ReadError };

/** The 16 bytes of an address. */
export function ipv6Bytes(a: bigint): Uint8Array {
  const out = new Uint8Array(ADDRESS_BYTES);
  let v = BigInt.asUintN(128, a);
  for (let i = ADDRESS_BYTES - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** The address in bytes [at, at+16) of b. */
export function ipv6FromBytes(b: Uint8Array, at = 0): bigint {
  let v = 0n;
  for (let i = 0; i < ADDRESS_BYTES; i++) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

/** The address from four 32-bit words at `at` (the data path's records, ND's Ip6Words). */
export function ipv6FromWords(w: ArrayLike<number>, at = 0): bigint {
  const word = (i: number): bigint => BigInt(w[at + i]! >>> 0);
  return (word(0) << 96n) | (word(1) << 64n) | (word(2) << 32n) | word(3);
}

/** The four 32-bit words of an address (what nd-frames takes). */
export function ipv6ToWords(a: bigint): number[] {
  return [96n, 64n, 32n, 0n].map((shift) => Number((a >> shift) & 0xffff_ffffn));
}

/** fe80::/10 (RFC 4291 2.5.6). */
export function isLinkLocal6(a: bigint): boolean {
  return a >> 118n === 0x3fan;
}

export function isMulticast6(a: bigint): boolean {
  return a >> 120n === 0xffn;
}

/** The folded sum of the IPv6 pseudo-header (RFC 8200 8.1) for an upper-layer length. */
function pseudoHeaderSum6(src: bigint, dst: bigint, length: number): number {
  let sum = VRRP_PROTOCOL + (length >>> 16) + (length & 0xffff);
  for (const a of [src, dst]) for (let s = 0n; s < 128n; s += 16n) sum += Number((a >> s) & 0xffffn);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field for the VRRP part b from src to dst (the field itself taken as zero). */
export function vrrp6Checksum(b: Uint8Array, src: bigint, dst: bigint): number {
  const copy = Uint8Array.from(b);
  copy[6] = 0;
  copy[7] = 0;
  return internetChecksum(copy, 0, copy.length, pseudoHeaderSum6(src, dst, copy.length));
}

function checkFields(a: VrrpAdvert6): void {
  const byte = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 255;
  if (!byte(a.vrid) || a.vrid === 0) throw new Error(`VRID ${a.vrid} not in 1..255`);
  if (!byte(a.priority)) throw new Error(`priority ${a.priority} not in 0..255`);
  if (a.addresses.length > 255) throw new Error(`${a.addresses.length} addresses: at most 255 fit`);
  if (!Number.isInteger(a.intervalCs) || a.intervalCs < 1 || a.intervalCs > MAX_INTERVAL_CS) {
    throw new Error(`v3 interval ${a.intervalCs} not in 1..${MAX_INTERVAL_CS} cs`);
  }
}

/** The VRRP part of an advert from src to dst (both in the checksum's pseudo-header). */
export function encodeVrrp6(a: VrrpAdvert6, src: bigint, dst: bigint): Buffer {
  checkFields(a);
  const b = Buffer.alloc(VRRP_HEADER_BYTES + ADDRESS_BYTES * a.addresses.length);
  b[0] = (VRRP_VERSION << 4) | VRRP_TYPE_ADVERT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = a.addresses.length;
  b.writeUInt16BE(a.intervalCs, 4); // the 4 reserved bits stay zero
  a.addresses.forEach((addr, i) => b.set(ipv6Bytes(addr), VRRP_HEADER_BYTES + ADDRESS_BYTES * i));
  b.writeUInt16BE(internetChecksum(b, 0, b.length, pseudoHeaderSum6(src, dst, b.length)), 6);
  return b;
}

/**
 * Reads the VRRP part of an IPv6 packet, in keepalived's order: version, the length the address
 * count implies, checksum, type.
 */
export function decodeVrrp6(b: Uint8Array, src: bigint, dst: bigint): { ok: true; advert: VrrpAdvert6 } | { ok: false; reason: Vrrp6ReadError } {
  if (b.length < VRRP_HEADER_BYTES) return { ok: false, reason: 'truncated' };
  const first = b[0] ?? 0;
  if (first >> 4 !== VRRP_VERSION) return { ok: false, reason: 'version' };
  const count = b[3] ?? 0;
  if (b.length !== VRRP_HEADER_BYTES + ADDRESS_BYTES * count) return { ok: false, reason: 'length' };
  if (internetChecksum(b, 0, b.length, pseudoHeaderSum6(src, dst, b.length)) !== 0) return { ok: false, reason: 'checksum' };
  if ((first & 0x0f) !== VRRP_TYPE_ADVERT) return { ok: false, reason: 'type' };
  const addresses: bigint[] = [];
  for (let i = 0; i < count; i++) addresses.push(ipv6FromBytes(b, VRRP_HEADER_BYTES + ADDRESS_BYTES * i));
  const intervalCs = (((b[4] ?? 0) << 8) | (b[5] ?? 0)) & MAX_INTERVAL_CS;
  return { ok: true, advert: { version: 3, vrid: b[1] ?? 0, priority: b[2] ?? 0, addresses, intervalCs } };
}

export interface Vrrp6PacketSpec {
  advert: VrrpAdvert6;
  /** The interface's link-local address (RFC 5798 section 5.1.2, part 1), or unicast_src_ip. */
  src: bigint;
  /** VRRP_GROUP6 (default) or a unicast peer. */
  dst?: bigint;
  /** Default 255; tests build wrong ones. */
  hopLimit?: number;
}

/** The whole IPv6 packet of an advert, as it is on the wire (the raw socket writes the header itself). */
export function buildVrrpIpv6(spec: Vrrp6PacketSpec): Buffer {
  const dst = spec.dst ?? VRRP_GROUP6;
  const vrrp = encodeVrrp6(spec.advert, spec.src, dst);
  const ip = Buffer.alloc(IPV6_HEADER_BYTES + vrrp.length);
  ip.writeUInt32BE(((6 << 28) | (TRAFFIC_CLASS_NETWORK_CONTROL << 20)) >>> 0, 0);
  ip.writeUInt16BE(vrrp.length, 4);
  ip[6] = VRRP_PROTOCOL;
  ip[7] = spec.hopLimit ?? VRRP_HOP_LIMIT;
  ip.set(ipv6Bytes(spec.src), 8);
  ip.set(ipv6Bytes(dst), 24);
  vrrp.copy(ip, IPV6_HEADER_BYTES);
  return ip;
}

/** An untagged Ethernet frame of an advert (multicast: 33:33:00:00:00:12). */
export function buildVrrpFrame6(spec: Vrrp6PacketSpec & { srcMac: string; dstMac?: string }): Buffer {
  const ip = buildVrrpIpv6(spec);
  const dst = spec.dst ?? VRRP_GROUP6;
  const dstMac = isMulticast6(dst) ? `33:33:${hexTail(dst)}` : spec.dstMac;
  if (dstMac === undefined) throw new Error('a unicast VRRP advert needs the peer MAC');
  const frame = Buffer.alloc(ETH_HEADER_BYTES + ip.length);
  Buffer.from(dstMac.split(':').map((h) => parseInt(h, 16))).copy(frame, 0);
  Buffer.from(spec.srcMac.split(':').map((h) => parseInt(h, 16))).copy(frame, 6);
  frame.writeUInt16BE(ETH_P_IPV6, 12);
  ip.copy(frame, ETH_HEADER_BYTES);
  return frame;
}

/** The last 32 bits of a multicast group as the MAC's tail (RFC 2464 7). */
function hexTail(group: bigint): string {
  return [...ipv6Bytes(group).subarray(12)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Reads an IPv6 packet holding an advert directly after the fixed header (keepalived sends no
 * extension headers; anything else is 'not-vrrp'). Bytes past the payload length are ignored.
 */
export function readVrrpIpv6(ip: Uint8Array): Vrrp6Read {
  if (ip.length < IPV6_HEADER_BYTES || (ip[0] ?? 0) >> 4 !== 6) return { ok: false, reason: 'ip-header' };
  const payload = ((ip[4] ?? 0) << 8) | (ip[5] ?? 0);
  if (IPV6_HEADER_BYTES + payload > ip.length) return { ok: false, reason: 'ip-header' };
  if (ip[6] !== VRRP_PROTOCOL) return { ok: false, reason: 'not-vrrp' };
  const src = ipv6FromBytes(ip, 8);
  const dst = ipv6FromBytes(ip, 24);
  const decoded = decodeVrrp6(ip.subarray(IPV6_HEADER_BYTES, IPV6_HEADER_BYTES + payload), src, dst);
  if (!decoded.ok) return decoded;
  return { ok: true, packet: { src, dst, hopLimit: ip[7] ?? 0, advert: decoded.advert } };
}

/** Reads an untagged Ethernet frame holding an IPv6 advert. */
export function readVrrpFrame6(frame: Uint8Array): Vrrp6Read {
  if (frame.length < ETH_HEADER_BYTES || (((frame[12] ?? 0) << 8) | (frame[13] ?? 0)) !== ETH_P_IPV6) return { ok: false, reason: 'ip-header' };
  return readVrrpIpv6(frame.subarray(ETH_HEADER_BYTES));
}
