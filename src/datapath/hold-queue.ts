// The bounded queue of frames waiting for a next hop's MAC: which native hold slots wait on
// which address, the verdict each will get once the MAC is known, and their age.

import { Action, Verdict } from '../native/layout.generated.js';

export interface HoldQueueOptions {
  slots: number;
  verdictWords: number;
  /** Most frames waiting on one address (Linux keeps a few per neighbour, too). */
  perAddress: number;
}

export class HoldQueue {
  /** The verdict each held frame gets on release (MAC words filled in then). */
  readonly pending: Uint32Array;
  private readonly free: number[] = [];
  private readonly heldAt: Float64Array;
  private readonly waiting = new Map<number, number[]>();

  constructor(private readonly options: HoldQueueOptions) {
    this.pending = new Uint32Array(options.slots * options.verdictWords);
    this.heldAt = new Float64Array(options.slots);
    for (let s = options.slots - 1; s >= 0; s--) this.free.push(s);
  }

  get held(): number {
    return this.options.slots - this.free.length;
  }

  /** Frames it can keep at once. */
  get capacity(): number {
    return this.options.slots;
  }

  /** Frames it keeps at most for one address. */
  get perAddress(): number {
    return this.options.perAddress;
  }

  /**
   * Reserves a slot for a frame waiting on addr (at most `limit` per address, default the
   * queue's perAddress); -1 when the queue or the address is full.
   */
  hold(addr: number, nowMs: number, limit = this.options.perAddress): number {
    let list = this.waiting.get(addr);
    if (list && list.length >= limit) return -1;
    const slot = this.free.pop();
    if (slot === undefined) return -1;
    if (!list) {
      list = [];
      this.waiting.set(addr, list);
    }
    list.push(slot);
    this.heldAt[slot] = nowMs;
    return slot;
  }

  /**
   * Parks the frame whose verdict is at vb in verdict: reserves a slot for addr, keeps the
   * verdict it will get as pending, and turns vb into a HOLD of that slot. Returns the slot, or
   * -1 (verdict untouched) as hold() does.
   */
  park(addr: number, nowMs: number, verdict: Uint32Array, vb: number, limit = this.options.perAddress): number {
    const slot = this.hold(addr, nowMs, limit);
    if (slot < 0) return -1;
    const words = this.options.verdictWords;
    this.pending.set(verdict.subarray(vb, vb + words), slot * words);
    verdict[vb + Verdict.ACTION] = Action.HOLD;
    verdict[vb + Verdict.SLOT] = slot;
    return slot;
  }

  /** Takes every slot waiting on addr (in arrival order) off the queue. */
  take(addr: number): number[] {
    const list = this.waiting.get(addr) ?? [];
    this.waiting.delete(addr);
    for (const slot of list) this.free.push(slot);
    return list;
  }

  /** Drops frames held longer than maxAgeMs; returns how many. */
  expire(nowMs: number, maxAgeMs: number): number {
    let dropped = 0;
    for (const [addr, list] of this.waiting) {
      const keep = list.filter((slot) => nowMs - this.heldAt[slot]! < maxAgeMs);
      dropped += list.length - keep.length;
      for (const slot of list) if (!keep.includes(slot)) this.free.push(slot);
      if (keep.length) this.waiting.set(addr, keep);
      else this.waiting.delete(addr);
    }
    return dropped;
  }
}
