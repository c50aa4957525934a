// AGENT_CHECK (director extension, HAProxy's agent-check): connect to the agent port, read the
// one line it writes ("75%", "up", "drain", "down" ...) within connect_timeout; the reply's last
// status word decides pass or fail, its last percentage becomes a load report.

import { connectStream } from './check-socket.js';
import { parseAgentReply, type FeedbackReport } from '../sched/load-feedback.js';
import { failed, type AgentCheckSpec, type CheckResult } from './types.js';

/** An agent line longer than this is not an agent. */
const MAX_REPLY = 512;

export function agentCheck(spec: AgentCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const target = `${spec.connectIp}:${spec.connectPort}`;
  return new Promise((resolve) => {
    let text = '';
    let done = false;
    const socket = connectStream(spec);
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const answer = (): void => finish(judgeAgentReply(text, started));
    const timer = setTimeout(() => finish(failed(`agent ${target} did not answer within ${spec.connectTimeout} s`, started)),
      spec.connectTimeout * 1000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n') || text.length > MAX_REPLY) answer();
    });
    socket.once('end', answer);
    socket.once('error', (err: NodeJS.ErrnoException) => finish(failed(`agent ${target}: ${err.code ?? err.message}`, started)));
  });
}

/** Turns an agent's reply into a result: the last up/down word wins, the last percentage is the load. */
export function judgeAgentReply(raw: string, started: number): CheckResult {
  const line = raw.split('\n')[0]!.slice(0, MAX_REPLY);
  let reports: FeedbackReport[];
  try {
    reports = parseAgentReply(line);
  } catch (err) {
    return failed(`agent reply: ${(err as Error).message}`, started);
  }
  const status = reports.filter((r) => r.kind === 'fail' || r.kind === 'keep').at(-1);
  const load = reports.filter((r) => r.kind === 'percent').at(-1);
  const latencyMs = Math.round(performance.now() - started);
  if (status?.kind === 'fail') return { ok: false, detail: `agent says "${line.trim()}"`, latencyMs };
  return { ok: true, detail: `agent says "${line.trim()}"`, latencyMs, ...(load ? { load } : {}) };
}
