// A vrrp_sync_group: its instances change state together, keepalived's way. One going FAULT
// takes all to FAULT (until every member's own fault is gone); one yielding to a better master
// takes all to BACKUP; none becomes MASTER until every member wants to (its master-down timer
// ran out), which avoids thrashing, and then all become MASTER at once.

import type { VrrpNotify, VrrpState } from './vrrp-types.js';

/** What the group needs from a member instance. */
export interface SyncMember {
  readonly state: VrrpState;
  /** MASTER, or BACKUP whose master-down timer expired while the group held it back. */
  readonly wantsMaster: boolean;
  /** Configured priority 255 and state MASTER. */
  readonly ownerAtStart: boolean;
  forceMaster(): void;
  forceBackup(): void;
  forceFault(): void;
}

export class VrrpSyncGroup {
  state: VrrpState = 'INIT';
  private readonly members: SyncMember[] = [];
  /** Members with a fault of their own (trackers), not one the group imposed. */
  private readonly faulty = new Set<SyncMember>();

  constructor(readonly name: string, private readonly notify: VrrpNotify) {}

  add(member: SyncMember): void {
    this.members.push(member);
  }

  canGoMaster(member: SyncMember): boolean {
    if (this.faulty.size > 0) return false;
    return this.state === 'MASTER' || this.members.every((m) => m === member || m.wantsMaster);
  }

  /** keepalived starts a group as MASTER only when every member is an owner configured MASTER. */
  startsMaster(): boolean {
    return this.members.every((m) => m.ownerAtStart);
  }

  memberMaster(member: SyncMember): void {
    this.settle(member, 'MASTER', (m) => m.state !== 'MASTER', (m) => m.forceMaster());
  }

  memberBackup(member: SyncMember): void {
    if (this.faulty.size > 0) return;
    this.settle(member, 'BACKUP', (m) => m.state === 'MASTER' || m.state === 'FAULT', (m) => m.forceBackup());
  }

  memberFault(member: SyncMember): void {
    this.faulty.add(member);
    this.settle(member, 'FAULT', (m) => m.state !== 'FAULT', (m) => m.forceFault());
  }

  /** A member's own fault cleared; the group leaves FAULT when it was the last one. */
  memberFaultCleared(member: SyncMember): boolean {
    this.faulty.delete(member);
    if (this.faulty.size > 0) return false;
    this.settle(member, 'BACKUP', (m) => m.state === 'FAULT', (m) => m.forceBackup());
    return true;
  }

  private settle(from: SyncMember, state: VrrpState, needs: (m: SyncMember) => boolean, apply: (m: SyncMember) => void): void {
    if (this.state === state) return;
    const previous = this.state;
    this.state = state;
    for (const m of this.members) if (m !== from && needs(m)) apply(m);
    this.notify({ kind: 'group', name: this.name, state, previous });
  }
}
