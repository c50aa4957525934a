// Draining a director before it leaves: its routes are withdrawn (the routers stop sending it
// new flows), then it keeps forwarding until its established connections have ended or the
// timeout runs out, and says how it went. The caller stops the director afterwards.

import type { AdmSnapshot } from '../adm/model.js';
import type { RouteAnnouncer } from './announcer.js';

const POLL_MS = 200;

export interface DrainResult {
  /** Addresses withdrawn (none when the director announces no routes). */
  withdrawn: string[];
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
  now?: () => number;
}): Promise<DrainResult> {
  const now = o.now ?? Date.now;
  const started = now();
  const withdrawn = [...(o.announcer?.current ?? [])];
  await o.announcer?.withdrawAll();
  let active = activeConnections(o.snapshot());
  while (active > 0 && now() - started < o.timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    active = activeConnections(o.snapshot());
  }
  return { withdrawn, active, seconds: (now() - started) / 1000, timedOut: active > 0 };
}
