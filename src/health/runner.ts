// The health check runner a director starts inside the real servers' network namespace
// (`ip netns exec NS node runner.js`): one JSON request per stdin line ({"id", "spec"}), one JSON
// answer per stdout line ({"id", "result"}), checks run concurrently; it exits when stdin closes,
// killing scripts still running, so it never outlives its director.

import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { runCheck } from './checkers.js';
import { killAllScripts } from '../script/runner.js';
import type { CheckOutcome, CheckSpec } from './types.js';

export interface RunnerRequest {
  id: number;
  spec: CheckSpec;
}

export interface RunnerAnswer {
  id: number;
  result: CheckOutcome;
}

/** Serves requests from input until it ends; resolves when every started check has answered. */
export function serveChecks(input: Readable, output: Writable, run = runCheck): Promise<void> {
  const inflight = new Set<Promise<void>>();
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  rl.on('line', (line) => {
    const request = parseRequest(line);
    if (request === null) {
      output.write(`${JSON.stringify({ id: -1, error: `bad request line: ${line.slice(0, 80)}` })}\n`);
      return;
    }
    const p = run(request.spec).then((result) => {
      output.write(`${JSON.stringify({ id: request.id, result } satisfies RunnerAnswer)}\n`);
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  });
  return new Promise((resolve) => {
    rl.once('close', () => void Promise.all(inflight).then(() => resolve()));
  });
}

function parseRequest(line: string): RunnerRequest | null {
  try {
    const r = JSON.parse(line) as Partial<RunnerRequest>;
    if (typeof r.id !== 'number' || typeof r.spec !== 'object' || r.spec === null) return null;
    return r as RunnerRequest;
  } catch {
    return null;
  }
}

function main(): void {
  process.stdin.once('end', () => {
    killAllScripts('SIGKILL');
    process.exit(0);
  });
  void serveChecks(process.stdin, process.stdout);
}

if (require.main === module) main();
