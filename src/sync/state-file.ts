// The state file of a lossless restart: the connection table and persistence templates written
// on a clean stop and read back on start, when fresh enough. It reuses the sync message format,
// so a restart learns connections exactly as a backup does.
//
// Layout (big-endian): "DIRSTATE" (8 bytes), format version (u16, 1), reserved (u16, 0), the
// wall-clock time it was written (f64, ms since 1970), the message count (u32), then that many
// IPVS sync v1 messages back to back (each says its own length). Entries hold the seconds each
// connection or template had left when written; templates come first, so the connections they
// control find them.
//
// Freshness: a file is loaded only when it was written at most maxAge ago (default 60 s) and not
// in the future; every entry loses the time that passed, and one with nothing left is dropped.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { decodeMessage, type SyncConn } from './ipvs-sync-codec.js';
import { packAll } from './ipvs-sync-policy.js';
import { isTemplate } from './sync-entries.js';
import type { ConnAdopter, ReceiveDrop } from './sync-receiver.js';

const MAGIC = Buffer.from('DIRSTATE', 'latin1');
export const STATE_FORMAT_VERSION = 1;
const HEADER_BYTES = 24;
/** Messages as large as the format allows (the size field is 16 bits). */
const MESSAGE_MAX = 65_000;
export const DEFAULT_STATE_MAX_AGE_MS = 60_000;

/** Writes entries (templates first) atomically: a reader never sees half a file. */
export function writeStateFile(path: string, entries: readonly SyncConn[], wallMs: number): void {
  const ordered = [...entries.filter(isTemplate), ...entries.filter((e) => !isTemplate(e))];
  const messages = packAll(ordered, 0, MESSAGE_MAX);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(STATE_FORMAT_VERSION, 8);
  header.writeDoubleBE(wallMs, 12);
  header.writeUInt32BE(messages.length, 20);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([header, ...messages]), { mode: 0o600 });
  renameSync(tmp, path);
}

export interface StateLoad extends Adopted {
  /** Why nothing was loaded, or null when the file was read. */
  refused: string | null;
  ageMs: number;
}

/** Reads a state file into the tables through adopter, if it is fresh enough. Never throws. */
export function loadStateFile(path: string, adopter: ConnAdopter, wallMs: number, maxAgeMs = DEFAULT_STATE_MAX_AGE_MS): StateLoad {
  const out: StateLoad = { refused: null, ageMs: 0, conns: 0, templates: 0, drops: {} };
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (err) {
    return { ...out, refused: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (b.length < HEADER_BYTES || !b.subarray(0, 8).equals(MAGIC)) return { ...out, refused: `${path} is not a director state file` };
  const version = b.readUInt16BE(8);
  if (version !== STATE_FORMAT_VERSION) return { ...out, refused: `${path} has format version ${version}, this director reads ${STATE_FORMAT_VERSION}` };
  out.ageMs = wallMs - b.readDoubleBE(12);
  if (!(out.ageMs >= 0 && out.ageMs <= maxAgeMs)) {
    return { ...out, refused: `${path} was written ${Math.round(out.ageMs / 1000)} s ago (must be 0..${maxAgeMs / 1000} s)` };
  }
  const lost = Math.ceil(out.ageMs / 1000);
  let off = HEADER_BYTES;
  for (let i = b.readUInt32BE(20); i > 0; i--) {
    const size = off + 4 <= b.length ? b.readUInt16BE(off + 2) : 0;
    if (size < 8 || off + size > b.length) return { ...out, refused: `${path} is truncated (message at byte ${off})` };
    const m = decodeMessage(b.subarray(off, off + size));
    for (const entry of m.conns) apply(out, adopter, entry, entry.timeoutSeconds - lost);
    for (const skip of m.skipped) count(out, skip);
    if (m.error) count(out, m.error);
    off += size;
  }
  return out;
}

/** What became of entries handed to an adopter: connections and templates taken, the rest by reason. */
export interface Adopted {
  conns: number;
  templates: number;
  drops: Partial<Record<ReceiveDrop, number>>;
}

/** Entries (each with the seconds it has left) into the tables through adopter: a worker's share of a state file. */
export function adoptEntries(adopter: ConnAdopter, entries: ReadonlyArray<readonly [SyncConn, number]>): Adopted {
  const out: Adopted = { conns: 0, templates: 0, drops: {} };
  for (const [entry, left] of entries) apply(out, adopter, entry, left);
  return out;
}

function apply(out: Adopted, adopter: ConnAdopter, entry: SyncConn, left: number): void {
  if (left <= 0) {
    count(out, 'expired');
    return;
  }
  const template = isTemplate(entry);
  const why = template ? adopter.adoptTemplate(entry, left) : adopter.adoptConn(entry, left);
  if (why !== null) count(out, why);
  else if (template) out.templates++;
  else out.conns++;
}

function count(out: Adopted, why: ReceiveDrop): void {
  out.drops[why] = (out.drops[why] ?? 0) + 1;
}
