// State files of running labs (/run/director-lab/PREFIX.json), so `director lab down` finds
// what `director lab up` left running after its own process ended.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabHandle } from './topology.js';

export const STATE_DIR = '/run/director-lab';

export interface LabState {
  prefix: string;
  createdAt: string;
  /** Directory holding the generated keepalived.conf and the logs. */
  workDir: string;
  configFile: string;
  directorPid: number;
  lab: LabHandle;
}

function stateFile(prefix: string): string {
  if (!/^[A-Za-z0-9_.]+$/.test(prefix)) throw new Error(`bad lab prefix "${prefix}"`);
  return path.join(STATE_DIR, `${prefix}.json`);
}

export function writeState(s: LabState): string {
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o755 });
  const f = stateFile(s.prefix);
  writeFileSync(f, JSON.stringify(s, null, 2) + '\n', { mode: 0o644 });
  return f;
}

export function readState(prefix: string): LabState | null {
  try {
    return JSON.parse(readFileSync(stateFile(prefix), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

export function listStates(): LabState[] {
  let names: string[];
  try { names = readdirSync(STATE_DIR); } catch { return []; }
  return names.filter((n) => n.endsWith('.json'))
    .map((n) => readState(n.slice(0, -5)))
    .filter((s): s is LabState => s !== null);
}

export function removeState(prefix: string): void {
  rmSync(stateFile(prefix), { force: true });
}
