// One VRRP instance (vrrp_instance) as a step function over an injected clock and transport:
// INIT, BACKUP, MASTER, FAULT and STOP with RFC 3768/5798 timers and keepalived's choices
// (preempt_delay, priority-0 resignation, equal-priority tie broken by the higher address, the
// backup learning the master's v3 interval, tracker weights and faults, sync groups, GARP sets)
// and director's sync-aware preemption (a backup about to take over from a live lower-priority
// master first asks it for its connection table and holds, boundedly, until it has it).
// No socket and no sleep: the owner calls step() with inputs and again at nextDeadline().

import type { Clock } from '../sched/types.js';
import { GarpSchedule } from './vrrp-garp.js';
import { PRIORITY_OWNER, PRIORITY_STOP } from './vrrp-packet.js';
import type { SyncMember, VrrpSyncGroup } from './vrrp-sync-group.js';
import { csToUs, initialMasterWaitUs, masterDownUs, skewUs } from './vrrp-timers.js';
import { TrackerSet } from './vrrp-trackers.js';
import type { HeardAdvert, PreemptEvent, VrrpAddr, VrrpInput, VrrpInstanceSpec, VrrpNotify, VrrpState, VrrpTransport } from './vrrp-types.js';

export class VrrpInstance implements SyncMember {
  state: VrrpState = 'INIT';
  /** The master last heard as backup (address and priority), null when none. */
  master: { ip: VrrpAddr; priority: number } | null = null;
  private started = false;
  /** µs: the next advert (MASTER) or the master-down expiry (BACKUP); null when idle. */
  private deadlineUs: number | null = null;
  private masterIntervalCs: number;
  private preemptAtUs: number | null = null;
  private wantMaster = false;
  private priority: number;
  private ownFault = false;
  private readonly trackers: TrackerSet;
  private readonly garp: GarpSchedule;
  private group: VrrpSyncGroup | null = null;
  /** The lower-priority master last heard (and ignored) as BACKUP: what a preemption takes over from. */
  private lowerMaster: { ip: VrrpAddr; heardUs: number } | null = null;
  /** A preemption held until the connection table arrives (preemptHoldMs), µs. */
  private hold: { masterIp: VrrpAddr; sinceUs: number; untilUs: number } | null = null;

  constructor(
    readonly spec: VrrpInstanceSpec,
    private readonly clock: Clock,
    private readonly transport: VrrpTransport,
    private readonly notify: VrrpNotify,
  ) {
    this.masterIntervalCs = spec.intervalCs;
    this.priority = spec.priority;
    this.trackers = new TrackerSet(spec.priority, spec.trackers);
    this.garp = new GarpSchedule(spec.garp);
  }

  /** Joins a sync group (before start). */
  joinGroup(group: VrrpSyncGroup): void {
    this.group = group;
    group.add(this);
  }

  get effectivePriority(): number {
    return this.priority;
  }

  get wantsMaster(): boolean {
    return this.state === 'MASTER' || this.wantMaster;
  }

  /** The Master_Adver_Interval in use (v3 backups learn the master's), centiseconds. */
  get masterAdvertIntervalCs(): number {
    return this.masterIntervalCs;
  }

  /** When step({ kind: 'timer' }) is next due, clock ms; null when nothing is pending. */
  nextDeadline(): number | null {
    const garp = this.garp.nextUs();
    const next = garp === null ? this.deadlineUs : this.deadlineUs === null ? garp : Math.min(garp, this.deadlineUs);
    return next === null ? null : next / 1000;
  }

  step(input: VrrpInput): void {
    if (this.state === 'STOP') return;
    switch (input.kind) {
      case 'start':
        if (!this.started) {
          this.started = true;
          this.leaveInit();
        }
        return;
      case 'timer':
        return this.onTimer();
      case 'advert':
        if (this.state === 'BACKUP') this.backupHeard(input.advert);
        else if (this.state === 'MASTER') this.masterHeard(input.advert);
        return;
      case 'tracker':
        return this.onTracker(input.name, input.up);
      case 'stop':
        return this.stop();
      case 'table-ready':
        if (this.state === 'BACKUP' && this.hold !== null) this.preempt('ready');
        return;
    }
  }

  private nowUs(): number {
    return Math.round(this.clock.now() * 1000);
  }

  private masterDown(): number {
    return masterDownUs(this.spec.version, this.skewPriority(), this.masterIntervalCs);
  }

  /** keepalived skews by the effective priority, except that an owner always counts as 255. */
  private skewPriority(): number {
    return this.spec.priority === PRIORITY_OWNER ? PRIORITY_OWNER : this.priority;
  }

  /** Priority 255 and state MASTER: takes over at start without waiting. */
  get ownerAtStart(): boolean {
    return this.spec.priority === PRIORITY_OWNER && this.spec.initialState === 'MASTER';
  }

  /**
   * keepalived's start: an owner configured MASTER takes over at once (in a sync group only if
   * every member is one); any other instance waits a whole master-down interval, `state MASTER`
   * included (keepalived 2.2.7 does, and the capture's timings show it), except a member
   * configured MASTER in a sync group that starts as BACKUP, which waits one interval plus the
   * smallest skew.
   */
  private leaveInit(): void {
    const v = this.trackers.verdict();
    this.priority = v.effectivePriority;
    if (v.pending) return;
    if (v.fault) return this.ownFaultStarts();
    if (this.ownerAtStart && (!this.group || this.group.startsMaster())) return this.gotoMaster();
    const heldByGroup = this.group !== null && this.spec.initialState === 'MASTER';
    this.enterBackup(heldByGroup ? initialMasterWaitUs(this.spec.version, this.spec.intervalCs) : this.masterDown());
  }

  private onTimer(): void {
    const now = this.nowUs();
    for (const rounds of this.garp.takeDue(now)) this.transport.sendGratuitousArps(rounds);
    if (this.deadlineUs === null || this.deadlineUs > now) return;
    if (this.state === 'MASTER') {
      this.advertise(this.priority);
    } else if (this.state === 'BACKUP') {
      if (this.hold !== null) return this.preempt(now >= this.hold.untilUs ? 'timeout' : 'master-down');
      if (this.preemptsLiveMaster(now)) return this.startHold(now);
      this.wantMaster = true;
      this.gotoMaster();
    }
  }

  /**
   * The master-down timer ran out while a lower-priority master is still advertising: this is a
   * preemption, not a takeover from a dead master, and it waits for the table when asked to.
   */
  private preemptsLiveMaster(now: number): boolean {
    return this.spec.preemptHoldMs > 0 && this.lowerMaster !== null && now - this.lowerMaster.heardUs < this.masterDown();
  }

  /** Asks the live master for its table; preempts on table-ready, at the bound, or when it falls silent. */
  private startHold(now: number): void {
    const lower = this.lowerMaster!;
    this.hold = { masterIp: lower.ip, sinceUs: now, untilUs: now + this.spec.preemptHoldMs * 1000 };
    this.transport.requestTable(lower.ip);
    this.emitPreempt('hold');
    this.deadlineUs = Math.min(this.hold.untilUs, lower.heardUs + this.masterDown());
  }

  private preempt(phase: 'ready' | 'timeout' | 'master-down'): void {
    this.endHold(phase);
    this.wantMaster = true;
    this.gotoMaster();
  }

  private endHold(phase: PreemptEvent['phase']): void {
    if (this.hold === null) return;
    this.emitPreempt(phase);
    this.hold = null;
    this.lowerMaster = null;
  }

  private gotoMaster(): void {
    if (this.group && !this.group.canGoMaster(this)) {
      // Held back by the group: wait a whole master-down again, still wanting MASTER.
      this.deadlineUs = this.nowUs() + this.masterDown();
      return;
    }
    this.becomeMaster();
    this.group?.memberMaster(this);
  }

  /** Advert first, so the old master drops the VIPs before our gratuitous ARPs (keepalived). */
  private becomeMaster(): void {
    this.endHold('dropped');
    const previous = this.state;
    this.state = 'MASTER';
    this.masterIntervalCs = this.spec.intervalCs;
    this.master = null;
    this.advertise(this.priority);
    this.transport.sendGratuitousArps(this.garp.onMaster(this.nowUs()));
    this.emit(previous);
  }

  /** Sends an advert and restarts the advert timer. */
  private advertise(priority: number): void {
    this.transport.sendAdvert(priority);
    this.deadlineUs = this.nowUs() + csToUs(this.spec.intervalCs);
  }

  private enterBackup(waitUs: number): void {
    const previous = this.state;
    this.state = 'BACKUP';
    this.masterIntervalCs = this.spec.intervalCs;
    this.preemptAtUs = null;
    this.lowerMaster = null;
    this.deadlineUs = this.nowUs() + waitUs;
    this.emit(previous);
    this.group?.memberBackup(this);
  }

  private leaveMaster(resign: boolean): void {
    this.garp.cancel();
    this.wantMaster = false;
    if (resign) this.transport.sendAdvert(PRIORITY_STOP);
  }

  private backupHeard(a: HeardAdvert): void {
    const now = this.nowUs();
    if (a.priority === PRIORITY_STOP) {
      // The master resigned (its pending sync sent first): take over after one skew time only.
      this.endHold('master-down');
      this.lowerMaster = null;
      this.deadlineUs = now + skewUs(this.spec.version, this.skewPriority(), this.masterIntervalCs);
      return;
    }
    const delaying = this.spec.preemptDelayMs > 0 && (this.preemptAtUs === null || this.preemptAtUs > now);
    if (this.spec.preempt && a.priority < this.priority && !delaying) {
      // Ignored: our timer runs on. Remembered: it is alive, so expiry means preempting it.
      this.lowerMaster = { ip: a.src, heardUs: now };
      if (this.hold !== null && this.hold.masterIp === a.src) this.deadlineUs = Math.min(this.hold.untilUs, now + this.masterDown());
      return;
    }
    this.endHold('dropped');
    this.lowerMaster = null;
    if (this.spec.version === 3) this.masterIntervalCs = a.intervalCs;
    this.master = { ip: a.src, priority: a.priority };
    this.wantMaster = false;
    this.deadlineUs = now + this.masterDown();
    if (this.spec.preemptDelayMs <= 0) return;
    if (a.priority >= this.priority) this.preemptAtUs = null;
    else if (this.preemptAtUs === null) this.preemptAtUs = now + this.spec.preemptDelayMs * 1000;
  }

  private masterHeard(a: HeardAdvert): void {
    const theirsHigher = a.src > this.spec.primaryIp;
    if (a.priority === PRIORITY_STOP) return this.advertise(this.priority);
    if (a.priority < this.priority || (a.priority === this.priority && a.src < this.spec.primaryIp)) {
      // A lower master (say, after a partition): answer it so it yields, and refresh ARP caches.
      if (!this.spec.lowerPrioNoAdvert) this.advertise(this.priority);
      this.transport.sendGratuitousArps(this.garp.onLowerPriority(this.nowUs()));
      return;
    }
    if (a.priority === this.priority && !theirsHigher) return; // our own address: nothing to decide
    if (this.spec.higherPrioSendAdvert) this.transport.sendAdvert(this.priority);
    this.transport.handOver(a.src);
    this.leaveMaster(false);
    if (this.spec.version === 3) this.masterIntervalCs = a.intervalCs;
    this.master = { ip: a.src, priority: a.priority };
    const previous = this.state;
    this.state = 'BACKUP';
    this.deadlineUs = this.nowUs() + this.masterDown();
    this.emit(previous);
    this.group?.memberBackup(this);
  }

  private onTracker(name: string, up: boolean): void {
    if (!this.trackers.set(name, up) || !this.started) return;
    const v = this.trackers.verdict();
    const oldDown = this.masterDown();
    this.priority = v.effectivePriority;
    if (this.state === 'INIT') return this.leaveInit();
    if (v.fault && !this.ownFault) return this.ownFaultStarts();
    if (!v.fault && this.ownFault) return this.ownFaultEnds();
    // A new priority moves the backup's master-down expiry by the change in skew (keepalived).
    if (this.state === 'BACKUP' && this.deadlineUs !== null) this.deadlineUs += this.masterDown() - oldDown;
  }

  private ownFaultStarts(): void {
    this.ownFault = true;
    this.enterFault();
    this.group?.memberFault(this);
  }

  private ownFaultEnds(): void {
    this.ownFault = false;
    if (this.group && !this.group.memberFaultCleared(this)) return;
    this.leaveFault();
  }

  private enterFault(): void {
    if (this.state === 'FAULT') return;
    this.endHold('dropped');
    const previous = this.state;
    if (previous === 'MASTER') this.leaveMaster(true);
    this.state = 'FAULT';
    this.deadlineUs = null;
    this.master = null;
    this.emit(previous);
  }

  /** Out of FAULT: an owner configured MASTER comes back after one interval, others as backups. */
  private leaveFault(): void {
    const intervalUs = csToUs(this.spec.intervalCs);
    this.enterBackup(this.ownerAtStart ? intervalUs + skewUs(this.spec.version, PRIORITY_OWNER, this.spec.intervalCs) : this.masterDown());
  }

  forceMaster(): void {
    if (this.state === 'BACKUP') this.becomeMaster();
  }

  forceBackup(): void {
    if (this.state === 'MASTER') {
      this.leaveMaster(false);
      const previous = this.state;
      this.state = 'BACKUP';
      this.deadlineUs = this.nowUs() + this.masterDown();
      this.emit(previous);
    } else if (this.state === 'FAULT' && !this.ownFault) {
      this.leaveFault();
    }
  }

  forceFault(): void {
    if (this.state === 'MASTER' || this.state === 'BACKUP') this.enterFault();
  }

  private stop(): void {
    this.endHold('dropped');
    const previous = this.state;
    if (previous === 'MASTER') this.leaveMaster(true);
    this.state = 'STOP';
    this.deadlineUs = null;
    this.garp.cancel();
    this.emit(previous);
  }

  private emitPreempt(phase: PreemptEvent['phase']): void {
    const hold = this.hold!;
    const heldMs = phase === 'hold' ? 0 : (this.nowUs() - hold.sinceUs) / 1000;
    this.notify({ kind: 'preempt', name: this.spec.name, phase, masterIp: hold.masterIp, heldMs, waitMs: this.spec.preemptHoldMs });
  }

  private emit(previous: VrrpState): void {
    this.notify({ kind: 'instance', name: this.spec.name, state: this.state, previous, priority: this.priority });
  }
}
