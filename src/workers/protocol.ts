// The messages between the main thread (worker 0, the control plane) and the other workers:
// what a worker starts from, the control plane's changes it follows, and what it reports.

import type { DirectorConfig, FloodConfig, LimitsConfig } from '../config/model.js';
import type { ConnTimeoutValues } from '../datapath/ipvs-state-model.js';
import type { AdmConnection } from '../adm/model.js';
import type { DirectorStats } from '../director-stats.js';
import type { Route } from '../net/routes.js';
import type { PageLimits } from '../stats/connections.js';
import type { SyncConn } from '../sync/ipvs-sync-codec.js';
import type { Adopted } from '../sync/state-file.js';
import type { SyncRole } from '../sync/conn-sync.js';
import type { AdoptMode, WorkerSyncReport, WorkerSyncSetup } from '../sync/worker-sync.js';
import type { VrrpAddr } from '../vrrp/vrrp-types.js';
import type { WorkerTotals } from './worker-totals.js';

/** Where a worker's port is: a fanout member on an interface. */
export interface WorkerAttach {
  interface: string;
  netns?: string;
  rxRing?: 'block' | 'frame';
  fanoutGroup: number;
}

export interface WorkerInit {
  index: number;
  workers: number;
  /** The effective config in force (the main thread's table was built from it). */
  config: DirectorConfig;
  routes: readonly Route[];
  attach: WorkerAttach;
  localIp?: number;
  connCapacity?: number;
  flood: FloodConfig;
  limits: LimitsConfig;
  sloppyTcp: boolean;
  timeouts: ConnTimeoutValues;
  /** VRRP instances that are MASTER now, with their addresses. */
  masters: Array<[string, VrrpAddr[]]>;
}

/** A real server's weight and flags, by identity (ids may differ between workers' tables). */
export type DestWeight = [key: string, weight: number, flags: number];

export type ToWorker =
  | { type: 'install'; config: DirectorConfig; routes: readonly Route[] | null }
  | { type: 'weights'; dests: DestWeight[]; timeouts: ConnTimeoutValues }
  | { type: 'gate'; instance: string; addresses: VrrpAddr[] }
  /** adm -Z: these services (identities, src/workers/identity.ts) or every one (null) count from zero. */
  | { type: 'zero'; services: string[] | null }
  /** adm -L -c: the next page of this listing (the first message starts it); 'connections-end' forgets it. */
  | { type: 'connections'; id: number; limits: PageLimits }
  | { type: 'connections-end'; id: number }
  /** The state file's entries steered to this worker: [entry, seconds it has left]. */
  | { type: 'adopt'; id: number; entries: Array<[SyncConn, number]> }
  /** Connection sync: this worker's role (its setup comes with each, the first one starts it). */
  | { type: 'sync-role'; role: SyncRole; setup: WorkerSyncSetup }
  /** Learnt entries routed to this worker: [entry, seconds it has left]; no answer (counted in its reports). */
  | { type: 'sync-adopt'; mode: AdoptMode; entries: Array<[SyncConn, number]> }
  /** Its table for a sync dump (own: only what it carries, not what it learnt from peers). */
  | { type: 'sync-dump'; id: number; own: boolean }
  /** Send what is pending now. */
  | { type: 'sync-flush' }
  /** dump: send the table back with 'stopped' (for the state file). */
  | { type: 'stop'; dump: boolean };

/** What a worker made of the state file's entries it was given. */
export type AdoptResult = Adopted;

export type FromWorker =
  | { type: 'ready' }
  | { type: 'stats'; stats: DirectorStats; totals: WorkerTotals; sync?: WorkerSyncReport }
  | { type: 'error'; message: string }
  | { type: 'connections'; id: number; rows: AdmConnection[]; done: boolean }
  | { type: 'adopted'; id: number; result: AdoptResult }
  | { type: 'stopped'; stats: DirectorStats; totals: WorkerTotals; state: SyncConn[] | null; sync?: WorkerSyncReport }
  /** Sync messages this worker encoded, for the main thread's socket (at most one post per turn). */
  | { type: 'sync-out'; messages: Uint8Array[] }
  | { type: 'sync-dumped'; id: number; entries: SyncConn[] };
