// When a master sends a connection to its backups and how entries are batched into messages,
// as IPVS does (ip_vs_sync_conn_needed and the sync buffer of ip_vs_sync.c): the sysctls
// sync_threshold, sync_period, sync_refresh_period, sync_retries and sync_persist_mode, and a
// message that leaves when full or 2 s after its first entry. Pure, clock passed in.
//
// The caller counts inbound packets per connection (pkts, the kernel's in_pkts) and asks once
// per packet; a connection controlled by a persistence template then asks for the template
// with the template's own count incremented (templates are synced with their connections).

import { TcpState } from '../ipvs/tcp-state.js';
import { ConnFlag, encodeMessage, entryLength, MESSAGE_HEADER_BYTES, type SyncConn } from './ipvs-sync-codec.js';

export interface SyncSysctls {
  /** net.ipv4.vs.sync_threshold (default 3): the packet count that triggers a sync. */
  threshold: number;
  /** net.ipv4.vs.sync_period (default 50): then again every `period` packets; 0 = once. */
  period: number;
  /** net.ipv4.vs.sync_refresh_period in ms (default 0): resync by time instead of by count. */
  refreshPeriodMs: number;
  /** net.ipv4.vs.sync_retries (default 0, at most 3). */
  retries: number;
  /** net.ipv4.vs.sync_persist_mode (default off): do not sync connections under a template. */
  persistMode: boolean;
}

export const DEFAULT_SYNC_SYSCTLS: SyncSysctls = { threshold: 3, period: 50, refreshPeriodMs: 0, retries: 0, persistMode: false };

/** The kernel's sysctl constraints: threshold below period (when periodic), retries 0..3. */
export function checkSysctls(s: SyncSysctls): void {
  if (!Number.isInteger(s.threshold) || s.threshold < 0) throw new Error(`sync_threshold ${s.threshold} must be >= 0`);
  if (!Number.isInteger(s.period) || s.period < 0) throw new Error(`sync_period ${s.period} must be >= 0`);
  if (s.period > 0 && s.threshold >= s.period) throw new Error(`sync_threshold ${s.threshold} must be below sync_period ${s.period}`);
  if (!Number.isInteger(s.retries) || s.retries < 0 || s.retries > 3) throw new Error(`sync_retries ${s.retries} must be 0..3`);
}

/** What a connection must show for the decision. */
export interface ConnSyncView {
  protocol: number;
  flags: number;
  state: number;
  timeoutMs: number;
  /** A persistence template controls it. */
  inPersistence: boolean;
}

/** Per-connection memory of the last sync (the kernel's old_state and sync_endtime). */
export interface ConnSyncMemo {
  oldState: number;
  /** now + timeout when last synced; 0 = never. */
  syncEndTime: number;
  /** Resends within one refresh period (sync_retries). */
  retries: number;
}

const TCP_SYNCED_STATES = new Set<number>([TcpState.ESTABLISHED, TcpState.FIN_WAIT, TcpState.CLOSE, TcpState.CLOSE_WAIT, TcpState.TIME_WAIT]);
const MIN_REFRESH_HALF_TIMEOUT_MS = 10_000;

/** Whether this packet makes the connection go out now; the memo to keep when it does, else null. */
export function syncDecision(sys: SyncSysctls, c: ConnSyncView, memo: ConnSyncMemo, pkts: number, nowMs: number): ConnSyncMemo | null {
  if (c.flags & ConnFlag.ONE_PACKET) return null;
  const template = (c.flags & ConnFlag.TEMPLATE) !== 0;
  if (!template) {
    if (sys.persistMode && c.inPersistence) return null;
    if (c.protocol === 6) {
      if (!TCP_SYNCED_STATES.has(c.state)) return null;
      // A move to a closing state goes out at once, whatever the counts; a move to
      // ESTABLISHED waits for the count like any packet (the kernel's "force" only matters
      // when two CPUs race on the same connection).
      if (c.state !== memo.oldState && c.state !== TcpState.ESTABLISHED) return { oldState: c.state, syncEndTime: nowMs + c.timeoutMs, retries: 0 };
    }
  }
  let next: ConnSyncMemo = { oldState: c.state, syncEndTime: nowMs + c.timeoutMs, retries: 0 };
  if (sys.refreshPeriodMs > 0) {
    const refreshed = refresh(sys, c, memo, next, nowMs);
    if (refreshed === null) return null;
    next = refreshed;
  }
  if (sys.period > 0) {
    if (!template && pkts % sys.period !== sys.threshold) return null;
  } else if (sys.refreshPeriodMs === 0 && pkts !== sys.threshold) {
    return null;
  }
  return next;
}

/** sync_refresh_period: no resend while the end time moved less than the period (and half the timeout). */
function refresh(sys: SyncSysctls, c: ConnSyncView, memo: ConnSyncMemo, next: ConnSyncMemo, nowMs: number): ConnSyncMemo | null {
  const diff = Math.abs(next.syncEndTime - memo.syncEndTime);
  const minDiff = Math.max(c.timeoutMs / 2, MIN_REFRESH_HALF_TIMEOUT_MS);
  if (diff >= Math.min(sys.refreshPeriodMs, minDiff)) return next;
  if (memo.retries >= sys.retries) return null;
  if (nowMs < memo.syncEndTime - c.timeoutMs + sys.refreshPeriodMs / 8) return null;
  return { ...next, retries: memo.retries + 1 };
}

/** A message leaves at most this long after its first entry (IPVS_SYNC_FLUSH_TIME). */
export const SYNC_FLUSH_MS = 2000;
const MAX_CONNS_PER_MESSAGE = 255;
/** The smallest entry, to refuse a maxLen that could not carry one. */
const MINIMAL: SyncConn = { protocol: 6, flags: 0, state: 0, cport: 0, vport: 0, dport: 0, fwmark: 0, timeoutSeconds: 0, caddr: 0, vaddr: 0, daddr: 0 };

/**
 * Packs entries into messages of at most maxLen bytes (the kernel's sync_maxlen, from the MTU),
 * as ip_vs_sync_conn fills its buffer: an entry that does not fit sends the buffer first.
 */
/** Every entry packed into as few messages as maxLen allows, in order (a dump, a state file). */
export function packAll(entries: readonly SyncConn[], syncId: number, maxLen: number): Buffer[] {
  const batcher = new SyncBatcher(syncId, maxLen);
  const messages: Buffer[] = [];
  for (const e of entries) {
    const full = batcher.add(e, 0);
    if (full) messages.push(full);
  }
  const last = batcher.flush();
  if (last) messages.push(last);
  return messages;
}

export class SyncBatcher {
  private conns: SyncConn[] = [];
  private bytes = MESSAGE_HEADER_BYTES;
  private firstUse = 0;

  constructor(private readonly syncId: number, private readonly maxLen: number) {
    if (maxLen < MESSAGE_HEADER_BYTES + entryLength(MINIMAL)) throw new Error(`sync maxlen ${maxLen} is below one entry`);
  }

  /** Adds an entry; returns the message it pushed out, if any. */
  add(c: SyncConn, nowMs: number): Buffer | null {
    const len = entryLength(c);
    const pad = this.conns.length === 0 ? 0 : ((this.bytes + 3) & ~3) - this.bytes;
    let sent: Buffer | null = null;
    if (this.conns.length > 0 && (this.bytes + pad + len > this.maxLen || this.conns.length === MAX_CONNS_PER_MESSAGE)) {
      sent = this.flush();
    }
    if (this.conns.length === 0) this.firstUse = nowMs;
    this.bytes += (this.conns.length === 0 ? 0 : pad) + len;
    this.conns.push(c);
    return sent;
  }

  /** The pending message when its first entry is SYNC_FLUSH_MS old. */
  flushDue(nowMs: number): Buffer | null {
    return this.conns.length > 0 && nowMs - this.firstUse >= SYNC_FLUSH_MS ? this.flush() : null;
  }

  /** When flushDue will return a message, or null with nothing pending. */
  nextDue(): number | null {
    return this.conns.length > 0 ? this.firstUse + SYNC_FLUSH_MS : null;
  }

  flush(): Buffer | null {
    if (this.conns.length === 0) return null;
    const message = encodeMessage({ syncId: this.syncId, conns: this.conns });
    this.conns = [];
    this.bytes = MESSAGE_HEADER_BYTES;
    return message;
  }
}
