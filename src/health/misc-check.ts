// MISC_CHECK: runs misc_path with /bin/sh in its own process group; exit 0 passes, anything else
// fails, and a script still running after misc_timeout fails and is killed (SIGTERM, then SIGKILL
// to the whole group, as keepalived does). With misc_dynamic, exit codes 2..255 pass and set the
// weight to code - 2, and 0 restores the configured weight (keepalived's rule).

import { spawn } from 'node:child_process';
import { parseMiscDynamic, type FeedbackReport } from '../sched/load-feedback.js';
import { failed, type CheckResult, type MiscCheckSpec } from './types.js';

const KILL_GRACE_MS = 2000;

/** Process groups of scripts still running (the runner kills them when it exits). */
export const runningScripts = new Set<number>();

export function miscCheck(spec: MiscCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', spec.path], { detached: true, stdio: 'ignore' });
    let timedOut = false;
    const pid = child.pid;
    if (pid !== undefined) runningScripts.add(pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, 'SIGTERM');
      setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    }, spec.timeout * 1000);
    child.once('error', (err) => {
      clearTimeout(timer);
      if (pid !== undefined) runningScripts.delete(pid);
      resolve(failed(`cannot run ${spec.path}: ${err.message}`, started));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) runningScripts.delete(pid);
      if (timedOut) resolve(failed(`${spec.path} timed out after ${spec.timeout} s`, started));
      else if (code === null) resolve(failed(`${spec.path} killed by ${signal}`, started));
      else resolve(judgeExit(spec, code, Math.round(performance.now() - started)));
    });
  });
}

/** The result for an exit code, keepalived's way. */
export function judgeExit(spec: Pick<MiscCheckSpec, 'path' | 'dynamic'>, code: number, latencyMs: number): CheckResult {
  const detail = `${spec.path} exited with status ${code}`;
  if (!spec.dynamic) return { ok: code === 0, detail, latencyMs };
  const report = parseMiscDynamic(code);
  if (report.kind === 'fail') return { ok: false, detail, latencyMs };
  const load: FeedbackReport = report.kind === 'keep' ? { kind: 'percent', percent: 100 } : report;
  return { ok: true, detail, latencyMs, load };
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone: nothing to kill.
  }
}
