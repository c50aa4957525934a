// MISC_CHECK: runs misc_path through the script runner (keepalived's user and security rules,
// /bin/sh -c in its own process group); exit 0 passes, anything else fails, and a script still
// running after misc_timeout fails and its group is killed, as keepalived does. With misc_dynamic,
// exit codes 2..255 pass and set the weight to code - 2, and 0 restores the configured weight
// (keepalived's rule). A script the rules refuse fails the check: its server is never up unchecked.

import { parseMiscDynamic, type FeedbackReport } from '../sched/load-feedback.js';
import { describeOutcome, runScript } from '../script/runner.js';
import { failed, type CheckResult, type MiscCheckSpec } from './types.js';

export async function miscCheck(spec: MiscCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const outcome = await runScript({ script: { command: spec.path, ...spec.runAs }, timeout: spec.timeout });
  switch (outcome.kind) {
    case 'exited':
      return judgeExit(spec, outcome.code, Math.round(performance.now() - started));
    case 'timed-out':
      return failed(`${spec.path} timed out after ${spec.timeout} s`, started);
    default:
      return failed(describeOutcome(spec.path, outcome), started);
  }
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
