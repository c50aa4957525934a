// Runs the scripts of a configuration (MISC_CHECK, notify_up/down, and VRRP's and quorum's to
// come) one way: keepalived's user and security rules first, then /bin/sh -c COMMAND in a process
// group of its own as that user, with a cleaned environment, a timeout that kills the whole
// group (SIGTERM, then SIGKILL), and its output kept up to a cap for the log.

import { spawn } from 'node:child_process';
import type { ScriptConfig } from '../config/model.js';
import { ownIds, resolveIdentity, type ScriptIdentity } from './identity.js';
import { checkScript } from './security.js';
import { UserDb } from './users.js';

/** Output kept per run (stdout and stderr together); the rest is read and dropped. */
export const OUTPUT_CAP = 4096;
const KILL_GRACE_MS = 2000;
/** Variables a script never inherits (keepalived drops the same: loader and word-splitting overrides). */
const DROPPED_ENV = ['IFS', 'LD_PRELOAD', 'LD_LIBRARY_PATH'];

export interface ScriptJob {
  script: ScriptConfig;
  /** Seconds before the group is killed and the run counts as timed out; null: no limit. */
  timeout: number | null;
  /** Extra environment for this run. */
  env?: Readonly<Record<string, string>>;
  /**
   * Network namespace (a name under /run/netns) to run in; none: this one. Entering it needs
   * root, so the switch to the script's user happens after, through setpriv.
   */
  netns?: string;
}

export type ScriptOutcome =
  | { kind: 'exited'; code: number; output: string }
  | { kind: 'signalled'; signal: string; output: string }
  | { kind: 'timed-out'; output: string }
  /** keepalived's rules said no (user, missing or unsafe program): nothing was started. */
  | { kind: 'refused'; reason: string }
  /** The process could not be started. */
  | { kind: 'failed'; reason: string };

/** Process groups of scripts still running (killed when their director or runner goes). */
const running = new Set<number>();

/** Kills every script still running, e.g. when the process that started them exits. */
export function killAllScripts(signal: NodeJS.Signals): void {
  for (const pid of running) killGroup(pid, signal);
}

/**
 * Checks and runs one script. `unsafe` hears about a root script that others could change, run
 * anyway because enable_script_security is off (keepalived's warning, once per run).
 */
export function runScript(job: ScriptJob, unsafe: (why: string) => void = () => {}): Promise<ScriptOutcome> {
  const { script } = job;
  const who = resolveIdentity(script, new UserDb());
  if (!who.ok) return Promise.resolve({ kind: 'refused', reason: who.reason });
  const check = checkScript(script.command, who.id, script.secure);
  if (check.refusal !== null) return Promise.resolve({ kind: 'refused', reason: check.refusal });
  if (check.unsafe !== null) unsafe(check.unsafe);
  return spawnScript(job, who.id);
}

function spawnScript(job: ScriptJob, id: ScriptIdentity): Promise<ScriptOutcome> {
  return new Promise((resolve) => {
    const own = ownIds();
    const switches = id.uid !== own.uid || id.gid !== own.gid || id.groups.length > 0;
    const [file, args] = commandFor(job.script.command, id, switches, job.netns);
    const child = spawn(file, args, {
      detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: environment(job.env),
      ...(switches && job.netns === undefined && id.groups.length === 0 ? { uid: id.uid, gid: id.gid } : {}),
    });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let output = '';
    const keep = (chunk: Buffer): void => {
      if (output.length < OUTPUT_CAP) output += chunk.toString('utf8').slice(0, OUTPUT_CAP - output.length);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = job.timeout === null ? null : setTimeout(() => {
      timedOut = true;
      killGroup(pid, 'SIGTERM');
      setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    }, job.timeout * 1000);
    const done = (outcome: ScriptOutcome): void => {
      if (timer !== null) clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      // Children left behind may hold the pipes open: the outcome does not wait for them.
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(outcome);
    };
    child.once('error', (err) => done({ kind: 'failed', reason: err.message }));
    child.once('exit', (code, signal) => {
      if (timedOut) done({ kind: 'timed-out', output });
      else if (code === null) done({ kind: 'signalled', signal: signal ?? 'unknown', output });
      else done({ kind: 'exited', code, output });
    });
  });
}

/**
 * /bin/sh -c COMMAND. The spawn itself switches ids where it can (it works with the CAP_SETUID
 * and CAP_SETGID a daemon keeps after dropping root). setpriv (util-linux) does it instead for
 * keepalived's ':GROUP' supplementary groups, which Node cannot set, and inside another
 * namespace, which only root may enter.
 */
function commandFor(command: string, id: ScriptIdentity, switches: boolean, netns: string | undefined): [string, string[]] {
  const shell = ['/bin/sh', '-c', command];
  const viaSetpriv = switches && (netns !== undefined || id.groups.length > 0);
  const groups = id.groups.length > 0 ? `--groups=${id.groups.join(',')}` : '--clear-groups';
  const line = viaSetpriv ? ['setpriv', `--reuid=${id.uid}`, `--regid=${id.gid}`, groups, '--', ...shell] : shell;
  const full = netns === undefined ? line : ['ip', 'netns', 'exec', netns, ...line];
  return [full[0]!, full.slice(1)];
}

function environment(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of DROPPED_ENV) delete env[name];
  return env;
}

/** Signals a script's whole process group; one already gone is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone: nothing to kill.
  }
}

/** One line for logs: how the run ended, with the start of its output. */
export function describeOutcome(command: string, o: ScriptOutcome): string {
  const said = 'output' in o && o.output.trim() !== '' ? `: ${o.output.trim().split('\n')[0]!.slice(0, 200)}` : '';
  switch (o.kind) {
    case 'exited': return `${command} exited with status ${o.code}${said}`;
    case 'signalled': return `${command} killed by ${o.signal}${said}`;
    case 'timed-out': return `${command} timed out${said}`;
    case 'refused': return `${command} not run: ${o.reason}`;
    case 'failed': return `cannot run ${command}: ${o.reason}`;
  }
}
