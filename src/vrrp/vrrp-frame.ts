// VRRP adverts as whole Ethernet + IPv4 frames (or the IPv4 packet alone, for the raw socket):
// built the way keepalived's adverts leave a Linux host (no VMAC), and read back down to a
// decoded advert with the IP facts the receive checks need (source, destination, TTL).
//
// What keepalived sends without use_vmac (captured from 2.2.7, test/fixtures/keepalived-vrrp.json):
// Ethernet source = the interface's own MAC (not 00-00-5E-00-01-VRID), destination the group's
// multicast MAC 01-00-5E-00-00-12 (or the unicast peer's MAC); IPv4 with TOS 0xC0 (network
// control), no options (no router alert), DF clear, TTL 255, protocol 112. Frames are not padded
// to 60 bytes by the sender.

import { macToBytes } from '../net/addr.js';
import { internetChecksum } from '../net/checksum.js';
import { decodeVrrp, encodeVrrp, VRRP_GROUP, VRRP_PROTOCOL, VRRP_TTL, type VrrpAdvert, type VrrpDecodeError } from './vrrp-packet.js';

const ETH_HEADER_BYTES = 14;
const ETH_P_IP = 0x0800;
const IPV4_HEADER_BYTES = 20;
const IP_TOS_NETWORK_CONTROL = 0xc0;
const IPPROTO_AH = 51;

export interface VrrpFrameSpec {
  advert: VrrpAdvert;
  /** The sending interface's MAC (keepalived's default: no virtual MAC). */
  srcMac: string;
  /** Required for unicast; a multicast destination uses its group MAC. */
  dstMac?: string;
  srcIp: number;
  /** VRRP_GROUP (default) or a unicast peer. */
  dstIp?: number;
  /** IPv4 identification; the kernel picks one per packet for keepalived, the caller does here. */
  ipId: number;
}

/** The Ethernet multicast MAC of an IPv4 group (RFC 1112: 01-00-5E + low 23 bits). */
export function multicastMac(group: number): string {
  const low = [(group >>> 16) & 0x7f, (group >>> 8) & 0xff, group & 0xff];
  return ['01', '00', '5e', ...low.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

function isMulticast(ip: number): boolean {
  return ip >>> 28 === 0xe;
}

export function buildVrrpFrame(spec: VrrpFrameSpec): Buffer {
  const dstIp = spec.dstIp ?? VRRP_GROUP;
  if (!isMulticast(dstIp) && spec.dstMac === undefined) throw new Error('a unicast VRRP advert needs the peer MAC');
  const ip = buildVrrpIpv4(spec);
  const frame = Buffer.alloc(ETH_HEADER_BYTES + ip.length);
  macToBytes(isMulticast(dstIp) ? multicastMac(dstIp) : (spec.dstMac as string)).copy(frame, 0);
  macToBytes(spec.srcMac).copy(frame, 6);
  frame.writeUInt16BE(ETH_P_IP, 12);
  ip.copy(frame, ETH_HEADER_BYTES);
  return frame;
}

/** The IPv4 packet of an advert (what a raw socket with IP_HDRINCL sends). */
export function buildVrrpIpv4(spec: Omit<VrrpFrameSpec, 'srcMac' | 'dstMac'>): Buffer {
  const dstIp = spec.dstIp ?? VRRP_GROUP;
  const vrrp = encodeVrrp(spec.advert, { src: spec.srcIp, dst: dstIp });
  const ip = Buffer.alloc(IPV4_HEADER_BYTES + vrrp.length);
  ip[0] = 0x45;
  ip[1] = IP_TOS_NETWORK_CONTROL;
  ip.writeUInt16BE(IPV4_HEADER_BYTES + vrrp.length, 2);
  ip.writeUInt16BE(spec.ipId & 0xffff, 4);
  ip[8] = VRRP_TTL;
  ip[9] = VRRP_PROTOCOL;
  ip.writeUInt32BE(spec.srcIp >>> 0, 12);
  ip.writeUInt32BE(dstIp >>> 0, 16);
  ip.writeUInt16BE(internetChecksum(ip, 0, IPV4_HEADER_BYTES), 10);
  vrrp.copy(ip, IPV4_HEADER_BYTES);
  return ip;
}

/** Why an IPv4 packet is not a readable VRRP advert. */
export type VrrpReadError = 'ip-header' | 'ip-checksum' | 'fragment' | 'not-vrrp' | 'auth-ah' | VrrpDecodeError;

export interface VrrpPacket {
  src: number;
  dst: number;
  ttl: number;
  advert: VrrpAdvert;
  /** v3 unicast checksum computed over 224.0.0.18 (keepalived 1.3.6 and older). */
  legacyUnicastChecksum: boolean;
}

export type VrrpRead = { ok: true; packet: VrrpPacket } | { ok: false; reason: VrrpReadError };

/**
 * Reads an IPv4 packet (from its first header byte; Ethernet padding after the IP total length
 * is ignored, as keepalived allows). Options are skipped; fragments are refused (an advert is
 * always far below any MTU, so a fragment is not a real advert).
 */
export function readVrrpIpv4(ip: Uint8Array): VrrpRead {
  if (ip.length < IPV4_HEADER_BYTES || (ip[0] ?? 0) >> 4 !== 4) return { ok: false, reason: 'ip-header' };
  const view = Buffer.from(ip.buffer, ip.byteOffset, ip.length);
  const headerBytes = ((ip[0] ?? 0) & 0x0f) * 4;
  const total = view.readUInt16BE(2);
  if (headerBytes < IPV4_HEADER_BYTES || total < headerBytes || total > ip.length) return { ok: false, reason: 'ip-header' };
  if (internetChecksum(ip, 0, headerBytes) !== 0) return { ok: false, reason: 'ip-checksum' };
  if ((view.readUInt16BE(6) & 0x3fff) !== 0) return { ok: false, reason: 'fragment' };
  if (ip[9] === IPPROTO_AH) return { ok: false, reason: 'auth-ah' };
  if (ip[9] !== VRRP_PROTOCOL) return { ok: false, reason: 'not-vrrp' };
  const src = view.readUInt32BE(12);
  const dst = view.readUInt32BE(16);
  const decoded = decodeVrrp(ip.subarray(headerBytes, total), { src, dst });
  if (!decoded.ok) return decoded;
  return { ok: true, packet: { src, dst, ttl: ip[8] ?? 0, advert: decoded.advert, legacyUnicastChecksum: decoded.legacyUnicastChecksum } };
}

/** Reads an untagged Ethernet frame holding an IPv4 VRRP advert. */
export function readVrrpFrame(frame: Uint8Array): VrrpRead {
  if (frame.length < ETH_HEADER_BYTES || (((frame[12] ?? 0) << 8) | (frame[13] ?? 0)) !== ETH_P_IP) {
    return { ok: false, reason: 'ip-header' };
  }
  return readVrrpIpv4(frame.subarray(ETH_HEADER_BYTES));
}
