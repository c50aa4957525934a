// Outside tools a test needs: one clear line naming the missing program and the Debian package
// that brings it. Under CI=true (.ci/run installs them) a missing tool fails the test; elsewhere
// the test is skipped with that line as its reason.

import { execFileSync } from 'node:child_process';
import { skipWith } from './netns.js';

function installed(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fails (CI) or skips the current test or hook unless `program` is on PATH. */
export function requireTool(ctx: Mocha.Context, program: string, debianPackage: string): void {
  if (installed(program)) return;
  const line = `missing tool ${program}: apt-get install -y ${debianPackage}`;
  if (process.env.CI === 'true') throw new Error(line);
  skipWith(ctx, line);
}
