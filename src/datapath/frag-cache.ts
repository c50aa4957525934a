// The fragment policy's memory: a first fragment (MF set, offset 0, ports present) is scheduled
// like any packet and remembered by (proto, src, dst, IP id); later fragments of the same
// datagram follow its connection. A bounded, direct-mapped cache of typed arrays (global_defs
// frag_cache_size slots): a collision evicts the older datagram (counted: its later fragments
// become orphans), entries live FRAG_TTL_S (Linux's ipfrag_time), nothing allocates. Slots come
// from the keyed flow hash, so nobody can aim fragments at another datagram's slot.

import { flowHash, flowHash6, type FlowHashKey } from '../native/flow-hash.js';
import { Meta } from '../native/layout.generated.js';

const FRAG_TTL_S = 30;

export class FragCache {
  readonly slots: number;
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  private readonly key: Uint32Array;   // proto << 16 | IP id
  private readonly entry: Int32Array;  // tagged conn (entry << 1 | key kind)
  private readonly expires: Uint32Array;
  private readonly k0: number;
  private readonly k1: number;
  /** Datagrams still alive forgotten for a newer one in their slot (the cache was too small). */
  evicted = 0;
  /**
   * IPv6 datagrams, by (proto, source, destination, 32-bit identification): the same number of
   * slots, made at the first IPv6 first fragment. Addresses 4 words per slot; key proto, id the identification.
   */
  private src6 = new Uint32Array(0);
  private dst6 = new Uint32Array(0);
  private key6 = new Uint32Array(0);
  private id6 = new Uint32Array(0);
  private entry6 = new Int32Array(0);
  private expires6 = new Uint32Array(0);

  constructor(hashKey: FlowHashKey, slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`fragment cache size must be a positive integer, got ${slots}`);
    this.slots = slots;
    this.src = new Uint32Array(slots);
    this.dst = new Uint32Array(slots);
    this.key = new Uint32Array(slots);
    this.entry = new Int32Array(slots).fill(-1);
    this.expires = new Uint32Array(slots);
    this.k0 = hashKey[0]! | 0; // int32: passed to flowHash unboxed
    this.k1 = hashKey[1]! | 0;
  }

  remember(proto: number, src: number, dst: number, ipId: number, tagged: number, nowSec: number): void {
    const i = this.slot(proto, src, dst, ipId);
    if (this.entry[i]! >= 0 && this.expires[i]! > nowSec && !this.matches(i, proto, src, dst, ipId)) this.evicted++;
    this.src[i] = src;
    this.dst[i] = dst;
    this.key[i] = ((proto << 16) | ipId) >>> 0;
    this.entry[i] = tagged;
    this.expires[i] = nowSec + FRAG_TTL_S;
  }

  /**
   * The tagged connection of this datagram's first fragment, or -1 (an orphan). The entry may
   * have been freed and reused since: the caller checks it still belongs to src.
   */
  find(proto: number, src: number, dst: number, ipId: number, nowSec: number): number {
    const i = this.slot(proto, src, dst, ipId);
    const tagged = this.entry[i] ?? -1;
    if (tagged < 0 || (this.expires[i] ?? 0) <= nowSec || !this.matches(i, proto, src, dst, ipId)) return -1;
    return tagged;
  }

  /** remember for the IPv6 first fragment at mb of meta (addresses and identification read from it). */
  remember6(proto: number, meta: Uint32Array, mb: number, tagged: number, nowSec: number): void {
    if (this.entry6.length === 0) this.make6();
    const i = this.slot6(proto, meta, mb);
    if (this.entry6[i]! >= 0 && this.expires6[i]! > nowSec && !this.matches6(i, proto, meta, mb)) this.evicted++;
    for (let k = 0; k < 4; k++) {
      this.src6[4 * i + k] = meta[mb + Meta.SRC_IP6_0 + k]!;
      this.dst6[4 * i + k] = meta[mb + Meta.DST_IP6_0 + k]!;
    }
    this.key6[i] = proto;
    this.id6[i] = meta[mb + Meta.IP_ID]!;
    this.entry6[i] = tagged;
    this.expires6[i] = nowSec + FRAG_TTL_S;
  }

  /** find for the IPv6 later fragment at mb of meta; -1 for an orphan (the caller checks the entry still belongs to its source). */
  find6(proto: number, meta: Uint32Array, mb: number, nowSec: number): number {
    if (this.entry6.length === 0) return -1;
    const i = this.slot6(proto, meta, mb);
    const tagged = this.entry6[i] ?? -1;
    if (tagged < 0 || (this.expires6[i] ?? 0) <= nowSec || !this.matches6(i, proto, meta, mb)) return -1;
    return tagged;
  }

  private make6(): void {
    const n = this.slots;
    this.src6 = new Uint32Array(4 * n);
    this.dst6 = new Uint32Array(4 * n);
    this.key6 = new Uint32Array(n);
    this.id6 = new Uint32Array(n);
    this.entry6 = new Int32Array(n).fill(-1);
    this.expires6 = new Uint32Array(n);
  }

  /** The identification's halves stand in for the ports of the IPv6 flow hash. */
  private slot6(proto: number, meta: Uint32Array, mb: number): number {
    const id = meta[mb + Meta.IP_ID]!;
    const h = flowHash6(this.k0, this.k1, proto, meta, mb + Meta.SRC_IP6_0, id >>> 16, meta, mb + Meta.DST_IP6_0, id & 0xffff);
    return Math.floor((h >>> 0) * this.slots * 2.3283064365386963e-10);
  }

  private matches6(i: number, proto: number, meta: Uint32Array, mb: number): boolean {
    if (this.key6[i] !== proto || this.id6[i] !== meta[mb + Meta.IP_ID]) return false;
    for (let k = 0; k < 4; k++) {
      if (this.src6[4 * i + k] !== meta[mb + Meta.SRC_IP6_0 + k] || this.dst6[4 * i + k] !== meta[mb + Meta.DST_IP6_0 + k]) return false;
    }
    return true;
  }

  private slot(proto: number, src: number, dst: number, ipId: number): number {
    // Lemire's fastrange, as ConnTable's slots: any size, no division.
    return Math.floor((flowHash(this.k0, this.k1, proto, src, ipId, dst, 0) >>> 0) * this.slots * 2.3283064365386963e-10);
  }

  private matches(i: number, proto: number, src: number, dst: number, ipId: number): boolean {
    return this.src[i] === src && this.dst[i] === dst && this.key[i] === (((proto << 16) | ipId) >>> 0);
  }
}
