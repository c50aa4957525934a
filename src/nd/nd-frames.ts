// Neighbour Discovery frames (RFC 4861) the director originates: neighbour solicitations to
// resolve IPv6 neighbours, unsolicited and solicited neighbour advertisements for the addresses
// it owns, and a reader for those frames (tests, and learning in TypeScript).
//
// Conventions of this module (callers cherry-pick it, so they are fixed):
// - An IPv6 address is four 32-bit words, word 0 holding its first four bytes, exactly as the
//   meta record's SRC_IP6_0..3 carry it (2001:db8::1 -> [0x20010db8, 0, 0, 1]); any
//   ArrayLike<number> works (a Uint32Array(4), a number[], or meta itself with an offset via
//   subarray). ipv6Words()/ipv6FromWords() in src/net/addr6.ts convert from and to bytes.
// - A MAC is text 'aa:bb:cc:dd:ee:ff', as buildArpRequest takes it.
// - Every frame is untagged Ethernet + IPv6 (hop limit 255, no extension headers) + ICMPv6 with
//   its checksum over the IPv6 pseudo-header, and a link-layer address option (omitted only
//   where RFC 4861 forbids it: an NS from the unspecified address).

import { macToBytes } from '../net/addr.js';

export type Ip6Words = ArrayLike<number>;

const ETH_P_IPV6 = 0x86dd;
const IPPROTO_ICMPV6 = 58;
export const ND_HOP_LIMIT = 255;
export const ICMP6_NS = 135;
export const ICMP6_NA = 136;
/** ND option types: source and target link-layer address. */
export const OPT_SLLA = 1;
export const OPT_TLLA = 2;
/** NA flag bits (first byte after the checksum). */
export const NA_ROUTER = 0x80;
export const NA_SOLICITED = 0x40;
export const NA_OVERRIDE = 0x20;

const ETH_LEN = 14;
const IP6_LEN = 40;
/** NS and NA share one shape: type, code, checksum, 4 bytes (NA flags), target; then an 8-byte option. */
const ND_BODY_LEN = 24;
const LLA_OPT_LEN = 8;

/** ff02::1, all nodes. */
export const ALL_NODES: readonly number[] = [0xff020000, 0, 0, 1];
const ALL_NODES_MAC = '33:33:00:00:00:01';

/** The solicited-node multicast address of target (RFC 4291 2.7.1): ff02::1:ffXX:XXXX. */
export function solicitedNode(target: Ip6Words): number[] {
  return [0xff020000, 0, 1, (0xff000000 | (target[3]! & 0xffffff)) >>> 0];
}

/** The Ethernet multicast MAC of an IPv6 multicast address (RFC 2464 7): 33:33 + its last 32 bits. */
export function multicastMac(group: Ip6Words): string {
  const w = group[3]! >>> 0;
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `33:33:${hex(w >>> 24)}:${hex((w >>> 16) & 0xff)}:${hex((w >>> 8) & 0xff)}:${hex(w & 0xff)}`;
}

/** True for ff00::/8. */
export function isMulticast6(a: Ip6Words): boolean {
  return (a[0]! >>> 24) === 0xff;
}

/** True for ::. */
export function isUnspecified6(a: Ip6Words): boolean {
  return (a[0]! | a[1]! | a[2]! | a[3]!) === 0;
}

export interface NdFields {
  type: typeof ICMP6_NS | typeof ICMP6_NA;
  ethDst: string;
  ethSrc: string;
  src: Ip6Words;
  dst: Ip6Words;
  /** NA only: NA_ROUTER | NA_SOLICITED | NA_OVERRIDE bits (0 for an NS). */
  flags: number;
  target: Ip6Words;
  /** The link-layer address option's MAC (SLLA for an NS, TLLA for an NA); null for none. */
  lla: string | null;
  /** Hop limit; RFC 4861 requires 255 and receivers drop anything else. */
  hopLimit?: number;
}

/** Any NS or NA, byte-exact; the helpers below fill the fields RFC 4861 prescribes. */
export function buildNd(f: NdFields): Buffer {
  const icmpLen = ND_BODY_LEN + (f.lla === null ? 0 : LLA_OPT_LEN);
  const b = Buffer.alloc(ETH_LEN + IP6_LEN + icmpLen);
  macToBytes(f.ethDst).copy(b, 0);
  macToBytes(f.ethSrc).copy(b, 6);
  b.writeUInt16BE(ETH_P_IPV6, 12);
  b.writeUInt32BE(0x60000000, ETH_LEN);  // version 6, traffic class 0, flow label 0
  b.writeUInt16BE(icmpLen, ETH_LEN + 4);
  b[ETH_LEN + 6] = IPPROTO_ICMPV6;
  b[ETH_LEN + 7] = f.hopLimit ?? ND_HOP_LIMIT;
  writeAddr(b, ETH_LEN + 8, f.src);
  writeAddr(b, ETH_LEN + 24, f.dst);
  const l4 = ETH_LEN + IP6_LEN;
  b[l4] = f.type;
  b[l4 + 4] = f.type === ICMP6_NA ? f.flags & 0xe0 : 0;
  writeAddr(b, l4 + 8, f.target);
  if (f.lla !== null) {
    b[l4 + ND_BODY_LEN] = f.type === ICMP6_NS ? OPT_SLLA : OPT_TLLA;
    b[l4 + ND_BODY_LEN + 1] = 1;  // length in units of 8 bytes
    macToBytes(f.lla).copy(b, l4 + ND_BODY_LEN + 2);
  }
  b.writeUInt16BE(icmpv6Checksum(b, ETH_LEN), l4 + 2);
  return b;
}

/**
 * A neighbour solicitation for target from ourMac. Multicast to target's solicited-node group
 * (first resolution) or, with unicastTo (the MAC we believe target has), unicast to target
 * itself (re-confirming reachability, RFC 4861 7.3.3 PROBE). source is our address on the link;
 * the unspecified address (::) makes it a duplicate address detection probe without the
 * source link-layer option, which RFC 4861 7.2.2 forbids then.
 */
export function buildNeighbourSolicitation(ourMac: string, source: Ip6Words, target: Ip6Words, unicastTo?: string): Buffer {
  const dst = unicastTo ? target : solicitedNode(target);
  return buildNd({
    type: ICMP6_NS, ethDst: unicastTo ?? multicastMac(dst), ethSrc: ourMac, src: source, dst, flags: 0, target,
    lla: isUnspecified6(source) ? null : ourMac,
  });
}

/**
 * An unsolicited NA announcing that address is at ourMac (start, takeover; RFC 4861 7.2.6):
 * to all nodes (ff02::1, 33:33:00:00:00:01), from the address itself as keepalived sends it,
 * Override set, Solicited clear, Router set only when asked, target link-layer option.
 */
export function buildUnsolicitedNa(ourMac: string, address: Ip6Words, router = false): Buffer {
  return buildNd({
    type: ICMP6_NA, ethDst: ALL_NODES_MAC, ethSrc: ourMac, src: address, dst: ALL_NODES,
    flags: NA_OVERRIDE | (router ? NA_ROUTER : 0), target: address, lla: ourMac,
  });
}

/**
 * The answer to a neighbour solicitation for an owned target (RFC 4861 7.2.4): unicast back
 * to the soliciter with Solicited and Override set, or, when the solicitation came from ::
 * (duplicate address detection), to all nodes with Solicited clear.
 */
export function buildSolicitedNa(ourMac: string, target: Ip6Words, soliciter: Ip6Words, soliciterMac: string): Buffer {
  const dad = isUnspecified6(soliciter);
  return buildNd({
    type: ICMP6_NA, ethDst: dad ? ALL_NODES_MAC : soliciterMac, ethSrc: ourMac, src: target,
    dst: dad ? ALL_NODES : soliciter, flags: NA_OVERRIDE | (dad ? 0 : NA_SOLICITED), target, lla: ourMac,
  });
}

/** The ICMPv6 checksum of the IPv6 packet at ip in frame (RFC 8200 8.1 pseudo-header), field taken as 0. */
export function icmpv6Checksum(frame: Uint8Array, ip: number): number {
  const len = (frame[ip + 4]! << 8) | frame[ip + 5]!;
  const l4 = ip + IP6_LEN;
  let sum = len + IPPROTO_ICMPV6;
  for (let i = ip + 8; i < l4; i += 2) sum += (frame[i]! << 8) | frame[i + 1]!;
  for (let i = l4; i < l4 + len; i += 2) {
    if (i === l4 + 2) continue;  // the checksum field itself
    sum += (frame[i]! << 8) | (i + 1 < l4 + len ? frame[i + 1]! : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * Reads back an untagged NS or NA that buildNd could have made (tests, learning in TypeScript):
 * null when it is not one, is cut short, or its checksum is wrong. Only the first link-layer
 * address option is kept.
 */
export function parseNd(frame: Uint8Array): NdFields | null {
  if (frame.length < ETH_LEN + IP6_LEN + ND_BODY_LEN) return null;
  if (((frame[12]! << 8) | frame[13]!) !== ETH_P_IPV6 || frame[ETH_LEN + 6] !== IPPROTO_ICMPV6) return null;
  const len = (frame[ETH_LEN + 4]! << 8) | frame[ETH_LEN + 5]!;
  const l4 = ETH_LEN + IP6_LEN;
  const type = frame[l4]!;
  if ((type !== ICMP6_NS && type !== ICMP6_NA) || len < ND_BODY_LEN || l4 + len > frame.length) return null;
  if (((frame[l4 + 2]! << 8) | frame[l4 + 3]!) !== icmpv6Checksum(frame, ETH_LEN)) return null;
  let lla: string | null = null;
  for (let o = l4 + ND_BODY_LEN; o + 2 <= l4 + len;) {
    const units = frame[o + 1]!;
    if (units === 0 || o + units * 8 > l4 + len) return null;
    if (lla === null && frame[o] === (type === ICMP6_NS ? OPT_SLLA : OPT_TLLA)) lla = macText(frame, o + 2);
    o += units * 8;
  }
  return {
    type, ethDst: macText(frame, 0), ethSrc: macText(frame, 6), src: readAddr(frame, ETH_LEN + 8),
    dst: readAddr(frame, ETH_LEN + 24), flags: type === ICMP6_NA ? frame[l4 + 4]! & 0xe0 : 0,
    target: readAddr(frame, l4 + 8), lla, hopLimit: frame[ETH_LEN + 7]!,
  };
}

function writeAddr(b: Buffer, at: number, a: Ip6Words): void {
  for (let i = 0; i < 4; i++) b.writeUInt32BE(a[i]! >>> 0, at + 4 * i);
}

function readAddr(b: Uint8Array, at: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) out.push(((b[at + 4 * i]! << 24) | (b[at + 4 * i + 1]! << 16) | (b[at + 4 * i + 2]! << 8) | b[at + 4 * i + 3]!) >>> 0);
  return out;
}

function macText(b: Uint8Array, at: number): string {
  return Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The EUI-64 link-local address of a MAC (RFC 4291 2.5.1, as Linux forms it): the director's NS source when it owns no IPv6 address there. */
export function linkLocalOf(mac: string): number[] {
  const b = macToBytes(mac);
  return [0xfe800000, 0, (((b[0]! ^ 2) << 24) | (b[1]! << 16) | (b[2]! << 8) | 0xff) >>> 0, ((0xfe << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0];
}
