// The operations the control socket offers, as thin views of a running director's methods:
// hello, snapshot (adm -L, -S, -G), stats, connections (adm -L -c, streamed), edit (every adm
// command that changes something, all or nothing) and, in the daemon, reload and drain.

import type { AdmEdit } from '../adm/edit-config.js';
import { ADM_MODEL_VERSION, type AdmConnection, type AdmSnapshot } from '../adm/model.js';
import type { PageLimits } from '../stats/connections.js';
import { decodeEdits } from './wire-edits.js';
import { ControlError, PROTOCOL_VERSION } from './protocol.js';
import { Streamed, type ControlOps } from './session.js';

/** What the socket needs of a director (the embedded Director has all of it). */
export interface ControlTarget {
  snapshot(): AdmSnapshot;
  stats(): unknown;
  /** Asynchronous with workers: the other workers' pages are asked for one at a time. */
  connections(limits?: PageLimits): Iterable<AdmConnection[]> | AsyncIterable<AdmConnection[]>;
  edit(edits: readonly AdmEdit[]): Promise<void>;
}

export interface OpsOptions {
  /** The daemon's version, for hello. */
  version: string;
  /** Reloads the configuration file (or `file` instead); resolves with what to tell the caller. */
  reload?: (file: string | null) => Promise<unknown>;
  /** Withdraws the routes, waits for connections to end (at most timeoutMs), then stops the daemon. */
  drain?: (timeoutMs: number) => Promise<unknown>;
}

/** How long a drain waits for connections when the caller does not say. */
export const DEFAULT_DRAIN_SECONDS = 60;

/** An operation the director turned down keeps its message; the old state stays in force. */
async function refusedOnError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ControlError) throw err;
    throw new ControlError('refused', (err as Error).message);
  }
}

/** Connection pages as AdmConnectionList values; an empty page sends nothing but still yields. */
async function* connectionLists(pages: Iterable<AdmConnection[]> | AsyncIterable<AdmConnection[]>): AsyncGenerator<unknown> {
  for await (const connections of pages) yield connections.length === 0 ? null : { version: ADM_MODEL_VERSION, connections };
}

export function controlOps(target: ControlTarget, o: OpsOptions): ControlOps {
  const ops: Record<string, (args: Record<string, unknown>) => unknown> = {
    hello: () => ({ protocol: PROTOCOL_VERSION, model: ADM_MODEL_VERSION, version: o.version, pid: process.pid }),
    snapshot: () => target.snapshot(),
    stats: () => target.stats(),
    connections: () => new Streamed(connectionLists(target.connections())),
    edit: async (args) => {
      const edits = decodeEdits(args);
      await refusedOnError(() => target.edit(edits));
      return { applied: edits.length };
    },
  };
  const reload = o.reload;
  if (reload !== undefined) {
    ops.reload = (args) => {
      const file = args.config;
      if (file !== undefined && (typeof file !== 'string' || file === '')) throw new ControlError('bad-args', 'config: must be a file name');
      return refusedOnError(() => reload(file ?? null));
    };
  }
  const drain = o.drain;
  if (drain !== undefined) {
    ops.drain = (args) => {
      const timeout = args.timeout ?? DEFAULT_DRAIN_SECONDS;
      if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) throw new ControlError('bad-args', 'timeout: must be a number of seconds, 0 or more');
      return refusedOnError(() => drain(timeout * 1000));
    };
  }
  return ops;
}
