// The kernel's hsiphash on 64-bit machines (SipHash-1-3 over one u32, lib/siphash.c), in 32-bit
// halves so the per-packet path of mh allocates nothing; ip_vs_mh.c hashes with fixed keys, so
// the same inputs give the same table and lookups on every director.

/** A 128-bit key as the kernel's hsiphash_key_t on 64-bit: two u64 words, split hi/lo. */
export interface HsipKey {
  k0hi: number;
  k0lo: number;
  k1hi: number;
  k1lo: number;
}

/** Key whose two u64 words are both `word` (< 2^32), as generate_hash_secret() in ip_vs_mh.c. */
export function repeatedKey(word: number): HsipKey {
  return { k0hi: 0, k0lo: word >>> 0, k1hi: 0, k1lo: word >>> 0 };
}

/**
 * hsiphash(&v, 4, key) for a u32 v: the low 32 bits of SipHash-1-3. The four 64-bit lanes live
 * in eight local 32-bit halves (a = v0, b = v1, c = v2, d = v3) so nothing is allocated and the
 * engine keeps them in registers; the four rounds share one loop body.
 */
export function hsiphashU32(v: number, key: HsipKey): number {
  // "somepseudorandomlygeneratedbytes" constants xor the key.
  let ah = (0x736f6d65 ^ key.k0hi) >>> 0, al = (0x70736575 ^ key.k0lo) >>> 0;
  let bh = (0x646f7261 ^ key.k1hi) >>> 0, bl = (0x6e646f6d ^ key.k1lo) >>> 0;
  let ch = (0x6c796765 ^ key.k0hi) >>> 0, cl = (0x6e657261 ^ key.k0lo) >>> 0;
  let dh = (0x74656462 ^ key.k1hi) >>> 0, dl = (0x79746573 ^ key.k1lo) >>> 0;
  // The only block is b = (len << 56) | le32(v): hi word 0x04000000, lo word v.
  const bHi = 0x04000000;
  const bLo = v >>> 0;
  dh = (dh ^ bHi) >>> 0;
  dl = (dl ^ bLo) >>> 0;
  for (let r = 0; r < 4; r++) {
    if (r === 1) { // after the one compression round: finalization begins
      ah = (ah ^ bHi) >>> 0;
      al = (al ^ bLo) >>> 0;
      cl = (cl ^ 0xff) >>> 0;
    }
    let lo = al + bl; // v0 += v1
    ah = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    al = lo >>> 0;
    let h = bh, l = bl; // v1 = rotl(v1, 13) ^ v0
    bh = (((h << 13) | (l >>> 19)) ^ ah) >>> 0;
    bl = (((l << 13) | (h >>> 19)) ^ al) >>> 0;
    h = ah; ah = al; al = h; // v0 = rotl(v0, 32)
    lo = cl + dl; // v2 += v3
    ch = (ch + dh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    cl = lo >>> 0;
    h = dh; l = dl; // v3 = rotl(v3, 16) ^ v2
    dh = (((h << 16) | (l >>> 16)) ^ ch) >>> 0;
    dl = (((l << 16) | (h >>> 16)) ^ cl) >>> 0;
    lo = al + dl; // v0 += v3
    ah = (ah + dh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    al = lo >>> 0;
    h = dh; l = dl; // v3 = rotl(v3, 21) ^ v0
    dh = (((h << 21) | (l >>> 11)) ^ ah) >>> 0;
    dl = (((l << 21) | (h >>> 11)) ^ al) >>> 0;
    lo = cl + bl; // v2 += v1
    ch = (ch + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    cl = lo >>> 0;
    h = bh; l = bl; // v1 = rotl(v1, 17) ^ v2
    bh = (((h << 17) | (l >>> 15)) ^ ch) >>> 0;
    bl = (((l << 17) | (h >>> 15)) ^ cl) >>> 0;
    h = ch; ch = cl; cl = h; // v2 = rotl(v2, 32)
  }
  return ((al ^ bl) ^ (cl ^ dl)) >>> 0;
}
