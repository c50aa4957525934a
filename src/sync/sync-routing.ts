// Connection sync across workers, main-thread side: which worker applies each learnt entry (the
// one the steering program hands its packets to), the entries set aside for the other workers
// and handed to them after each message, a dump's entries gathered from every worker, and the
// workers' sync counters added into the main thread's.

import type { ServiceTable } from '../datapath/service-table.js';
import { workerOfClient, workerOfLocalPort } from '../workers/steering.js';
import type { ConnSyncStats } from './conn-sync.js';
import type { SyncConn } from './ipvs-sync-codec.js';
import { isTemplate } from './sync-entries.js';
import type { ConnAdopter } from './sync-receiver.js';
import type { AdoptMode, WorkerSyncReport } from './worker-sync.js';

/** The workers 1..N-1 as connection sync needs them (the WorkerPool). */
export interface SyncWorkers {
  /** Workers in all, the main thread's included. */
  readonly size: number;
  setRole(role: ConnSyncStats['role']): void;
  /** Hands shares[i] to worker i (1..N-1), without waiting. */
  adopt(shares: ReadonlyArray<Array<[SyncConn, number]>>, mode: AdoptMode): void;
  /** Every other worker's table (own: only what each carries itself). */
  dump(own: boolean): Promise<SyncConn[]>;
  /** Each worker sends what it has pending. */
  flush(): void;
  /** Each worker's last sync counters (index 1..N-1). */
  reports(): Array<{ index: number; sync: WorkerSyncReport }>;
  /** The handler of the messages workers encoded, for the main thread's socket to send. */
  onMessages(send: (message: Buffer) => void): void;
}

/**
 * The worker whose table a connection entry belongs in: a FULLNAT one by its local port (the
 * reply's destination, and that worker's share of ports), any other by its client's address.
 */
export function workerOfEntry(entry: SyncConn, workers: number): number {
  return entry.fullnat ? workerOfLocalPort(entry.fullnat.lport, workers) : workerOfClient(entry.caddr, workers);
}

/**
 * Whether a template's client network is one address (persistence_granularity /32): then only
 * that client's worker looks it up. A coarser one may be looked up by every worker.
 */
export function templateIsOneClient(table: ServiceTable, entry: SyncConn): boolean {
  const svc = entry.fwmark !== 0 ? table.findMark(entry.fwmark) : table.find(entry.protocol, entry.vaddr, entry.vport);
  return svc === undefined || svc.persistNetmask >>> 0 === 0xffffffff;
}

/**
 * An adopter that applies worker 0's entries to the main thread's table at once and sets the
 * others' aside by worker, handing them over (one message per worker) once the current message
 * is applied. A template reaches its client's worker, or with a coarser granularity every worker.
 */
export class RoutedAdopter implements ConnAdopter {
  /** Entries handed to other workers (they count what they applied). */
  readonly handed = { conns: 0, templates: 0 };
  private shares: Array<Array<[SyncConn, number]>> = [];
  private pending = false;

  constructor(private readonly main: ConnAdopter, private readonly workers: SyncWorkers, private readonly mode: AdoptMode,
              private readonly oneClient: (entry: SyncConn) => boolean,
              private readonly later: (fn: () => void) => void = queueMicrotask) {}

  adoptConn(entry: SyncConn, left: number): ReturnType<ConnAdopter['adoptConn']> {
    const w = workerOfEntry(entry, this.workers.size);
    if (w === 0) return this.main.adoptConn(entry, left);
    this.setAside(w, entry, left);
    this.handed.conns++;
    return null;
  }

  adoptTemplate(entry: SyncConn, left: number): ReturnType<ConnAdopter['adoptTemplate']> {
    if (this.oneClient(entry)) {
      const w = workerOfClient(entry.caddr, this.workers.size);
      if (w === 0) return this.main.adoptTemplate(entry, left);
      this.setAside(w, entry, left);
      this.handed.templates++;
      return null;
    }
    for (let w = 1; w < this.workers.size; w++) this.setAside(w, entry, left);
    this.handed.templates += this.workers.size - 1;
    return this.main.adoptTemplate(entry, left);
  }

  private setAside(w: number, entry: SyncConn, left: number): void {
    (this.shares[w] ??= []).push([entry, left]);
    if (this.pending) return;
    this.pending = true;
    this.later(() => this.handOut());
  }

  /** Hands what was set aside to its workers. */
  handOut(): void {
    this.pending = false;
    const shares = this.shares;
    this.shares = [];
    if (shares.some((s) => s !== undefined && s.length > 0)) this.workers.adopt(shares, this.mode);
  }
}

/** Entries of several tables as one dump: every template first, as dumpTable orders one table. */
export function mergeDumps(...tables: ReadonlyArray<readonly SyncConn[]>): SyncConn[] {
  const all = tables.flat();
  return [...all.filter(isTemplate), ...all.filter((e) => !isTemplate(e))];
}

type Received = ConnSyncStats['received'];

/** A receiver's counters with what it handed to workers replaced by what they applied. */
function receivedWith(main: Received, handed: { conns: number; templates: number }, applied: ReadonlyArray<WorkerSyncReport['adopted']['refresh']>): Received {
  const out: Received = { ...main, drops: { ...main.drops }, conns: main.conns - handed.conns, templates: main.templates - handed.templates };
  for (const a of applied) {
    out.conns += a.conns;
    out.templates += a.templates;
    for (const [k, n] of Object.entries(a.drops)) out.drops[k as keyof Received['drops']] = (out.drops[k as keyof Received['drops']] ?? 0) + n;
  }
  return out;
}

/** One worker's share of sync, as stats().sync.workers lists it. */
export interface SyncWorkerShare {
  index: number;
  sent: number;
  received: number;
  /** Messages it could not hand to the main thread (its outbox was full). */
  dropped: number;
}

/**
 * The main thread's sync stats with every worker's added: sent entries and messages, entries
 * applied (and why not) in place of those handed over, ownership, outbox drops; one line per worker.
 */
export function mergeSyncStats(main: ConnSyncStats, handed: { stream: RoutedAdopter['handed']; handover: RoutedAdopter['handed'] },
                               reports: ReadonlyArray<{ index: number; sync: WorkerSyncReport }>): ConnSyncStats {
  const sent = { ...main.sent, dropped: 0 };
  const ownership = { ...main.ownership };
  for (const { sync } of reports) {
    sent.conns += sync.sent.conns;
    sent.templates += sync.sent.templates;
    sent.messages += sync.sent.messages;
    sent.dropped += sync.outbox.dropped;
    ownership.takenOver += sync.ownership.takenOver;
    ownership.ceded += sync.ownership.ceded;
  }
  const received = receivedWith(main.received, handed.stream, reports.map((r) => r.sync.adopted.refresh));
  const mainShare: SyncWorkerShare = { index: 0, sent: main.sent.conns, received: received.conns - reports.reduce((n, r) => n + r.sync.adopted.refresh.conns, 0), dropped: 0 };
  return {
    ...main, sent, received, ownership,
    handover: { ...main.handover, received: receivedWith(main.handover.received, handed.handover, reports.map((r) => r.sync.adopted.keep)) },
    workers: [mainShare, ...reports.map(({ index, sync }) => ({ index, sent: sync.sent.conns, received: sync.adopted.refresh.conns, dropped: sync.outbox.dropped }))],
  };
}
