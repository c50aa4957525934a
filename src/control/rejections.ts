// What the control socket turned down, counted by reason: every error line it answered (its
// code) and every client it cut off without one ('unread': it stopped reading a long answer).
// Shown in the daemon's stats, so abuse of the socket is visible, not only survived.

import type { ErrorCode } from './protocol.js';

export type RejectionReason = ErrorCode | 'unread';

export class ControlRejections {
  private readonly counts = new Map<RejectionReason, number>();

  add(reason: RejectionReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /** Every rejection so far. */
  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** Non-zero counters by reason, for stats. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
