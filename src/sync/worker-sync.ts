// A worker's part of connection sync (docs/workers.md): its own sender follows its own table's
// changes under the same policy as a single-worker master, and its encoded messages go to the
// main thread through a bounded outbox, posted once per event-loop turn (after a batch of
// frames, never per packet), for the main thread's socket to send; it applies the entries the
// main thread routes to it, and hands its table over for a dump.

import type { DataPlane } from '../datapath/data-plane.js';
import type { Clock } from '../sched/types.js';
import { dumpTable, sends, tableAdopter, type SyncRole } from './conn-sync.js';
import { ConnOwnership, type OwnershipCounters } from './conn-ownership.js';
import type { SyncConn } from './ipvs-sync-codec.js';
import type { SyncSysctls } from './ipvs-sync-policy.js';
import { adoptEntries, type Adopted } from './state-file.js';
import { SyncSender, type SyncSenderCounters } from './sync-sender.js';
import type { TableAdopter } from './table-adopter.js';

/** Messages a worker may have queued or in flight to the main thread; beyond it they are dropped and counted. */
export const OUTBOX_LIMIT = 1024;

/** What a worker needs to sync, sent with its first role: the daemon's parameters and the shared in-flight counts. */
export interface WorkerSyncSetup {
  syncId: number;
  maxLen: number;
  sysctls: SyncSysctls;
  /** Int32 per worker index: messages posted to the main thread and not sent yet (the main thread subtracts). */
  inFlight: SharedArrayBuffer;
}

/** How an entry the main thread routes here is applied: as a backup's (refresh) or a handed-over table's (keep). */
export type AdoptMode = 'refresh' | 'keep';

/** A worker's sync counters, reported with its stats once a second. */
export interface WorkerSyncReport {
  role: SyncRole;
  sent: SyncSenderCounters;
  /** Messages posted to the main thread, and dropped because OUTBOX_LIMIT were queued or in flight. */
  outbox: { posted: number; dropped: number };
  adopted: Record<AdoptMode, Adopted>;
  ownership: OwnershipCounters;
}

export interface OutboxOptions {
  limit: number;
  /** Messages posted and not yet sent by the main thread (shared with it), at slot. */
  inFlight: Int32Array;
  slot: number;
  post: (messages: Buffer[]) => void;
  /** Runs fn after the current batch (setImmediate in a worker). */
  schedule: (fn: () => void) => void;
}

/** A bounded queue of encoded messages posted in one message per turn; a message beyond the bound is a counted drop. */
export class SyncOutbox {
  readonly counters = { posted: 0, dropped: 0 };
  private queue: Buffer[] = [];
  private scheduled = false;

  constructor(private readonly o: OutboxOptions) {}

  push(message: Buffer): void {
    if (this.queue.length + Atomics.load(this.o.inFlight, this.o.slot) >= this.o.limit) {
      this.counters.dropped++;
      return;
    }
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    this.o.schedule(() => this.post());
  }

  /** Posts what is queued now (also before a stop). */
  post(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const messages = this.queue;
    this.queue = [];
    Atomics.add(this.o.inFlight, this.o.slot, messages.length);
    this.counters.posted += messages.length;
    this.o.post(messages);
  }
}

function noneAdopted(): Adopted {
  return { conns: 0, templates: 0, drops: {} };
}

export class WorkerSync {
  private role: SyncRole = 'none';
  private readonly ownership: ConnOwnership;
  private readonly sender: SyncSender;
  private readonly outbox: SyncOutbox;
  private readonly adopters: Record<AdoptMode, TableAdopter>;
  private readonly adopted: Record<AdoptMode, Adopted> = { refresh: noneAdopted(), keep: noneAdopted() };

  constructor(private readonly plane: DataPlane, private readonly clock: Clock, setup: WorkerSyncSetup, index: number,
              post: (messages: Buffer[]) => void) {
    this.ownership = new ConnOwnership(plane.conns.capacity);
    this.outbox = new SyncOutbox({ limit: OUTBOX_LIMIT, inFlight: new Int32Array(setup.inFlight), slot: index, post, schedule: (fn) => setImmediate(fn) });
    this.sender = new SyncSender({
      conns: plane.conns, states: plane.states, templateOf: (e) => plane.factory.templateOf(e),
      transport: { send: (m) => this.outbox.push(m) }, clock, sysctls: setup.sysctls,
      syncId: setup.syncId, maxLen: setup.maxLen, ownership: this.ownership,
    });
    this.adopters = {
      refresh: tableAdopter(plane, 'refresh', (e, inserted) => this.ownership.learnt(e, inserted)),
      keep: tableAdopter(plane, 'keep'),
    };
  }

  /** As ConnSync.setRole on a single worker: a sending role follows this worker's table. */
  setRole(role: SyncRole): void {
    if (role === this.role) return;
    if (sends(this.role)) {
      this.plane.observe(null);
      this.flush();
    }
    if (sends(role)) {
      this.sender.reset();
      if (role === 'master') this.ownership.reset();
      this.plane.observe(this.sender);
    }
    this.role = role;
  }

  /** Entries the main thread routed here (it routes a peer's stream only while this node receives). */
  adopt(entries: ReadonlyArray<[SyncConn, number]>, mode: AdoptMode): void {
    const r = adoptEntries(this.adopters[mode], entries);
    const into = this.adopted[mode];
    into.conns += r.conns;
    into.templates += r.templates;
    for (const [k, n] of Object.entries(r.drops)) into.drops[k as keyof Adopted['drops']] = (into.drops[k as keyof Adopted['drops']] ?? 0) + n;
  }

  /** This worker's table for a dump (own: only the entries it carries, not those learnt from peers). */
  dump(own: boolean): SyncConn[] {
    return dumpTable(this.plane, this.clock, own ? (e) => !this.ownership.isPeers(e) : undefined);
  }

  /** Sends what is pending now: the sender's partial message, then the outbox. */
  flush(): void {
    this.sender.flush();
    this.outbox.post();
  }

  close(): void {
    if (sends(this.role)) this.flush();
    this.plane.observe(null);
    this.sender.close();
  }

  report(): WorkerSyncReport {
    const copy = (a: Adopted): Adopted => ({ conns: a.conns, templates: a.templates, drops: { ...a.drops } });
    return {
      role: this.role, sent: { ...this.sender.counters }, outbox: { ...this.outbox.counters },
      adopted: { refresh: copy(this.adopted.refresh), keep: copy(this.adopted.keep) }, ownership: { ...this.ownership.counters },
    };
  }
}
