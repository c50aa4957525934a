// The VRRP advertisement on the wire, IPv4 only: VRRPv2 (RFC 3768, with keepalived's simple
// password authentication) and VRRPv3 (RFC 5798, checksum over the IPv4 pseudo-header), encoded
// byte for byte as keepalived sends it and decoded into plain values.
//
// IPsec AH authentication (auth type 2) is out of scope: keepalived deprecated it and RFC 3768
// removed it; an AH advert is rejected with its own reason. IPv6 (VRRPv3 over ff02::12) is later.

import { internetChecksum, pseudoHeaderSum } from '../net/checksum.js';

export const VRRP_PROTOCOL = 112;
/** 224.0.0.18, the VRRP group for IPv4 (RFC 3768 5.2.2, RFC 5798 5.1.1.2). */
export const VRRP_GROUP = 0xe0000012;
/** Sent with, and (multicast) only accepted with, TTL 255 (RFC 3768 5.2.3). */
export const VRRP_TTL = 255;
const VRRP_TYPE_ADVERT = 1;
/** The address owner's priority, and the one a master resigns with. */
export const PRIORITY_OWNER = 255;
export const PRIORITY_STOP = 0;
/** The fixed part: version/type, VRID, priority, count, two bytes of interval/auth, checksum. */
const VRRP_HEADER_BYTES = 8;
/** VRRPv2 carries 8 bytes of authentication data after the addresses. */
const AUTH_DATA_BYTES = 8;
/** Largest VRRPv3 Max Adver Int (12 bits, centiseconds). */
const MAX_V3_INTERVAL_CS = 0xfff;

export const AuthType = { NONE: 0, PASS: 1, AH: 2 } as const;

export interface VrrpV2Advert {
  version: 2;
  vrid: number;
  priority: number;
  /** IPv4 addresses, host-order uint32, in the order the master lists them. */
  addresses: number[];
  authType: number;
  /** Advertisement interval, whole seconds (8 bits). */
  intervalSeconds: number;
  /** The 8 authentication bytes: the password NUL-padded for PASS, zeros otherwise. */
  authData: Uint8Array;
}

export interface VrrpV3Advert {
  version: 3;
  vrid: number;
  priority: number;
  addresses: number[];
  /** Max Adver Int, centiseconds (12 bits). */
  intervalCs: number;
}

export type VrrpAdvert = VrrpV2Advert | VrrpV3Advert;

/** The IPv4 addresses the v3 checksum covers (and v2 ignores). */
export interface IpPair {
  src: number;
  dst: number;
}

/** The 8 authentication bytes for a keepalived auth_pass (at most 8 bytes, NUL-padded). */
export function passwordBytes(password: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_BYTES);
  const text = Buffer.from(password, 'latin1');
  if (text.length > AUTH_DATA_BYTES) throw new Error(`VRRP password longer than ${AUTH_DATA_BYTES} bytes`);
  out.set(text);
  return out;
}

/** Bytes the VRRP part of an advert takes for this version and address count. */
function vrrpLength(version: 2 | 3, addressCount: number): number {
  return VRRP_HEADER_BYTES + 4 * addressCount + (version === 2 ? AUTH_DATA_BYTES : 0);
}

function checkFields(a: VrrpAdvert): void {
  const byte = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 255;
  if (!byte(a.vrid) || a.vrid === 0) throw new Error(`VRID ${a.vrid} not in 1..255`);
  if (!byte(a.priority)) throw new Error(`priority ${a.priority} not in 0..255`);
  if (a.addresses.length > 255) throw new Error(`${a.addresses.length} addresses: at most 255 fit`);
  if (a.version === 2) {
    if (!byte(a.intervalSeconds) || a.intervalSeconds === 0) throw new Error(`v2 interval ${a.intervalSeconds} not in 1..255 s`);
    if (!byte(a.authType)) throw new Error(`auth type ${a.authType} not a byte`);
    if (a.authData.length !== AUTH_DATA_BYTES) throw new Error(`auth data must be ${AUTH_DATA_BYTES} bytes`);
  } else if (!Number.isInteger(a.intervalCs) || a.intervalCs < 1 || a.intervalCs > MAX_V3_INTERVAL_CS) {
    throw new Error(`v3 interval ${a.intervalCs} not in 1..${MAX_V3_INTERVAL_CS} cs`);
  }
}

/**
 * The VRRP part of an advert, checksum included. `ips` (the IPv4 source and destination the
 * packet goes out with) is required for v3, whose checksum covers the pseudo-header; for
 * unicast that destination is the peer, as keepalived since 1.3.6 computes it.
 */
export function encodeVrrp(a: VrrpAdvert, ips?: IpPair): Buffer {
  checkFields(a);
  const b = Buffer.alloc(vrrpLength(a.version, a.addresses.length));
  b[0] = (a.version << 4) | VRRP_TYPE_ADVERT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = a.addresses.length;
  a.addresses.forEach((addr, i) => b.writeUInt32BE(addr >>> 0, VRRP_HEADER_BYTES + 4 * i));
  let seed = 0;
  if (a.version === 2) {
    b[4] = a.authType;
    b[5] = a.intervalSeconds;
    b.set(a.authData, VRRP_HEADER_BYTES + 4 * a.addresses.length);
  } else {
    if (!ips) throw new Error('VRRPv3 needs the IPv4 source and destination for its checksum');
    b.writeUInt16BE(a.intervalCs, 4); // the 4 reserved bits stay zero
    seed = pseudoHeaderSum(ips.src, ips.dst, VRRP_PROTOCOL, b.length);
  }
  b.writeUInt16BE(internetChecksum(b, 0, b.length, seed), 6);
  return b;
}

/** Why a VRRP payload could not be read as an advertisement (before any per-instance check). */
export type VrrpDecodeError = 'truncated' | 'version' | 'type' | 'length' | 'checksum';

export type VrrpDecoded =
  | { ok: true; advert: VrrpAdvert; legacyUnicastChecksum: boolean }
  | { ok: false; reason: VrrpDecodeError };

/**
 * Reads the VRRP part of an IPv4 packet (exactly the bytes after the IP header, up to its total
 * length). Checks, in keepalived's order: version, the length the address count implies,
 * checksum, type. A v3 unicast advert whose checksum only verifies with 224.0.0.18 in the
 * pseudo-header comes from keepalived 1.3.6 or older and is accepted, flagged.
 */
export function decodeVrrp(b: Uint8Array, ips: IpPair): VrrpDecoded {
  if (b.length < VRRP_HEADER_BYTES) return { ok: false, reason: 'truncated' };
  const first = b[0] ?? 0;
  const version = first >> 4;
  if (version !== 2 && version !== 3) return { ok: false, reason: 'version' };
  const count = b[3] ?? 0;
  if (b.length !== vrrpLength(version, count)) return { ok: false, reason: 'length' };
  let legacyUnicastChecksum = false;
  if (version === 2) {
    if (internetChecksum(b) !== 0) return { ok: false, reason: 'checksum' };
  } else if (!v3ChecksumOk(b, ips.src, ips.dst)) {
    if (ips.dst === VRRP_GROUP || !v3ChecksumOk(b, ips.src, VRRP_GROUP)) return { ok: false, reason: 'checksum' };
    legacyUnicastChecksum = true;
  }
  if ((first & 0x0f) !== VRRP_TYPE_ADVERT) return { ok: false, reason: 'type' };
  const view = Buffer.from(b.buffer, b.byteOffset, b.length);
  const addresses: number[] = [];
  for (let i = 0; i < count; i++) addresses.push(view.readUInt32BE(VRRP_HEADER_BYTES + 4 * i));
  const head = { vrid: b[1] ?? 0, priority: b[2] ?? 0, addresses };
  const advert: VrrpAdvert = version === 2
    ? { version, ...head, authType: b[4] ?? 0, intervalSeconds: b[5] ?? 0, authData: Uint8Array.from(b.subarray(VRRP_HEADER_BYTES + 4 * count)) }
    : { version, ...head, intervalCs: view.readUInt16BE(4) & MAX_V3_INTERVAL_CS };
  return { ok: true, advert, legacyUnicastChecksum };
}

function v3ChecksumOk(b: Uint8Array, src: number, dst: number): boolean {
  return internetChecksum(b, 0, b.length, pseudoHeaderSum(src, dst, VRRP_PROTOCOL, b.length)) === 0;
}
