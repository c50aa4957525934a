// FILE_CHECK, keepalived's track_file rules for a real server: the file holds a number (missing,
// empty or unreadable text counts as 0). With weight 0 a non-zero value fails (reverse: zero
// fails); otherwise value * weight (negated with reverse) is added to the configured weight,
// reported as load, and only a sum at or below keepalived's fault limit fails.

import { promises as fs } from 'node:fs';
import type { FileCheckSpec } from './types.js';
import type { CheckResult } from './types.js';

/** keepalived's IPVS_WEIGHT_FAULT: a weighted value this low puts the checker in fault. */
const WEIGHT_FAULT = -2147483648;
const MAX_WEIGHT = 65535;
/** keepalived reads at most this much of the file. */
const READ_BYTES = 127;

/** Files this process has already initialised (init_file runs once per start, not per check). */
const initialised = new Set<string>();

/** The number in the file as keepalived reads it (strtol of the start: "12abc" is 12, "x" is 0). */
export function trackFileValue(text: string): number | null {
  const m = /^\s*([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)/i.exec(text);
  if (!m) return 0;
  const value = Number(m[2]!.toLowerCase().startsWith('0x') ? m[2] : /^0\d/.test(m[2]!) ? parseInt(m[2]!, 8) : m[2]) * (m[1] === '-' ? -1 : 1);
  // keepalived ignores a value outside 32 bits (and keeps the last one).
  return value < -2147483648 || value > 2147483648 ? null : value;
}

/** The verdict for a value, keepalived's way. */
export function judgeTrackValue(spec: Pick<FileCheckSpec, 'weight' | 'reverse' | 'baseWeight' | 'trackFile'>, value: number, latencyMs: number): CheckResult {
  const detail = `track_file ${spec.trackFile} reads ${value}`;
  if (spec.weight === 0) return { ok: (value === 0) !== spec.reverse, detail, latencyMs };
  const delta = value * spec.weight * (spec.reverse ? -1 : 1);
  if (delta <= WEIGHT_FAULT) return { ok: false, detail: `${detail} (weighted ${delta}: fault)`, latencyMs };
  const weight = Math.min(MAX_WEIGHT, Math.max(0, spec.baseWeight + delta));
  return { ok: true, detail: `${detail} (weight ${spec.baseWeight} ${delta < 0 ? '-' : '+'} ${Math.abs(delta)})`, latencyMs, load: { kind: 'weight', weight } };
}

async function initFile(spec: FileCheckSpec): Promise<void> {
  if (spec.init === null || initialised.has(spec.path)) return;
  initialised.add(spec.path);
  await fs.writeFile(spec.path, `${spec.init.value}\n`, { flag: spec.init.overwrite ? 'w' : 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/** Values last read per file, for keepalived's "out of range: keep the last value". */
const lastValue = new Map<string, number>();

export async function fileCheck(spec: FileCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  await initFile(spec);
  let text = '';
  try {
    const handle = await fs.open(spec.path, 'r');
    try {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(READ_BYTES), 0, READ_BYTES, 0);
      text = buffer.subarray(0, bytesRead).toString('latin1');
    } finally {
      await handle.close();
    }
  } catch {
    // keepalived: a missing or unreadable file reads as 0.
  }
  const value = trackFileValue(text) ?? lastValue.get(spec.path) ?? 0;
  lastValue.set(spec.path, value);
  return judgeTrackValue(spec, value, Math.round(performance.now() - started));
}
