// Keeps a flood of new connections from taking the connection table: a new-connection rate
// detector in one-second quanta (as katran's is_under_flood), a budget of unconfirmed TCP
// connections (not yet shown to be a real client's) that no flood can exceed, fast aging of
// those while under flood, and IPVS's drop_entry (evict the oldest unconfirmed) and drop_packet
// (refuse new connections above the rate) defences as options. Confirmed connections are never
// touched.

import type { FloodConfig } from '../config/model.js';
import { ConnFlag, type ConnTable } from '../conntable/conn-table.js';
import { DropReason, type DropReasonValue } from './drop-reasons.js';
import { PROTO_TCP } from './service-table.js';

/** What the guard reports in stats. */
export interface FloodStats {
  underFlood: boolean;
  /** New connection attempts in the last whole second. */
  newConnRate: number;
  connRateLimit: number;
  unconfirmed: number;
  unconfirmedLimit: number;
  /** Seconds (quanta) whose attempts exceeded the limit. */
  floodSeconds: number;
  /** Unconfirmed connections evicted by drop_entry. */
  evicted: number;
}

export interface FloodGuardDeps {
  conns: ConnTable;
  options: FloodConfig;
  /** Unbinds and removes a connection before its time (drop_entry). */
  evict: (entry: number) => void;
}

const QUANTUM_MS = 1000;
const SYN_ACK = 0x12;
/**
 * How far past the real server's ISN + 1 a client's ACK may be and still prove it saw the
 * SYN-ACK (a lost handshake ACK is made good by a later segment that also acknowledges data):
 * a blind guess passes with odds 1 in 65,536.
 */
const ACK_WINDOW = 65_536;

export class FloodGuard {
  readonly options: FloodConfig;
  readonly unconfirmedLimit: number;
  private unconfirmed = 0;
  private quantumStart = -Infinity;
  private current = 0;
  private previous = 0;
  private floodSeconds = 0;
  private evicted = 0;
  private nowMs = 0;
  /** The real server's ISN per connection, valid with ConnFlag.SERVER_ISN. */
  private readonly serverIsn: Uint32Array;
  /** drop_entry only: unconfirmed connections oldest first, as (entry, birth stamp) pairs. */
  private readonly fifo: EvictionQueue | null;

  constructor(private readonly d: FloodGuardDeps) {
    this.options = { ...d.options };
    const capacity = d.conns.capacity;
    const limit = this.options.maxUnconfirmed || Math.max(1, Math.floor(capacity / 2));
    this.unconfirmedLimit = Math.min(limit, capacity);
    this.serverIsn = new Uint32Array(capacity);
    this.fifo = this.options.dropEntry ? new EvictionQueue(capacity, this.unconfirmedLimit) : null;
  }

  /** Under flood: this second's attempts, or the last whole second's, exceeded the rate. */
  get underFlood(): boolean {
    const rate = this.options.connRate;
    return rate > 0 && (this.current > rate || this.previous > rate);
  }

  /**
   * The current batch's time (clock ms), set once per batch: a wall-clock millisecond count is
   * a double, and passing one to admit() per new connection would box it into a heap number.
   */
  setTime(nowMs: number): void {
    this.nowMs = nowMs;
  }

  /**
   * Counts one new-connection attempt of proto (at the time setTime gave) and says whether it
   * may have a connection: -1 if so, else the drop reason. Makes room first when drop_entry allows.
   */
  admit(proto: number): DropReasonValue | -1 {
    this.count();
    if (this.options.dropPacket && this.underFlood && this.current > this.options.connRate) return DropReason.FLOOD_RATE;
    if (proto !== PROTO_TCP || this.unconfirmed < this.unconfirmedLimit) return -1;
    const victim = this.fifo?.oldest() ?? -1;
    if (victim < 0) return DropReason.UNCONFIRMED_FULL;
    this.evicted++;
    this.d.evict(victim);
    return -1;
  }

  /**
   * Counts one new-connection attempt that asks for no entry (a SYN the SYN proxy answers with
   * a cookie), so the detector sees a flood at a proxied service too.
   */
  attempt(): void {
    this.count();
  }

  /** A connection was created (its ConnFlag.CONFIRMED clear). */
  created(entry: number): void {
    if (this.d.conns.proto[entry] !== PROTO_TCP) return;
    this.unconfirmed++;
    this.fifo?.push(entry);
  }

  /**
   * One packet of an unconfirmed TCP connection, after its state step: the real server's SYN-ACK
   * is remembered; a connection that is ESTABLISHED is confirmed (leaves the budget for good) if
   * its replies bypass us (DR, TUN: nothing to check), or if the client acknowledges the real
   * server's SYN-ACK, which a spoofing client never saw (NAT, FULLNAT).
   */
  /** seq and ack may come as int32 (`x | 0`, unboxed across the call) or uint32: only their bits count. */
  observe(entry: number, fromServer: boolean, tcpFlags: number, seq: number, ack: number, established: boolean): void {
    const flags = this.d.conns.flags;
    const f = flags[entry]!;
    if (fromServer) {
      if ((tcpFlags & SYN_ACK) === SYN_ACK) {
        this.serverIsn[entry] = seq;
        flags[entry] = f | ConnFlag.SERVER_ISN;
      }
      return;
    }
    if (!established) return;
    if (f & ConnFlag.HAS_OUT && !(f & ConnFlag.SERVER_ISN && ((ack - this.serverIsn[entry]! - 1) >>> 0) < ACK_WINDOW)) return;
    this.confirm(entry);
  }

  /**
   * A connection taken over ESTABLISHED (connection sync, a state file), or created by the SYN
   * proxy for a client that echoed its cookie: a real client's.
   */
  takenOver(entry: number): void {
    if (this.d.conns.proto[entry] === PROTO_TCP && !(this.d.conns.flags[entry]! & ConnFlag.CONFIRMED)) this.confirm(entry);
  }

  private confirm(entry: number): void {
    this.d.conns.flags[entry]! |= ConnFlag.CONFIRMED;
    this.unconfirmed--;
    this.fifo?.forget(entry);
  }

  /** A connection is about to be freed (expiry or eviction). */
  released(entry: number): void {
    const c = this.d.conns;
    if (c.proto[entry] === PROTO_TCP && !(c.flags[entry]! & ConnFlag.CONFIRMED)) this.unconfirmed--;
    this.fifo?.forget(entry);
  }

  /** The timeout a connection gets in its new state: unconfirmed ones age fast under flood. */
  timeout(entry: number, seconds: number): number {
    const c = this.d.conns;
    if (c.proto[entry] !== PROTO_TCP || c.flags[entry]! & ConnFlag.CONFIRMED || !this.underFlood) return seconds;
    return Math.min(seconds, this.options.synTimeout);
  }

  stats(nowMs: number): FloodStats {
    this.setTime(nowMs);
    this.roll();
    return {
      underFlood: this.underFlood, newConnRate: this.previous, connRateLimit: this.options.connRate,
      unconfirmed: this.unconfirmed, unconfirmedLimit: this.unconfirmedLimit, floodSeconds: this.floodSeconds,
      evicted: this.evicted,
    };
  }

  private count(): void {
    this.roll();
    this.current++;
    const rate = this.options.connRate;
    if (rate > 0 && this.current === rate + 1) this.floodSeconds++;
  }

  /** Starts a new quantum once a second has passed; a quiet gap of more than one leaves nothing. */
  private roll(): void {
    const nowMs = this.nowMs;
    const elapsed = nowMs - this.quantumStart;
    if (elapsed < QUANTUM_MS) return;
    this.previous = elapsed < 2 * QUANTUM_MS ? this.current : 0;
    this.current = 0;
    this.quantumStart = elapsed < 2 * QUANTUM_MS ? this.quantumStart + QUANTUM_MS : nowMs;
  }
}

/**
 * Unconfirmed connections in creation order. Entries confirmed or freed since stay in the ring
 * as stale records (their birth stamp was cleared or renewed) and are skipped; when the ring
 * fills it is compacted, and as at most `budget` records are live, that happens at most once
 * per `budget` pushes: constant cost per push, no allocation.
 */
class EvictionQueue {
  private readonly born: Uint32Array;
  private readonly entries: Int32Array;
  private readonly stamps: Uint32Array;
  private head = 0;
  private length = 0;
  private stamp = 0;

  constructor(capacity: number, budget: number) {
    this.born = new Uint32Array(capacity);
    const size = 2 * budget + 16;
    this.entries = new Int32Array(size);
    this.stamps = new Uint32Array(size);
  }

  push(entry: number): void {
    if (this.length === this.entries.length) this.compact();
    this.stamp = this.stamp === 0xffffffff ? 1 : this.stamp + 1;
    this.born[entry] = this.stamp;
    const at = (this.head + this.length++) % this.entries.length;
    this.entries[at] = entry;
    this.stamps[at] = this.stamp;
  }

  forget(entry: number): void {
    this.born[entry] = 0;
  }

  /** The oldest connection still unconfirmed, taken off the queue; -1 if none. */
  oldest(): number {
    while (this.length > 0) {
      const entry = this.entries[this.head]!;
      const live = this.isLive(entry, this.stamps[this.head]!);
      this.head = (this.head + 1) % this.entries.length;
      this.length--;
      if (live) return entry;
    }
    return -1;
  }

  private isLive(entry: number, stamp: number): boolean {
    return this.born[entry] === stamp;
  }

  /** Drops stale records in ring order; the write position never overtakes the read one. */
  private compact(): void {
    const n = this.entries.length;
    let kept = 0;
    for (let k = 0; k < this.length; k++) {
      const from = (this.head + k) % n;
      if (!this.isLive(this.entries[from]!, this.stamps[from]!)) continue;
      const to = (this.head + kept++) % n;
      this.entries[to] = this.entries[from]!;
      this.stamps[to] = this.stamps[from]!;
    }
    this.length = kept;
  }
}
