// `director lab demo` run through bin/director as a user runs it, and the checks every demo test
// makes on what it printed: the HTTP and UDP spread over the real servers and a lab fully removed.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listNamespaces } from '../../src/lab/netns.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { repoRoot } from '../../src/lab/services.js';
import { findOnPath } from './prerequisites.js';

/** Starts `bin/director lab demo ARGS` (optionally with another environment). */
export function startDemo(args: string[], env?: NodeJS.ProcessEnv): NsProcess {
  return spawnInNamespace(null, [process.execPath, path.join(repoRoot(), 'bin', 'director'), 'lab', 'demo', ...args],
    env === undefined ? {} : { env });
}

/** Runs a demo to its end (bounded: stopped after limitMs); asserts exit 0 and returns its stdout. */
export async function runDemo(args: string[], limitMs: number, env?: NodeJS.ProcessEnv): Promise<string> {
  const p = startDemo(args, env);
  const timer = setTimeout(() => { void p.stop(1000); }, limitMs);
  const status = await p.exited;
  clearTimeout(timer);
  assert.equal(status.code, 0, p.stdout + p.stderr);
  return p.stdout;
}

/** Namespaces of a lab prefix that still exist. */
export async function namespacesLeft(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
}

/**
 * The demo printed `each` HTTP answers from each of rs1..rs3 and the same UDP spread, and its lab
 * is gone; returns the lab prefix.
 */
export async function assertDemoSpread(out: string, each: number): Promise<string> {
  for (const rs of ['rs1', 'rs2', 'rs3']) assert.match(out, new RegExp(`^  ${rs}\\s+${each} `, 'm'), out);
  assert.match(out, new RegExp(`UDP echo .*\\{"rs1":${each},"rs2":${each},"rs3":${each}\\}`), out);
  assert.match(out, /lab removed in/);
  const prefix = /lab (\S+) built/.exec(out)?.[1] ?? '';
  assert.notEqual(prefix, '', out);
  assert.deepEqual(await namespacesLeft(prefix), []);
  return prefix;
}

/**
 * The environment of a bare machine with only the README's run-time requirements: PATH is one
 * temporary directory holding node and ip (symlinks). remove() deletes the directory.
 */
export function bareEnvironment(): { env: NodeJS.ProcessEnv; remove: () => void } {
  const ip = findOnPath('ip');
  if (ip === null) throw new Error('ip (iproute2) is not on PATH');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'director-bare-path-'));
  symlinkSync(process.execPath, path.join(dir, 'node'));
  symlinkSync(ip, path.join(dir, 'ip'));
  return { env: { ...process.env, PATH: dir }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
