// What the VRRP state machine is given (a resolved instance spec), what it drives (transport,
// events) and what it is fed (step inputs): the narrow interfaces the engine implements later
// and tests fake.

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/**
 * A router's address: IPv4 as a host-order number, IPv6 as a bigint (128 bits, first byte most
 * significant). An instance uses one family; comparisons (the equal-priority tie) stay in it.
 */
export type VrrpAddr = number | bigint;

/** How a tracked object (interface or script) moves the priority, keepalived semantics. */
export interface TrackerSpec {
  /** 'if:eth0' or 'script:chk_haproxy'. */
  name: string;
  /** 0: a failure is a FAULT; otherwise -253..253 added while up (>0) or while down (<0). */
  weight: number;
  /** keepalived `reverse`: the weight counts with the opposite sign (and weight 0 faults when up). */
  reverse: boolean;
}

/** Gratuitous ARP policy (keepalived garp_* keywords), times in ms. */
export interface GarpSpec {
  /** Rounds over all VIPs on becoming master (garp_master_repeat, default 5). */
  masterRepeat: number;
  /** Delay of the second set (garp_master_delay, default 5 s; 0 = none). */
  masterDelayMs: number;
  /** Periodic refresh while master (garp_master_refresh, default 0 = off). */
  masterRefreshMs: number;
  /** Rounds per refresh (garp_master_refresh_repeat, default 1). */
  masterRefreshRepeat: number;
  /** Rounds after hearing a lower priority master (garp_lower_prio_repeat, default masterRepeat). */
  lowerPrioRepeat: number;
  /** Delay of its second set (garp_lower_prio_delay, default masterDelayMs). */
  lowerPrioDelayMs: number;
}

export interface VrrpInstanceSpec {
  name: string;
  version: 2 | 3;
  vrid: number;
  /** Configured priority 1..255 (255: address owner). */
  priority: number;
  /** Advert interval, centiseconds (v2: whole seconds times 100). */
  intervalCs: number;
  /** `state MASTER` (take over after one interval if nobody else is master) or BACKUP. */
  initialState: 'MASTER' | 'BACKUP';
  /** False with `nopreempt`. */
  preempt: boolean;
  /** preempt_delay in ms, 0 = none. */
  preemptDelayMs: number;
  /** Our primary address (advert source; IPv6: the link-local one): breaks equal-priority ties. */
  primaryIp: VrrpAddr;
  trackers: TrackerSpec[];
  garp: GarpSpec;
  /** keepalived vrrp_lower_prio_no_advert: as master, do not answer a lower priority advert. */
  lowerPrioNoAdvert: boolean;
  /** keepalived vrrp_higher_prio_send_advert: as master, send one advert before yielding. */
  higherPrioSendAdvert: boolean;
  /**
   * Sync-aware preemption (director's preempt_sync_wait), ms: before taking over from a live
   * lower-priority master, ask it for its connection table (transport.requestTable) and wait at
   * most this long for step({ kind: 'table-ready' }). 0: preempt at once, as keepalived.
   */
  preemptHoldMs: number;
}

/** The side effects of one instance; the engine sends through its port, tests record. */
export interface VrrpTransport {
  /** One advert of this instance with the given priority (0 = resigning). */
  sendAdvert(priority: number): void;
  /**
   * `rounds` rounds of gratuitous ARP (IPv6: unsolicited neighbour advertisements), each one per
   * virtual address, in config order.
   */
  sendGratuitousArps(rounds: number): void;
  /** Asks the lower-priority master at masterIp for its connection table (sync-aware preemption). */
  requestTable(masterIp: VrrpAddr): void;
  /**
   * This MASTER yields to a better master at masterIp (a partition healed): hand it this node's
   * connection table, so the flows opened here meanwhile go on there.
   */
  handOver(masterIp: VrrpAddr): void;
}

/** State changes, for the engine (which VIPs it answers) and notify scripts (run later). */
export type VrrpEvent =
  | { kind: 'instance'; name: string; state: VrrpState; previous: VrrpState; priority: number }
  | { kind: 'group'; name: string; state: VrrpState; previous: VrrpState }
  | PreemptEvent;

/**
 * Sync-aware preemption: `hold` when a backup that would preempt asks the master for its table
 * first; the hold ends with `ready` (the table arrived: preempting), `timeout` (preempting
 * without it), `master-down` (the master went silent: taking over at once, as without a hold)
 * or `dropped` (a better master appeared, or this instance left BACKUP: no preemption).
 */
export interface PreemptEvent {
  kind: 'preempt';
  name: string;
  phase: 'hold' | 'ready' | 'timeout' | 'master-down' | 'dropped';
  /** The master held off. */
  masterIp: VrrpAddr;
  /** How long the hold lasted (0 for `hold`), ms. */
  heldMs: number;
  /** The hold's bound (preemptHoldMs). */
  waitMs: number;
}

export type VrrpNotify = (event: VrrpEvent) => void;

/** An advert that passed checkAdvert, reduced to what the state machine uses. */
export interface HeardAdvert {
  priority: number;
  /** Sender (IP source). */
  src: VrrpAddr;
  /** The sender's interval, centiseconds (v2: seconds times 100). */
  intervalCs: number;
}

export type VrrpInput =
  | { kind: 'start' }
  /** The clock reached nextDeadline(). */
  | { kind: 'timer' }
  | { kind: 'advert'; advert: HeardAdvert }
  /** A tracked interface or (dampened) script result changed. */
  | { kind: 'tracker'; name: string; up: boolean }
  /** Clean stop: a master resigns with a priority-0 advert first. */
  | { kind: 'stop' }
  /** The connection table asked for by requestTable is complete: a held preemption goes ahead. */
  | { kind: 'table-ready' };
