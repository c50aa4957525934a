// When a master sends gratuitous ARP, keepalived's schedule: garp_master_repeat rounds on taking
// over and again after garp_master_delay, a refresh every garp_master_refresh, and the
// garp_lower_prio_* sets after hearing a lower priority master. Times in µs.

import type { GarpSpec } from './vrrp-types.js';

interface Pending {
  atUs: number;
  rounds: number;
  /** Set for the refresh, which re-arms itself. */
  everyUs: number;
}

export class GarpSchedule {
  private pending: Pending[] = [];

  constructor(private readonly spec: GarpSpec) {}

  /** Becoming master: the rounds to send now; the delayed set and the refresh are armed. */
  onMaster(nowUs: number): number {
    const delayUs = this.spec.masterDelayMs * 1000;
    if (delayUs > 0) this.arm(nowUs + delayUs, this.spec.masterRepeat, 0);
    const refreshUs = this.spec.masterRefreshMs * 1000;
    if (refreshUs > 0) this.arm(nowUs + delayUs + refreshUs, this.spec.masterRefreshRepeat, refreshUs);
    return this.spec.masterRepeat;
  }

  /** Heard a lower priority master: the rounds to send now; its delayed set is armed. */
  onLowerPriority(nowUs: number): number {
    const delayUs = this.spec.lowerPrioDelayMs * 1000;
    if (delayUs > 0 && this.spec.lowerPrioRepeat > 0) this.arm(nowUs + delayUs, this.spec.lowerPrioRepeat, 0);
    return this.spec.lowerPrioRepeat;
  }

  /** Leaving master: nothing more is sent. */
  cancel(): void {
    this.pending = [];
  }

  nextUs(): number | null {
    return this.pending.reduce<number | null>((min, p) => (min === null || p.atUs < min ? p.atUs : min), null);
  }

  /** Rounds due at nowUs, in due order; refreshes re-arm. */
  takeDue(nowUs: number): number[] {
    const due = this.pending.filter((p) => p.atUs <= nowUs).sort((a, b) => a.atUs - b.atUs);
    this.pending = this.pending.filter((p) => p.atUs > nowUs);
    for (const p of due) if (p.everyUs > 0) this.arm(p.atUs + p.everyUs, p.rounds, p.everyUs);
    return due.map((p) => p.rounds);
  }

  private arm(atUs: number, rounds: number, everyUs: number): void {
    if (rounds > 0) this.pending.push({ atUs, rounds, everyUs });
  }
}
