// The fragment policy's memory: a first fragment (MF set, offset 0, ports present) is scheduled
// like any packet and remembered by (proto, src, dst, IP id); later fragments of the same
// datagram follow its connection. A bounded, direct-mapped cache of typed arrays: a collision
// evicts the older datagram, entries live FRAG_TTL_S (Linux's ipfrag_time), nothing allocates.
// Slots come from the keyed flow hash, so nobody can aim fragments at another datagram's slot.

import { flowHash, type FlowHashKey } from '../native/flow-hash.js';

const SLOTS = 4096;
const FRAG_TTL_S = 30;

export class FragCache {
  private readonly src = new Uint32Array(SLOTS);
  private readonly dst = new Uint32Array(SLOTS);
  private readonly key = new Uint32Array(SLOTS);   // proto << 16 | IP id
  private readonly entry = new Int32Array(SLOTS).fill(-1);  // tagged conn (entry << 1 | key kind)
  private readonly expires = new Uint32Array(SLOTS);
  private readonly k0: number;
  private readonly k1: number;

  constructor(hashKey: FlowHashKey) {
    this.k0 = hashKey[0]! | 0; // int32: passed to flowHash unboxed
    this.k1 = hashKey[1]! | 0;
  }

  remember(proto: number, src: number, dst: number, ipId: number, tagged: number, nowSec: number): void {
    const i = this.slot(proto, src, dst, ipId);
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
    return flowHash(this.k0, this.k1, proto, src, ipId, dst, 0) & (SLOTS - 1);
  }

  private matches(i: number, proto: number, src: number, dst: number, ipId: number): boolean {
    return this.src[i] === src && this.dst[i] === dst && this.key[i] === (((proto << 16) | ipId) >>> 0);
  }
}
