// The master side of connection sync: counts each connection's inbound packets, asks the sync
// policy whether this packet sends it (sync_threshold / sync_period / sync_refresh_period, state
// changes), batches entries into messages and hands them to the transport, full or at most
// SYNC_FLUSH_MS after their first entry. A connection under a persistence template brings its
// template along. Per-connection memory lives in typed arrays beside the connection table.

import type { ConnTable } from '../conntable/conn-table.js';
import type { ConnStateModel } from '../datapath/conn-state-model.js';
import type { Template } from '../ipvs/persistence.js';
import type { Clock } from '../sched/types.js';
import type { ConnOwnership } from './conn-ownership.js';
import { SyncBatcher, syncDecision, type ConnSyncMemo, type SyncSysctls } from './ipvs-sync-policy.js';
import { ConnFlag } from '../conntable/conn-table.js';
import { connToSync, templateToSync } from './sync-entries.js';
import type { SyncTransport } from './sync-transport.js';

export interface SyncSenderDeps {
  conns: ConnTable;
  states: ConnStateModel;
  /** The persistence template a connection was created under, if any. */
  templateOf: (entry: number) => Template | undefined;
  transport: Pick<SyncTransport, 'send'>;
  clock: Clock;
  sysctls: SyncSysctls;
  syncId: number;
  /** Largest message, bytes (lvs_sync_daemon maxlen, else the interface MTU less IP and UDP headers). */
  maxLen: number;
  /** Whose each entry is: a peer's is not sent until its packets come here. */
  ownership: ConnOwnership;
}

export interface SyncSenderCounters {
  conns: number;
  templates: number;
  messages: number;
  /** IPv6 connections not sent: the sync protocol carries IPv4 only (docs/datapath.md#ipv6). */
  skippedIpv6?: number;
}

export class SyncSender {
  readonly counters: SyncSenderCounters = { conns: 0, templates: 0, messages: 0 };
  private readonly pkts: Uint32Array;
  private readonly oldState: Uint8Array;
  private readonly syncEnd: Float64Array;
  private readonly retries: Uint8Array;
  private readonly batcher: SyncBatcher;
  private timer: NodeJS.Timeout | null = null;
  private readonly periodic: boolean;

  constructor(private readonly d: SyncSenderDeps) {
    const n = d.conns.capacity;
    this.pkts = new Uint32Array(n);
    this.oldState = new Uint8Array(n);
    this.syncEnd = new Float64Array(n);
    this.retries = new Uint8Array(n);
    this.batcher = new SyncBatcher(d.syncId, d.maxLen);
    this.periodic = d.sysctls.period > 0;
  }

  /** A connection was just created in entry e: its memory starts afresh. */
  created(e: number): void {
    this.d.ownership.created(e);
    this.forget(e);
  }

  private forget(e: number): void {
    this.pkts[e] = 0;
    this.oldState[e] = 0;
    this.syncEnd[e] = 0;
    this.retries[e] = 0;
  }

  /** Forgets every connection's memory (when this node becomes master). */
  reset(): void {
    this.pkts.fill(0);
    this.oldState.fill(0);
    this.syncEnd.fill(0);
    this.retries.fill(0);
  }

  /**
   * One inbound packet of connection e (hot path: the full decision only when it may send). A
   * peer's entry is taken over by its first packet here and counted afresh, as a connection
   * created here would be.
   */
  inbound(e: number): void {
    if (this.d.ownership.carried(e)) this.forget(e);
    const pkts = ++this.pkts[e]!;
    const sys = this.d.sysctls;
    const state = this.d.conns.state[e]!;
    const countHit = this.periodic ? pkts % sys.period === sys.threshold : pkts === sys.threshold;
    if (!countHit && state === this.oldState[e] && sys.refreshPeriodMs === 0) return;
    this.decide(e, pkts, state);
  }

  /** Sends whatever is pending now (a clean stop). */
  flush(): void {
    this.clearTimer();
    const m = this.batcher.flush();
    if (m) this.emit(m);
  }

  close(): void {
    this.clearTimer();
  }

  private decide(e: number, pkts: number, state: number): void {
    const c = this.d.conns;
    if (c.flags[e]! & ConnFlag.V6) {
      this.counters.skippedIpv6 = (this.counters.skippedIpv6 ?? 0) + 1;
      return;
    }
    const proto = c.proto[e]!;
    const timeoutMs = this.d.states.timeout(proto, state) * 1000;
    const tpl = this.d.templateOf(e);
    const view = { protocol: proto, flags: 0, state, timeoutMs, inPersistence: tpl !== undefined };
    const memo: ConnSyncMemo = { oldState: this.oldState[e]!, syncEndTime: this.syncEnd[e]!, retries: this.retries[e]! };
    const now = this.d.clock.now();
    const next = syncDecision(this.d.sysctls, view, memo, pkts, now);
    if (next === null) return;
    this.oldState[e] = next.oldState;
    this.syncEnd[e] = next.syncEndTime;
    this.retries[e] = next.retries;
    this.add(connToSync(c, e, timeoutMs / 1000), now);
    this.counters.conns++;
    // IPVS syncs a template with each connection it controls; a template has no packet count
    // of its own here, so it goes out every time its connection does (the kernel's behaviour
    // with the default sync_period).
    const entry = tpl === undefined ? null : templateToSync(tpl, Math.ceil(tpl.timeoutMs / 1000));
    if (entry !== null) {
      this.add(entry, now);
      this.counters.templates++;
    }
  }

  private add(entry: Parameters<SyncBatcher['add']>[0], now: number): void {
    const full = this.batcher.add(entry, now);
    if (full) this.emit(full);
    this.armTimer();
  }

  private armTimer(): void {
    const due = this.batcher.nextDue();
    if (due === null || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const m = this.batcher.flushDue(this.d.clock.now());
      if (m) this.emit(m);
      this.armTimer();
    }, Math.max(0, due - this.d.clock.now()));
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private emit(message: Buffer): void {
    this.counters.messages++;
    this.d.transport.send(message);
  }
}
