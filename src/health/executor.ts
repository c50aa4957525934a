// Where health checks run. Without a netns option the director already lives in the real
// servers' namespace and checks run in-process (LocalExecutor). With one (an embedded director in
// a process elsewhere), sockets and scripts must be opened inside that namespace, which a Node
// process cannot do per socket: a small runner process is started there with
// `ip netns exec NS node runner`, talking JSON lines over stdio (ChildExecutor). The same
// checker code runs in both; only the transport differs. When the runner is restarting, dies
// or does not answer in time, the check did not run: that is our fault, not the real server's.

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { silentLogger, type Logger } from '../log/logger.js';
import { runCheck } from './checkers.js';
import type { RunnerAnswer } from './runner.js';
import { checkDeadlineMs, notRun, type CheckExecutor, type CheckOutcome, type CheckSpec } from './types.js';

/** A runner that died is restarted at most this often. */
const RESTART_MS = 1000;
const STOP_GRACE_MS = 2000;

export class LocalExecutor implements CheckExecutor {
  run(spec: CheckSpec): Promise<CheckOutcome> {
    return runCheck(spec);
  }
  async close(): Promise<void> {}
}

/** node argv that runs the runner: the compiled .js, or the .ts source through tsx under tests. */
export function runnerArgv(): string[] {
  const ext = path.extname(__filename);
  const runner = path.join(__dirname, `runner${ext}`);
  if (ext !== '.ts') return [process.execPath, runner];
  return [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, runner];
}

interface Pending {
  resolve: (r: CheckOutcome) => void;
  timer: NodeJS.Timeout;
  started: number;
}

export interface ChildExecutorOptions {
  /** Network namespace to run in (a name under /run/netns); none: this namespace. */
  netns?: string;
  log?: Logger;
}

export class ChildExecutor implements CheckExecutor {
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastStart = -Infinity;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly opts: ChildExecutorOptions = {}) {
    this.log = opts.log ?? silentLogger;
  }

  run(spec: CheckSpec): Promise<CheckOutcome> {
    const started = performance.now();
    if (this.closed) return Promise.resolve(notRun('health checks stopped', started));
    const child = this.child ?? this.start();
    if (child === null) return Promise.resolve(notRun('checker process restarting', started));
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, notRun('no answer from the checker process in time', started)),
        checkDeadlineMs(spec));
      this.pending.set(id, { resolve, timer, started });
      child.stdin!.write(`${JSON.stringify({ id, spec })}\n`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    child.stdin!.end();
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(kill);
  }

  private start(): ChildProcess | null {
    if (performance.now() - this.lastStart < RESTART_MS) return null;
    this.lastStart = performance.now();
    const node = runnerArgv();
    const argv = this.opts.netns ? ['ip', 'netns', 'exec', this.opts.netns, ...node] : node;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin!.on('error', () => {});
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: child.stderr! }).on('line', (line) => this.runnerLog('warn', `health runner: ${line}`));
    child.once('error', (err) => this.runnerLog('error', `health runner: cannot start ${argv.join(' ')}: ${err.message}`));
    child.once('close', (code, signal) => this.onExit(child, code ?? signal));
    return child;
  }

  private onLine(line: string): void {
    let answer: RunnerAnswer;
    try {
      answer = JSON.parse(line) as RunnerAnswer;
    } catch {
      this.runnerLog('warn', `health runner: unreadable line: ${line.slice(0, 120)}`);
      return;
    }
    if (typeof answer.id === 'number' && answer.result) this.settle(answer.id, answer.result);
    else this.runnerLog('warn', `health runner: ${line.slice(0, 120)}`);
  }

  private onExit(child: ChildProcess, how: number | string | null): void {
    if (this.child === child) this.child = null;
    if (!this.closed) this.runnerLog('warn', `health runner exited (${String(how)}); restarting on the next check`);
    for (const [id, p] of this.pending) this.settle(id, notRun(`checker process exited (${String(how)})`, p.started));
  }

  private runnerLog(level: 'warn' | 'error', msg: string): void {
    this.log[level]({ component: 'health runner' }, msg);
  }

  private settle(id: number, result: CheckOutcome): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(result);
  }
}

export function createExecutor(opts: ChildExecutorOptions): CheckExecutor {
  return opts.netns ? new ChildExecutor(opts) : new LocalExecutor();
}
