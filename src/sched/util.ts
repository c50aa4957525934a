// Shared arithmetic of the IPVS schedulers: connection overhead, the division-free weighted
// least-load walk (ip_vs_wlc.c and its relatives), gcd, the dest identity key and the IPv6
// address fold the hashing schedulers use.
import { DestFlags, type Dest, type SchedPacket } from './types.js';

/**
 * IPVS ip_vs_dest_conn_overhead: (active << 8) + inactive. Computed in doubles, which stay exact
 * far beyond any real count (the kernel's int would wrap at 8.4 M active conns per server).
 */
export function connOverhead(d: Dest): number {
  return d.activeConns * 256 + d.inactConns;
}

/** sed/nq expected overhead: active + 1. */
export function sedOverhead(d: Dest): number {
  return d.activeConns + 1;
}

/** Can take a new connection at all: weight > 0 and not over its upper threshold. */
export function isUsable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & DestFlags.OVERLOAD) === 0;
}

/**
 * The wlc walk: first non-overloaded dest with weight > 0, then any later dest whose
 * cost/weight is strictly lower, compared as loh * w_d > doh * w_least (products stay below
 * 2^53 for weights up to 65535, so doubles are exact; the kernel uses s64). Ties keep the
 * earlier dest; weight 0 can never win the comparison. O(n), as in IPVS.
 */
export function weightedLeast(dests: readonly Dest[], cost: (d: Dest) => number): Dest | null {
  let least: Dest | null = null;
  let loh = 0;
  for (const d of dests) {
    if ((d.flags & DestFlags.OVERLOAD) !== 0) continue;
    if (least === null) {
      if (d.weight > 0) {
        least = d;
        loh = cost(d);
      }
      continue;
    }
    const doh = cost(d);
    if (loh * d.weight > doh * least.weight) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** gcd of the positive weights, 0 when none is positive. */
export function gcdOfWeights(weights: Iterable<number>): number {
  let g = 0;
  for (const w of weights) {
    if (w > 0) g = g > 0 ? gcd(w, g) : w;
  }
  return g;
}

/**
 * A dest's identity across updates (address and port): one exact number for IPv4, text for
 * IPv6 (128 bits do not fit a number; keys are built on updates, never per packet).
 */
export function destKey(d: { addr: number; addr6: Uint32Array | null; port: number }): DestKey {
  if (d.addr6 === null) return (d.addr >>> 0) * 65536 + (d.port & 0xffff);
  const w = d.addr6;
  return `${w[0]!.toString(16)}:${w[1]!.toString(16)}:${w[2]!.toString(16)}:${w[3]!.toString(16)}/${d.port & 0xffff}`;
}

export type DestKey = number | string;

/**
 * How sh, dh, mh, lblc and lblcr fold an IPv6 address into the 32 bits they hash: the XOR of
 * its four words (the kernel XORs the network-order words, then takes ntohl; a byte swap
 * commutes with XOR, so the host-order words give the same value).
 */
export function fold6(words: Uint32Array): number {
  return (words[0]! ^ words[1]! ^ words[2]! ^ words[3]!) >>> 0;
}

/** The client address a hashing scheduler keys on: the IPv4 address, or the IPv6 fold. */
export function sourceKey(p: SchedPacket): number {
  return p.family === 6 ? fold6(p.srcAddr6) : p.srcAddr;
}

/** The virtual (destination) address a hashing scheduler keys on. */
export function destinationKey(p: SchedPacket): number {
  return p.family === 6 ? fold6(p.dstAddr6) : p.dstAddr;
}

/** A real server's address as mh's permutation hashes it. */
export function destAddrKey(d: Dest): number {
  return d.addr6 === null ? d.addr : fold6(d.addr6);
}
