// The explicit list of checkers by kind, and runCheck, which runs one spec in this process and
// turns any unexpected exception into a check that did not run: a checker bug is no fault of the
// real server's, and must not stop health checks either.

import { agentCheck } from './agent-check.js';
import { bfdCheck } from './bfd-check.js';
import { dnsCheck } from './dns-check.js';
import { fileCheck } from './file-check.js';
import { httpCheck } from './http-check.js';
import { miscCheck } from './misc-check.js';
import { pingCheck } from './ping-check.js';
import { smtpCheck } from './smtp-check.js';
import { tcpCheck } from './tcp-check.js';
import { udpCheck } from './udp-check.js';
import { notRun, type CheckOutcome, type CheckResult, type CheckSpec } from './types.js';

type CheckerFor<K extends CheckSpec['kind']> = (spec: Extract<CheckSpec, { kind: K }>) => Promise<CheckResult>;

const CHECKERS: { [K in CheckSpec['kind']]: CheckerFor<K> } = {
  tcp: tcpCheck,
  http: httpCheck,
  ssl: httpCheck,
  dns: dnsCheck,
  udp: udpCheck,
  ping: pingCheck,
  smtp: smtpCheck,
  file: fileCheck,
  bfd: bfdCheck,
  misc: miscCheck,
  agent: agentCheck,
};

export async function runCheck(spec: CheckSpec): Promise<CheckOutcome> {
  const started = performance.now();
  const checker = CHECKERS[spec.kind] as ((s: CheckSpec) => Promise<CheckResult>) | undefined;
  if (checker === undefined) return notRun(`unknown check kind ${String(spec.kind)}`, started);
  try {
    return await checker(spec);
  } catch (err) {
    return notRun(`${spec.kind} check crashed: ${(err as Error).message}`, started);
  }
}
