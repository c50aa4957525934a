// The keyed flow hash in TypeScript: the same function as native/core/flow_hash.cc (HalfSipHash-1-3
// under a 64-bit key over le32(src) le32(dst) le32(sport << 16 | dport) proto; the definition is in
// flow_hash.h), for the keys the connection table hashes itself: on insert, on delete, and for the
// out key of replies it has not seen yet. Packets never need it: parse puts it in meta HASH.

import { randomFillSync } from 'node:crypto';

/** Two 32-bit words; the engine's hashKey, shared by everything that hashes flows. */
export type FlowHashKey = Readonly<Uint32Array>;

/** A fresh random key (tests and tools that hash without an engine). */
export function randomFlowHashKey(): Uint32Array {
  return randomFillSync(new Uint32Array(2));
}

/**
 * The flow hash of (proto, src:sport -> dst:dport) under key (k0, k1), as a signed 32-bit
 * integer (its bits are the hash; `>>> 0` gives the unsigned value the addon reports). Signed,
 * like the arguments callers pass (`x | 0`), because V8 boxes a uint32 of 2^31 or more into a
 * new heap number whenever it crosses a call; the lanes stay in locals: no allocation.
 */
export function flowHash(k0: number, k1: number, proto: number, src: number, sport: number, dst: number, dport: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = (0x6c796765 ^ k0) | 0;
  let v3 = (0x74656462 ^ k1) | 0;
  // Rounds 0-3 absorb one message word each (the last: length 13 in the top byte, then proto);
  // rounds 4-6 are the finalization, after v2 ^= 0xff.
  for (let r = 0; r < 7; r++) {
    const m = r === 0 ? src : r === 1 ? dst : r === 2 ? ((sport & 0xffff) << 16) | (dport & 0xffff) : r === 3 ? 0x0d000000 | (proto & 0xff) : 0;
    v3 ^= m;
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
    if (r === 3) v2 ^= 0xff;
  }
  return v1 ^ v3;
}

/**
 * flow_hash6 (flow_hash.h): the same function over the 37-byte IPv6 tuple, the four words of
 * each address read from a (words at sOff and dOff of the arrays given, as meta and the
 * connection table hold them): no array is made per call. Signed result, as flowHash.
 */
export function flowHash6(k0: number, k1: number, proto: number, src: Uint32Array, sOff: number, sport: number,
                          dst: Uint32Array, dOff: number, dport: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = (0x6c796765 ^ k0) | 0;
  let v3 = (0x74656462 ^ k1) | 0;
  // Rounds 0-9 absorb the message words (the last: length 37 in the top byte, then proto);
  // rounds 10-12 are the finalization, after v2 ^= 0xff.
  for (let r = 0; r < 13; r++) {
    const m = r < 4 ? src[sOff + r]! | 0 : r < 8 ? dst[dOff + r - 4]! | 0
      : r === 8 ? ((sport & 0xffff) << 16) | (dport & 0xffff) : r === 9 ? 0x25000000 | (proto & 0xff) : 0;
    v3 ^= m;
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
    if (r === 9) v2 ^= 0xff;
  }
  return v1 ^ v3;
}
