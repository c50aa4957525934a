// Internet checksums for test frames, computed from scratch (never incrementally), so tests can
// judge the native core's incremental updates and CHECKSUM_PARTIAL handling independently.
import { decodeFrame, type DecodedIpv4 } from './packet-decode.js';

/** Folds a 32-bit one's-complement accumulator to 16 bits (not complemented). */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Folded, uncomplemented one's-complement sum of buf[start..end), odd tail padded with zero. */
export function onesSum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let s = initial;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8;
  return fold(s);
}

/** The Internet checksum (RFC 1071) of buf[start..end), with an optional extra sum folded in. */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  return ~onesSum(buf, start, end, initial) & 0xffff;
}

/** Folded, uncomplemented sum of the IPv4 pseudo-header (src, dst, zero, proto, L4 length). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, l4len: number): number {
  let s = onesSum(src, 0, 4) + onesSum(dst, 0, 4);
  s += proto + l4len;
  return fold(s);
}

/** Checksum of the IPv4 header starting at header[0] (length from its IHL), field taken as 0. */
export function ipv4Checksum(header: Uint8Array): number {
  const hl = (header[0]! & 0x0f) * 4;
  const copy = Buffer.from(header.subarray(0, hl));
  copy.writeUInt16BE(0, 10);
  return internetChecksum(copy);
}

function headerOk(h: Uint8Array): boolean {
  return onesSum(h, 0, (h[0]! & 0x0f) * 4) === 0xffff;
}

/**
 * True when every IPv4 header carried in the Ethernet frame (the outer one and, for IPIP, the
 * inner one) has a correct header checksum. False when the frame has no IPv4 header at all.
 */
export function verifyIpv4Checksum(frame: Uint8Array): boolean {
  let ip = decodeFrame(frame).ip;
  if (!ip) return false;
  for (; ip; ip = ip.inner) {
    if (!headerOk(frame.subarray(ip.offset))) return false;
  }
  return true;
}

/** The L4 checksum the segment at ip's L4 offset should carry, computed from scratch. */
export function expectedL4Checksum(frame: Uint8Array, ip: DecodedIpv4): number {
  const start = ip.offset + ip.ihl * 4;
  const end = ip.offset + ip.totalLength;
  const body = Buffer.from(frame.subarray(start, end));
  const field = l4FieldOffset(ip.proto);
  body.writeUInt16BE(0, field);
  if (ip.proto === 1) return internetChecksum(body);
  const seed = pseudoHeaderSum(ip.srcBytes, ip.dstBytes, ip.proto, end - start);
  const c = internetChecksum(body, 0, body.length, seed);
  return ip.proto === 17 && c === 0 ? 0xffff : c;
}

/** Offset of the checksum field inside a TCP (16), UDP (6) or ICMP (2) header. */
export function l4FieldOffset(proto: number): number {
  if (proto === 6) return 16;
  if (proto === 17) return 6;
  if (proto === 1) return 2;
  throw new Error(`no L4 checksum known for IP protocol ${proto}`);
}

function innermost(frame: Uint8Array): DecodedIpv4 {
  let ip = decodeFrame(frame).ip;
  if (!ip) throw new Error('l4ChecksumOk: not an IPv4 frame');
  while (ip.inner) ip = ip.inner;
  if (ip.mf || ip.fragOffset !== 0) throw new Error('l4ChecksumOk: a fragment\'s L4 checksum covers the whole datagram');
  return ip;
}

/**
 * Recomputes the innermost TCP/UDP/ICMP checksum (through IPIP) from scratch and compares it
 * with the frame's. A UDP checksum of zero means "not computed" and is accepted.
 */
export function l4ChecksumOk(frame: Uint8Array): boolean {
  const ip = innermost(frame);
  const at = ip.offset + ip.ihl * 4 + l4FieldOffset(ip.proto);
  const have = (frame[at]! << 8) | frame[at + 1]!;
  if (ip.proto === 17 && have === 0) return true;
  return have === expectedL4Checksum(frame, ip);
}

/** 10-byte virtio_net_hdr (little-endian), as PACKET_VNET_HDR / IFF_VNET_HDR carry it. */
export interface VnetFields {
  flags: number; gsoType: number; hdrLen: number; gsoSize: number; csumStart: number; csumOffset: number;
}
export const VNET_F_NEEDS_CSUM = 1;
export const VNET_GSO_TCPV4 = 1;

export function vnetHeader(f: Partial<VnetFields>): Buffer {
  const b = Buffer.alloc(10);
  b[0] = f.flags ?? 0;
  b[1] = f.gsoType ?? 0;
  b.writeUInt16LE(f.hdrLen ?? 0, 2);
  b.writeUInt16LE(f.gsoSize ?? 0, 4);
  b.writeUInt16LE(f.csumStart ?? 0, 6);
  b.writeUInt16LE(f.csumOffset ?? 0, 8);
  return b;
}

export function parseVnet(b: Uint8Array): VnetFields {
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    flags: v[0]!, gsoType: v[1]!, hdrLen: v.readUInt16LE(2), gsoSize: v.readUInt16LE(4),
    csumStart: v.readUInt16LE(6), csumOffset: v.readUInt16LE(8),
  };
}

/**
 * Turns a complete TCP/UDP frame into CHECKSUM_PARTIAL form as a local sender's stack hands it
 * over: the L4 field holds the folded, uncomplemented pseudo-header sum, and the vnet header
 * says NEEDS_CSUM from csum_start with the field at csum_offset.
 */
export function makePartial(frame: Uint8Array): { frame: Buffer; vnet: Buffer } {
  const out = Buffer.from(frame);
  const ip = decodeFrame(out).ip;
  if (!ip || (ip.proto !== 6 && ip.proto !== 17)) throw new Error('makePartial: needs a TCP or UDP frame');
  const start = ip.offset + ip.ihl * 4;
  const seed = pseudoHeaderSum(ip.srcBytes, ip.dstBytes, ip.proto, ip.totalLength - ip.ihl * 4);
  const field = l4FieldOffset(ip.proto);
  out.writeUInt16BE(seed, start + field);
  return { frame: out, vnet: vnetHeader({ flags: VNET_F_NEEDS_CSUM, csumStart: start, csumOffset: field }) };
}

/** True when a partial frame's L4 field holds exactly the seed its current addresses imply. */
export function partialSeedOk(frame: Uint8Array, vnet: Uint8Array): boolean {
  const v = parseVnet(vnet);
  let ip = decodeFrame(frame).ip;
  while (ip && ip.inner) ip = ip.inner;
  if (!ip || ip.offset + ip.ihl * 4 !== v.csumStart) return false;
  const seed = pseudoHeaderSum(ip.srcBytes, ip.dstBytes, ip.proto, ip.totalLength - ip.ihl * 4);
  const at = v.csumStart + v.csumOffset;
  return ((frame[at]! << 8) | frame[at + 1]!) === seed;
}

/** Finishes a NEEDS_CSUM frame the way the kernel does: fold the sum from csum_start onward. */
export function completePartial(frame: Uint8Array, vnet: Uint8Array): Buffer {
  const out = Buffer.from(frame);
  const v = parseVnet(vnet);
  if (!(v.flags & VNET_F_NEEDS_CSUM)) return out;
  let c = internetChecksum(out, v.csumStart, out.length);
  let ip = decodeFrame(out).ip;
  while (ip && ip.inner) ip = ip.inner;
  if (c === 0 && ip && ip.proto === 17) c = 0xffff;
  out.writeUInt16BE(c, v.csumStart + v.csumOffset);
  return out;
}
