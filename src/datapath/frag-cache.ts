// The fragment policy's memory: a first fragment (MF set, offset 0, ports present) is scheduled
// like any packet and remembered by (proto, src, dst, IP id); later fragments of the same
// datagram follow its connection. A bounded, direct-mapped cache of typed arrays (global_defs
// frag_cache_size slots): a collision evicts the older datagram (counted: its later fragments
// become orphans), entries live FRAG_TTL_S (Linux's ipfrag_time), nothing allocates. Slots come
// from the keyed flow hash, so nobody can aim fragments at another datagram's slot.

import { flowHash, type FlowHashKey } from '../native/flow-hash.js';

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

  private slot(proto: number, src: number, dst: number, ipId: number): number {
    // Lemire's fastrange, as ConnTable's slots: any size, no division.
    return Math.floor((flowHash(this.k0, this.k1, proto, src, ipId, dst, 0) >>> 0) * this.slots * 2.3283064365386963e-10);
  }

  private matches(i: number, proto: number, src: number, dst: number, ipId: number): boolean {
    return this.src[i] === src && this.dst[i] === dst && this.key[i] === (((proto << 16) | ipId) >>> 0);
  }
}
