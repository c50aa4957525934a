// The receive checks of RFC 3768 7.1 / RFC 5798 7.1 (IPv4 and IPv6) that depend on the local virtual router:
// one verdict per advert, each refusal a distinct reason the engine counts. What keepalived
// tolerates, this tolerates too, so a keepalived peer and director agree on what they heard.

import { AuthType, VRRP_TTL, type VrrpAdvert } from './vrrp-packet.js';
import type { VrrpPacket, VrrpReadError } from './vrrp-frame.js';
import { isLinkLocal6, isMulticast6, type VrrpAdvert6, type VrrpPacket6 } from './vrrp-packet6.js';
import type { VrrpAddr } from './vrrp-types.js';

/** Every reason an advert is dropped, reading errors first; index = counter slot. */
export const DROP_REASONS = [
  'ip-header', 'ip-checksum', 'fragment', 'not-vrrp', 'auth-ah', 'truncated', 'version', 'type',
  'length', 'checksum', 'vrid', 'ttl', 'version-mismatch', 'auth-type-invalid', 'auth-type-mismatch',
  'auth-password', 'interval-mismatch', 'multicast-unicast-mismatch', 'unknown-unicast-source',
  // IPv6 (VRRPv3 over IPv6) only: a hop limit other than 255 on multicast, a multicast advert
  // not from a link-local address (RFC 5798 section 5.1.2, part 1, 7.1).
  'hop-limit', 'source-not-link-local',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Index of a reason in DROP_REASONS (for a Uint32Array of counters). */
export function dropReasonIndex(reason: DropReason | VrrpReadError): number {
  return DROP_REASONS.indexOf(reason);
}

/** What the local virtual router expects of its peers' adverts. */
export interface AdvertExpectation {
  vrid: number;
  version: 2 | 3;
  /** v2: AuthType.NONE or AuthType.PASS. */
  authType: number;
  /** v2 PASS: the 8 bytes (NUL-padded password). */
  authData: Uint8Array;
  /** The configured advert interval, centiseconds (v2 configs are whole seconds). */
  intervalCs: number;
  /** Unicast mode (unicast_peer configured): adverts must come unicast, and TTL is not checked. */
  unicast: boolean;
  unicastPeers: readonly VrrpAddr[];
  /** keepalived check_unicast_src: refuse unicast adverts from addresses not in unicastPeers. */
  checkUnicastSource: boolean;
  /** The configured virtual addresses (IPv4 host order, or IPv6 bigints). */
  addresses: readonly VrrpAddr[];
}

export type AdvertVerdict =
  | {
    ok: true;
    advert: VrrpAdvert | VrrpAdvert6;
    src: VrrpAddr;
    /** The address list differs from ours: counted and logged, not dropped (keepalived). */
    addressMismatch: boolean;
    /** v3 only: the master's interval differs from ours (allowed: the backup learns it). */
    intervalDiffers: boolean;
  }
  | { ok: false; reason: DropReason };

/**
 * Checks a decoded advert against the local router, in keepalived's order. Differences from the
 * letter of RFC 3768, as keepalived: a wrong address list is accepted (the RFC drops it unless
 * the sender is the owner), and unicast adverts are not held to TTL 255 (they may be routed).
 */
export function checkAdvert(p: VrrpPacket | VrrpPacket6, want: AdvertExpectation): AdvertVerdict {
  const a = p.advert;
  const v6 = 'hopLimit' in p;
  if (a.vrid !== want.vrid) return { ok: false, reason: 'vrid' };
  if (!want.unicast && (v6 ? p.hopLimit : p.ttl) !== VRRP_TTL) return { ok: false, reason: v6 ? 'hop-limit' : 'ttl' };
  if (a.version !== want.version) return { ok: false, reason: 'version-mismatch' };
  if (a.version === 2) {
    const refused = checkV2(a.authType, a.authData, a.intervalSeconds, want);
    if (refused) return { ok: false, reason: refused };
  }
  const multicast = v6 ? isMulticast6(p.dst) : p.dst >>> 28 === 0xe;
  if (multicast === want.unicast) return { ok: false, reason: 'multicast-unicast-mismatch' };
  if (v6 && multicast && !isLinkLocal6(p.src)) return { ok: false, reason: 'source-not-link-local' };
  if (want.unicast && want.checkUnicastSource && !want.unicastPeers.includes(p.src)) {
    return { ok: false, reason: 'unknown-unicast-source' };
  }
  return {
    ok: true,
    advert: a,
    src: p.src,
    addressMismatch: !sameAddresses(a.addresses, want.addresses),
    intervalDiffers: a.version === 3 && a.intervalCs !== want.intervalCs,
  };
}

function checkV2(authType: number, authData: Uint8Array, intervalSeconds: number, want: AdvertExpectation): DropReason | null {
  if (authType === AuthType.AH) return 'auth-ah';
  if (authType !== AuthType.NONE && authType !== AuthType.PASS) return 'auth-type-invalid';
  if (authType !== want.authType) return 'auth-type-mismatch';
  if (authType === AuthType.PASS && !sameBytes(authData, want.authData)) return 'auth-password';
  // RFC 3768: MUST drop on a different interval, so two routers never run one VRID at two rates.
  if (intervalSeconds * 100 !== want.intervalCs) return 'interval-mismatch';
  return null;
}

/** Same set of addresses (all distinct in a valid config, so equal counts and inclusion do). */
function sameAddresses(got: readonly VrrpAddr[], want: readonly VrrpAddr[]): boolean {
  return got.length === want.length && want.every((addr) => got.includes(addr));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

