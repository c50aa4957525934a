// Joining a set of directors behind ECMP: with connection sync among them (sync role
// master,backup), a director announces its routes only once it holds a peer's connection table,
// so the flows ECMP hands it when the route appears find their connections here. The wait is
// bounded, as keepalived-style preempt_sync_wait is: the first director of a set has no peer to
// answer, and past the bound the routes go out anyway, with a warning saying why.

import type { Logger } from '../log/logger.js';
import type { TablePull } from '../sync/conn-sync.js';

/** --join-sync-wait's default, seconds (as preempt_sync_wait's). */
export const DEFAULT_JOIN_SYNC_WAIT_S = 5;

/** The part of a director a join needs: null when it has no sync that receives. */
export interface JoiningDirector {
  pullPeerTable?(waitMs: number): Promise<TablePull> | null;
}

/** Waits (at most waitMs) for a sync peer's table and logs how it went; null when there is none to wait for. */
export async function awaitPeerTable(director: JoiningDirector, waitMs: number, log: Logger): Promise<TablePull | null> {
  const pull = waitMs > 0 ? director.pullPeerTable?.(waitMs) ?? null : null;
  if (pull === null) return null;
  log.info({ event: 'announce', waitMs }, `announce: waiting for a sync peer's connection table before announcing (at most ${waitMs / 1000} s)`);
  const r = await pull;
  if (r.complete) {
    log.info({ event: 'announce', ms: r.ms }, `announce: holding a sync peer's connection table after ${r.ms} ms: announcing`);
  } else {
    log.warn({ event: 'announce', ms: r.ms }, `announce: announcing without a sync peer's connection table after ${r.ms} ms (--join-sync-wait): ${r.why}`);
  }
  return r;
}
