// Processes started inside a lab namespace (`ip netns exec`), with a handle to wait for a ready
// line, collect output and stop them within a bounded time.

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface SpawnOptions {
  /** Keep the process running after this process exits (lab up); output goes to logFile. */
  detached?: boolean;
  logFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * How long a program started in a lab may take to print that it is ready. Only a failure waits
 * this long; a node program on a loaded 2-core machine can need several seconds to start.
 */
export const READY_TIMEOUT_MS = 30_000;

/** Attached children still running: killed when this process exits, so none outlives a lab. */
const running = new Set<NsProcess>();

/** SIGKILLs every attached child still running (exit and signal paths; synchronous). */
export function killAttachedChildren(): void {
  for (const p of running) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  running.clear();
}

/** A process running in a namespace. `ip netns exec` execs the program, so pid is the program's. */
export class NsProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private out = '';
  private err = '';
  private status: ExitStatus | null = null;
  private waiters: Array<() => void> = [];

  constructor(readonly ns: string, readonly argv: string[], private readonly child: ChildProcess) {
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')} in ${ns}`);
    this.pid = child.pid;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { this.out += d; this.wake(); });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { this.err += d; this.wake(); });
    this.exited = new Promise((resolve) => {
      // 'close' rather than 'exit': it comes after the last output has been read.
      child.once('close', (code, signal) => {
        this.status = { code, signal };
        this.wake();
        resolve(this.status);
      });
    });
  }

  get stdout(): string { return this.out; }
  get stderr(): string { return this.err; }
  get running(): boolean { return this.status === null; }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * Resolves when stdout (or stderr: a director's log) matches re; rejects if the process exits
   * first or time runs out.
   */
  waitFor(re: RegExp, timeoutMs = READY_TIMEOUT_MS, from: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.argv.join(' ')} in ${this.ns}: no ${re} within ${timeoutMs} ms; stderr: ${this.err.trim()}`));
      }, timeoutMs);
      const check = (): void => {
        const m = (from === 'stdout' ? this.out : this.err).match(re);
        if (m) { clearTimeout(timer); resolve(m); return; }
        if (this.status !== null) {
          clearTimeout(timer);
          reject(new Error(`${this.argv.join(' ')} in ${this.ns} exited (${this.status.code ?? this.status.signal}): ${this.err.trim()}`));
          return;
        }
        this.waiters.push(check);
      };
      check();
    });
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  async stop(graceMs = 2000): Promise<ExitStatus> {
    if (this.status !== null) return this.status;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => { if (this.status === null) this.child.kill('SIGKILL'); }, graceMs);
    const s = await this.exited;
    clearTimeout(timer);
    return s;
  }
}

/** Starts argv inside namespace ns; null runs it where we are (lab tooling, never lab traffic). */
export function spawnInNamespace(ns: string | null, argv: string[], opts: SpawnOptions = {}): NsProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('spawnInNamespace: empty argv');
  let stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe'];
  let fd: number | null = null;
  if (opts.logFile !== undefined) {
    fd = openSync(opts.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const [cmd, cmdArgs] = ns === null ? [file, args] : ['ip', ['netns', 'exec', ns, file, ...args]];
  const child = spawn(cmd, cmdArgs, {
    stdio,
    detached: opts.detached === true,
    env: opts.env ?? process.env,
  });
  if (fd !== null) closeSync(fd);
  if (opts.detached === true) child.unref();
  const p = new NsProcess(ns ?? '(here)', argv, child);
  if (opts.detached !== true) {
    running.add(p);
    void p.exited.then(() => running.delete(p));
  }
  return p;
}

/** Runs argv in ns to completion within timeoutMs; resolves with its output and exit status. */
export async function runInNamespace(ns: string, argv: string[], timeoutMs = 30_000):
Promise<{ stdout: string; stderr: string; status: ExitStatus }> {
  const p = spawnInNamespace(ns, argv);
  const timer = setTimeout(() => { void p.stop(500); }, timeoutMs);
  const status = await p.exited;
  clearTimeout(timer);
  return { stdout: p.stdout, stderr: p.stderr, status };
}
