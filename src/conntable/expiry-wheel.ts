// Connection expiry without scanning the table: a one-second timing wheel of doubly linked
// lists in typed arrays. Traffic that extends a deadline costs one store (the wheel re-files
// lazily when the entry's slot comes round); a deadline moved earlier (a FIN after a long
// established timeout) re-files at once so nothing expires late.

const NONE = -1;
const SLOTS = 1024; // a power of two above the longest common timeout (tcp 900 s)

export class ExpiryWheel {
  /** Absolute deadline of each entry, in seconds. */
  readonly deadline: Uint32Array;
  /** The second whose slot holds the entry (deadline or earlier). */
  private readonly filedAt: Uint32Array;
  /**
   * Forward links. An entry is on one list at a time: a wheel slot while it lives, the owner's
   * free list otherwise, so the owner may use the links of entries it has not scheduled.
   */
  readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly heads = new Int32Array(SLOTS).fill(NONE);
  private lastTick: number;

  constructor(capacity: number, nowSeconds: number) {
    this.deadline = new Uint32Array(capacity);
    this.filedAt = new Uint32Array(capacity);
    this.next = new Int32Array(capacity).fill(NONE);
    this.prev = new Int32Array(capacity).fill(NONE);
    this.lastTick = Math.floor(nowSeconds);
  }

  /** Files a new entry under its deadline. */
  schedule(entry: number, deadline: number): void {
    this.deadline[entry] = deadline;
    this.link(entry, deadline);
  }

  /** Sets an entry's deadline; only an earlier one than its slot needs relinking. */
  touch(entry: number, deadline: number): void {
    this.deadline[entry] = deadline;
    if (deadline < this.filedAt[entry]!) {
      this.unlink(entry);
      this.link(entry, deadline);
    }
  }

  /**
   * Walks every slot from the last tick up to now; entries due are handed to onExpire (which
   * frees them), the rest are re-filed under their deadline. Returns the number expired.
   */
  advance(nowSeconds: number, onExpire: (entry: number) => void): number {
    const now = Math.floor(nowSeconds);
    if (now <= this.lastTick) return 0;
    // After a long pause one full turn visits every slot once.
    const from = Math.max(this.lastTick + 1, now - SLOTS + 1);
    this.lastTick = now;
    let expired = 0;
    for (let t = from; t <= now; t++) {
      const slot = t & (SLOTS - 1);
      let e = this.heads[slot]!;
      this.heads[slot] = NONE;
      while (e !== NONE) {
        const following = this.next[e]!;
        this.next[e] = NONE;
        this.prev[e] = NONE;
        if (this.deadline[e]! <= now) {
          onExpire(e);
          expired++;
        } else {
          this.link(e, this.deadline[e]!);
        }
        e = following;
      }
    }
    return expired;
  }

  private link(entry: number, deadline: number): void {
    // An entry already due is filed one second ahead so the next advance sees it.
    const at = Math.max(deadline, this.lastTick + 1);
    const slot = at & (SLOTS - 1);
    const head = this.heads[slot]!;
    this.filedAt[entry] = at;
    this.prev[entry] = NONE;
    this.next[entry] = head;
    if (head !== NONE) this.prev[head] = entry;
    this.heads[slot] = entry;
  }

  /** Takes an entry off the wheel (it is expired by its owner now, not by the wheel). */
  cancel(entry: number): void {
    this.unlink(entry);
  }

  private unlink(entry: number): void {
    const p = this.prev[entry]!;
    const n = this.next[entry]!;
    if (p !== NONE) this.next[p] = n;
    else this.heads[this.filedAt[entry]! & (SLOTS - 1)] = n;
    if (n !== NONE) this.prev[n] = p;
    this.next[entry] = NONE;
    this.prev[entry] = NONE;
  }
}
