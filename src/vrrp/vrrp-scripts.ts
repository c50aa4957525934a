// Runs VRRP's scripts (notify_*, vrrp_script): /bin/sh -c in the director's network namespace,
// as script_user when one is set, in a process group of its own that is killed (SIGTERM, then
// SIGKILL, as keepalived does) once it outlives its timeout. A script never blocks the runtime.

import { spawn } from 'node:child_process';
import type { GlobalDefsConfig, ScriptCommand } from '../config/model.js';
import { killGroup } from '../script/runner.js';
import { UserDb } from '../script/users.js';

const KILL_GRACE_MS = 2000;

export interface ScriptResult {
  ok: boolean;
  detail: string;
}

export interface ScriptRunnerOptions {
  /** Network namespace (name under /run/netns) to run in; none: this one. */
  netns?: string;
  globals: GlobalDefsConfig;
}

export class ScriptRunner {
  private readonly running = new Set<number>();

  constructor(private readonly o: ScriptRunnerOptions) {}

  /** Runs command with args appended (each quoted for the shell); ok when it exits 0 in time. */
  run(cmd: ScriptCommand, args: readonly string[], timeoutMs: number): Promise<ScriptResult> {
    const plan = this.plan(cmd, args);
    if ('error' in plan) return Promise.resolve({ ok: false, detail: `cannot run ${cmd.command}: ${plan.error}` });
    const { argv, ids } = plan;
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore', ...ids });
      const pid = child.pid;
      if (pid !== undefined) this.running.add(pid);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(pid, 'SIGTERM');
        setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
      }, timeoutMs);
      const done = (r: ScriptResult): void => {
        clearTimeout(timer);
        if (pid !== undefined) this.running.delete(pid);
        resolve(r);
      };
      child.once('error', (err) => done({ ok: false, detail: `cannot run ${cmd.command}: ${err.message}` }));
      child.once('exit', (code, signal) => {
        if (timedOut) done({ ok: false, detail: `${cmd.command} timed out after ${timeoutMs} ms` });
        else if (code === null) done({ ok: false, detail: `${cmd.command} killed by ${signal}` });
        else done({ ok: code === 0, detail: `${cmd.command} exited with status ${code}` });
      });
    });
  }

  /** Kills every script still running (the director is stopping). */
  killAll(): void {
    for (const pid of this.running) killGroup(pid, 'SIGKILL');
    this.running.clear();
  }

  /**
   * The command line, and the ids the child takes before it runs (in this namespace). In another
   * namespace: runuser after entering it (entering needs root, the script must not have it).
   * Here the ids are set by the spawn itself, with the CAP_SETUID/CAP_SETGID the daemon keeps
   * after dropping its privileges: a runuser it started would hold no capability to switch.
   */
  private plan(cmd: ScriptCommand, args: readonly string[]): { argv: string[]; ids?: { uid: number; gid: number } } | { error: string } {
    const line = [cmd.command, ...args.map(shellQuote)].join(' ');
    const user = cmd.user ?? this.o.globals.scriptUser?.user ?? null;
    const group = cmd.user !== null ? cmd.group : this.o.globals.scriptUser?.group ?? null;
    if (this.o.netns !== undefined) {
      const asUser = user === null ? [] : ['runuser', '-u', user, ...(group === null ? [] : ['-g', group]), '--'];
      return { argv: ['ip', 'netns', 'exec', this.o.netns, ...asUser, '/bin/sh', '-c', line] };
    }
    const argv = ['/bin/sh', '-c', line];
    if (user === null) return { argv };
    const db = new UserDb();
    const account = db.user(user);
    if (account === null) return { error: `script user '${user}' does not exist` };
    const gid = group === null ? account.gid : db.groupId(group);
    if (gid === null) return { error: `script group '${group}' does not exist` };
    return { argv, ids: { uid: account.uid, gid } };
  }
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
