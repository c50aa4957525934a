// Connection sync on a running data plane: the role this node plays (master sends, backup
// receives, master,backup both at once as N directors behind ECMP do, none neither), switched by
// one call that VRRP or an operator makes, and the sender and receiver behind it; the bulk table
// dump a preempting backup or a joining director asks for (a sender answers, the asker applies);
// its own entries pushed to the peers before a drain. Also the table dump a state file uses.
// With workers, each worker sends its own table's changes through the main thread's socket and
// applies the entries routed to it (sync-routing.ts, worker-sync.ts); dumps gather every table.

import { ConnFlag } from '../conntable/conn-table.js';
import type { DataPlane } from '../datapath/data-plane.js';
import { readBlock, readControl } from './dump-wire.js';
import { decodeMessage } from './ipvs-sync-codec.js';
import type { Clock } from '../sched/types.js';
import type { SyncConn } from './ipvs-sync-codec.js';
import { ConnOwnership, type OwnershipCounters } from './conn-ownership.js';
import { DEFAULT_SYNC_SYSCTLS, packAll, type SyncSysctls } from './ipvs-sync-policy.js';
import { connToSync, templateToSync } from './sync-entries.js';
import { SyncReceiver, type SyncReceiverCounters } from './sync-receiver.js';
import { SyncSender, type SyncSenderCounters } from './sync-sender.js';
import { mergeDumps, mergeSyncStats, RoutedAdopter, templateIsOneClient, type SyncWorkerShare, type SyncWorkers } from './sync-routing.js';
import { DUMP_MIN_GAP_MS, DumpRequester, dumpMessages, newDumpCounters, type DumpCounters } from './table-dump.js';
import type { SyncTransport } from './sync-transport.js';
import { TableAdopter } from './table-adopter.js';

/**
 * master,backup: IPVS's two daemons at once (`ipvsadm --start-daemon master` and `backup`): every
 * director of an active-active (ECMP) set sends what it carries and applies what its peers send.
 */
export type SyncRole = 'master' | 'backup' | 'master,backup' | 'none';
export const SYNC_ROLES: readonly SyncRole[] = ['master', 'backup', 'master,backup', 'none'];

export const sends = (role: SyncRole): boolean => role === 'master' || role === 'master,backup';
export const receives = (role: SyncRole): boolean => role === 'backup' || role === 'master,backup';

export interface ConnSyncOptions {
  plane: DataPlane;
  transport: SyncTransport;
  syncId: number;
  /** Largest message in bytes. */
  maxLen: number;
  /** The data plane's clock. */
  clock: Clock;
  sysctls?: SyncSysctls;
  log?: (line: string) => void;
  /** Workers 1..N-1 (the data path on N threads): each sends and applies its own table's share. */
  workers?: SyncWorkers;
}

export interface ConnSyncStats {
  role: SyncRole;
  syncId: number;
  /** dropped: messages workers could not hand to the main thread (their outbox was full). */
  sent: SyncSenderCounters & { dropped?: number };
  received: SyncReceiverCounters;
  /** Messages that arrived while this node was not a backup (and dump requests while not a master). */
  ignored: number;
  /** This node's own messages heard back (multicast loop, itself among the unicast peers): not applied. */
  own: number;
  /** master,backup: peers' entries taken over by their packets arriving here, and ours ceded to a peer. */
  ownership: OwnershipCounters;
  /** Own entries pushed to the peers before a drain (messages and entries). */
  shared: { messages: number; entries: number };
  /** Table dumps served (master) and asked for (a backup about to preempt). */
  dump: DumpCounters;
  /** Partition heals: tables handed over when yielding, and the entries a master took from one. */
  handover: { sent: number; received: SyncReceiverCounters };
  /** With workers: each one's share (entries sent and applied, messages dropped), worker 0 first. */
  workers?: SyncWorkerShare[];
}

/** How a joining director's wait for a peer's table ended. */
export interface TablePull {
  complete: boolean;
  ms: number;
  /** Why it is not complete ('' when it is). */
  why: string;
}

export class ConnSync {
  private current: SyncRole = 'none';
  private ignored = 0;
  private own = 0;
  private readonly shared = { messages: 0, entries: 0 };
  private readonly ownership: ConnOwnership;
  private readonly sender: SyncSender;
  private readonly receiver: SyncReceiver;
  /** A master's receiver for the table a yielding master hands over: adds what it lacks, keeps what it has. */
  private readonly merger: SyncReceiver;
  private handedOver = 0;
  private readonly dumps = newDumpCounters();
  private readonly requester: DumpRequester;
  private lastDumpAt = -Infinity;
  /** With workers: the adopters that route the stream's and a handed-over table's entries. */
  private readonly routed: { stream: RoutedAdopter; handover: RoutedAdopter } | null = null;

  constructor(private readonly o: ConnSyncOptions) {
    const plane = o.plane;
    this.ownership = new ConnOwnership(plane.conns.capacity);
    this.sender = new SyncSender({
      conns: plane.conns, states: plane.states, templateOf: (e) => plane.factory.templateOf(e),
      transport: o.transport, clock: o.clock, sysctls: o.sysctls ?? DEFAULT_SYNC_SYSCTLS,
      syncId: o.syncId, maxLen: o.maxLen, ownership: this.ownership,
    });
    const learnt = (e: number, inserted: boolean): void => this.ownership.learnt(e, inserted);
    const workers = o.workers;
    if (workers !== undefined) {
      const oneClient = (entry: SyncConn): boolean => templateIsOneClient(plane.table, entry);
      this.routed = {
        stream: new RoutedAdopter(tableAdopter(plane, 'refresh', learnt), workers, 'refresh', oneClient),
        handover: new RoutedAdopter(tableAdopter(plane, 'keep'), workers, 'keep', oneClient),
      };
      workers.onMessages((m) => o.transport.send(m));
    }
    this.receiver = new SyncReceiver(this.routed?.stream ?? tableAdopter(plane, 'refresh', learnt), o.syncId === 0 ? null : o.syncId);
    this.merger = new SyncReceiver(this.routed?.handover ?? tableAdopter(plane, 'keep'), o.syncId === 0 ? null : o.syncId);
    this.requester = new DumpRequester({
      syncId: o.syncId, sendTo: (m, to) => o.transport.sendTo(m, to), now: () => o.clock.now(),
      sendAll: (m) => o.transport.send(m), log: (line) => o.log?.(line), counters: this.dumps,
    });
    o.transport.onMessage((message, from) => this.onMessage(message, from));
  }

  private onMessage(message: Buffer, from: string): void {
    // All N directors share the sync id: their own datagrams are known by the source address.
    if (from === this.o.transport.local) {
      this.own++;
      return;
    }
    const control = readControl(message);
    if (control?.kind === 'request') return this.serveDump(control.nonce, message[1] ?? 0, from);
    if (control?.kind === 'end') return this.requester.heard(control, from);
    if (this.current === 'master' && isDumpPart(message)) {
      // A master never asks for a dump: this is a yielding master's table (a partition healed).
      this.merger.receive(message);
      return;
    }
    if (!receives(this.current)) {
      this.ignored++;
      return;
    }
    const m = this.receiver.receive(message);
    const part = readBlock(message, m.end);
    if (part !== null) this.requester.heard(part, from);
  }

  /** A sender answers a dump request with its whole table (peers' entries too), unicast to the asker. */
  private serveDump(nonce: number, syncId: number, to: string): void {
    if (!sends(this.current) || (this.o.syncId !== 0 && syncId !== 0 && syncId !== this.o.syncId)) {
      this.ignored++;
      return;
    }
    const now = this.o.clock.now();
    if (now - this.lastDumpAt < DUMP_MIN_GAP_MS) {
      this.dumps.limited++;
      return;
    }
    this.lastDumpAt = now;
    this.flush();
    this.everyTable(dumpTable(this.o.plane, this.o.clock), false, (entries) => {
      const messages = dumpMessages(entries, this.o.syncId, this.o.maxLen, nonce);
      for (const m of messages) this.o.transport.sendTo(m, to);
      this.dumps.served++;
      this.dumps.servedEntries += entries.length;
      this.dumps.servedParts += messages.length - 1;
      this.o.log?.(`sync: sent the table to ${to}: ${entries.length} entries in ${messages.length - 1} messages`);
    });
  }

  /**
   * Calls send with these entries of the main thread's table and, with workers, every other
   * worker's (own: only what each carries); at once without workers, once they answered with.
   */
  private everyTable(mine: SyncConn[], own: boolean, send: (entries: SyncConn[]) => void): void {
    if (this.o.workers === undefined) return send(mine);
    this.o.workers.dump(own).then((others) => send(mergeDumps(mine, others)), (err: unknown) => {
      this.o.log?.(`sync: the workers' tables could not be gathered (${(err as Error).message}); sending the main thread's`);
      send(mine);
    });
  }

  /**
   * Sync-aware preemption: asks the master at masterIp for its whole table (again every second
   * until one arrives whole) and calls ready() then. Only a backup applies what arrives.
   */
  requestTable(masterIp: number, ready: () => void): void {
    this.requester.request(masterIp, ready);
  }

  /**
   * A director joining N others (master,backup): asks every peer for its table (again every
   * second until one arrives whole) and calls ready() then; every peer's entries are applied.
   */
  requestPeersTable(ready: () => void): void {
    this.requester.requestAny(ready);
  }

  /**
   * requestPeersTable with a bound: resolves when a peer's dump is in, or after waitMs (0: at
   * once) with why not (the asking stops then). null when this node does not receive (nothing to wait for).
   */
  pullPeersTable(waitMs: number): Promise<TablePull> | null {
    const since = this.o.clock.now();
    if (!receives(this.current)) return null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const why = this.tablePending();
        this.cancelTableRequest();
        resolve({ complete: false, ms: Math.round(this.o.clock.now() - since), why });
      }, waitMs);
      this.requestPeersTable(() => {
        clearTimeout(timer);
        resolve({ complete: true, ms: Math.round(this.o.clock.now() - since), why: '' });
      });
    });
  }

  /**
   * Before a drain (master,backup): sends the peers every connection this director carries (not
   * those it only learnt from them) as ordinary sync messages, so the flows ECMP moves to them
   * find their connections with fresh timers, including those not synced yet. Returns the
   * number of entries (with workers, the main thread's: the others' follow once they answer).
   */
  shareOwnTable(): number {
    if (!sends(this.current)) return 0;
    this.flush();
    const mine = dumpTable(this.o.plane, this.o.clock, (e) => !this.ownership.isPeers(e));
    this.everyTable(mine, true, (entries) => {
      const messages = packAll(entries, this.o.syncId, this.o.maxLen);
      for (const m of messages) this.o.transport.send(m);
      this.shared.messages += messages.length;
      this.shared.entries += entries.length;
      this.o.log?.(`sync: sent the peers the ${entries.length} connections and templates this director carries, in ${messages.length} messages`);
    });
    return mine.length;
  }

  /**
   * This master yields to the master at `to` after a partition: send it the whole table (as a
   * dump, unasked), so the connections made here while the two were apart go on there. The new
   * master adds the entries it lacks and keeps its own.
   */
  handOver(to: string): void {
    if (this.current !== 'master') return;
    this.flush();
    this.everyTable(dumpTable(this.o.plane, this.o.clock), false, (entries) => {
      const messages = dumpMessages(entries, this.o.syncId, this.o.maxLen, 0);
      for (const m of messages) this.o.transport.sendTo(m, to);
      this.handedOver++;
      this.o.log?.(`sync: yielding to ${to}: handed it the table, ${entries.length} entries in ${messages.length - 1} messages`);
    });
  }

  /** Stops asking (the preemption went ahead, or is no longer wanted). */
  cancelTableRequest(): void {
    this.requester.cancel();
  }

  /** Why the asked-for table is not complete yet. */
  tablePending(): string {
    return this.requester.pending();
  }

  get role(): SyncRole {
    return this.current;
  }

  /**
   * Master: sends the table's changes from now on (memory of earlier sends starts afresh);
   * backup: applies what a master sends; none: neither. Leaving master sends what is pending.
   */
  setRole(role: SyncRole): void {
    if (!SYNC_ROLES.includes(role)) throw new Error(`sync role must be master, backup, master,backup or none, got ${String(role)}`);
    if (role === this.current) return;
    if (!receives(role)) this.requester.cancel();
    if (sends(this.current)) {
      this.o.plane.observe(null);
      this.sender.flush();
    }
    if (sends(role)) {
      this.sender.reset();
      // The only sender (VRRP master) speaks for every connection; among N peers, learnt entries stay the peers'.
      if (role === 'master') this.ownership.reset();
      this.o.plane.observe(this.sender);
    }
    this.o.workers?.setRole(role);
    this.o.log?.(`sync: ${this.current} -> ${role} (sync id ${this.o.syncId})`);
    this.current = role;
  }

  /** Sends what the master side has pending now, instead of up to SYNC_FLUSH_MS later (workers' soon after). */
  flush(): void {
    if (!sends(this.current)) return;
    this.sender.flush();
    this.o.workers?.flush();
  }

  stats(): ConnSyncStats {
    const mine = this.ownStats();
    const { workers } = this.o;
    if (workers === undefined || this.routed === null) return mine;
    return mergeSyncStats(mine, { stream: this.routed.stream.handed, handover: this.routed.handover.handed }, workers.reports());
  }

  private ownStats(): ConnSyncStats {
    const r = this.receiver.counters;
    return {
      role: this.current, syncId: this.o.syncId, sent: { ...this.sender.counters },
      received: { ...r, drops: { ...r.drops } }, ignored: this.ignored, own: this.own,
      ownership: { ...this.ownership.counters }, shared: { ...this.shared }, dump: { ...this.dumps },
      handover: { sent: this.handedOver, received: { ...this.merger.counters, drops: { ...this.merger.counters.drops } } },
    };
  }

  /** Sends what is pending and closes the transport. */
  async close(): Promise<void> {
    this.requester.cancel();
    if (sends(this.current)) this.sender.flush();
    this.o.plane.observe(null);
    this.sender.close();
    await this.o.transport.close();
  }
}

/** An adopter over a data plane's tables (sync backups and state files; `keep` for a master merging a handed-over table). */
export function tableAdopter(plane: DataPlane, existing: 'refresh' | 'keep' = 'refresh',
                             learnt?: (e: number, inserted: boolean) => void): TableAdopter {
  return new TableAdopter({
    conns: plane.conns, factory: plane.factory, services: () => plane.table, seconds: () => plane.seconds(), existing,
    ...(learnt ? { learnt } : {}),
  });
}

/**
 * Every connection (those `keep` accepts) and template with the seconds it has left (templates
 * first). IPv6 ones are left out: the sync protocol and the state file carry IPv4 only
 * (ipv6Entries counts them).
 */
export function dumpTable(plane: DataPlane, clock: Clock, keep: (e: number) => boolean = () => true): SyncConn[] {
  const c = plane.conns;
  const nowSec = plane.seconds();
  const nowMs = clock.now();
  const out: SyncConn[] = [];
  for (const t of plane.factory.liveTemplates()) {
    const entry = templateToSync(t, Math.max(1, Math.ceil((t.expires - nowMs) / 1000)));
    if (entry !== null) out.push(entry);
  }
  for (const e of c.liveEntries()) {
    if (keep(e) && (c.flags[e]! & ConnFlag.V6) === 0) out.push(connToSync(c, e, Math.max(1, c.wheel.deadline[e]! - nowSec)));
  }
  return out;
}

/** How many IPv6 connections the table holds (what dumpTable leaves out). */
export function ipv6Entries(plane: DataPlane): number {
  const c = plane.conns;
  let n = 0;
  for (const e of c.liveEntries()) if (c.flags[e]! & ConnFlag.V6) n++;
  return n;
}

/** True when a sync message carries a dump part block after its entries. */
function isDumpPart(message: Buffer): boolean {
  return readBlock(message, decodeMessage(message).end)?.kind === 'part';
}
