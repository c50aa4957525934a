// The messages between the main thread (worker 0, the control plane) and the other workers:
// what a worker starts from, the control plane's changes it follows, and what it reports.

import type { DirectorConfig, FloodConfig, LimitsConfig } from '../config/model.js';
import type { ConnTimeoutValues } from '../datapath/ipvs-state-model.js';
import type { DirectorStats } from '../director-stats.js';
import type { Route } from '../net/routes.js';

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
  masters: Array<[string, number[]]>;
}

/** A real server's weight and flags, by identity (ids may differ between workers' tables). */
export type DestWeight = [key: string, weight: number, flags: number];

export type ToWorker =
  | { type: 'install'; config: DirectorConfig; routes: readonly Route[] | null }
  | { type: 'weights'; dests: DestWeight[]; timeouts: ConnTimeoutValues }
  | { type: 'gate'; instance: string; addresses: number[] }
  /** adm -Z: these services (identities, src/workers/identity.ts) or every one (null) count from zero. */
  | { type: 'zero'; services: string[] | null }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'stats'; stats: DirectorStats }
  | { type: 'error'; message: string }
  | { type: 'stopped'; stats: DirectorStats };
