// Draining a director before it leaves: with connection sync among N directors, it first sends
// its peers the connections it carries (the flows ECMP is about to move to them); then its
// routes are withdrawn (the routers stop sending it new flows), and it keeps forwarding until its
// established connections have ended or the timeout runs out, and says how it went. The caller
// stops the director afterwards.

import type { AdmSnapshot } from '../adm/model.js';
import type { RouteAnnouncer } from './announcer.js';

const POLL_MS = 200;

export interface DrainResult {
  /** Addresses withdrawn (none when the director announces no routes). */
  withdrawn: string[];
  /** Connections and templates sent to the sync peers before the withdrawal (0 without sync). */
  shared: number;
  /** ESTABLISHED connections left when the wait ended (0: all ended). */
  active: number;
  seconds: number;
  timedOut: boolean;
}

/** ESTABLISHED connections over every real server (IPVS ActiveConn). */
export function activeConnections(snapshot: AdmSnapshot): number {
  return snapshot.services.reduce((n, s) => n + s.realServers.reduce((m, rs) => m + rs.activeConns, 0), 0);
}

export async function drain(o: {
  snapshot: () => AdmSnapshot;
  announcer: RouteAnnouncer | null;
  timeoutMs: number;
  /** Sends the sync peers this director's connections; returns how many. */
  share?: () => number;
  now?: () => number;
}): Promise<DrainResult> {
  const now = o.now ?? Date.now;
  const started = now();
  const withdrawn = [...(o.announcer?.current ?? [])];
  const shared = o.share?.() ?? 0;
  await o.announcer?.withdrawAll();
  let active = activeConnections(o.snapshot());
  while (active > 0 && now() - started < o.timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    active = activeConnections(o.snapshot());
  }
  return { withdrawn, shared, active, seconds: (now() - started) / 1000, timedOut: active > 0 };
}
