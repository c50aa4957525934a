// VRRP's scripts (notify_*, vrrp_script) go through the one script runner, under the same
// keepalived rules as every other script (script_user, keepalived_script, enable_script_security),
// in the director's network namespace. A notify's arguments are quoted onto its command line.

import type { GlobalDefsConfig, ScriptCommand } from '../config/model.js';
import { describeOutcome, runScript } from '../script/runner.js';

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
  constructor(private readonly o: ScriptRunnerOptions) {}

  /** Runs command with args appended; ok when it exits 0 within timeoutMs. */
  async run(cmd: ScriptCommand, args: readonly string[], timeoutMs: number): Promise<ScriptResult> {
    const command = [cmd.command, ...args.map(shellQuote)].join(' ');
    const outcome = await runScript({
      script: {
        command, user: cmd.user, group: cmd.group,
        defaultUser: this.o.globals.scriptUser, secure: this.o.globals.enableScriptSecurity,
      },
      timeout: timeoutMs / 1000,
      ...(this.o.netns !== undefined ? { netns: this.o.netns } : {}),
    });
    return { ok: outcome.kind === 'exited' && outcome.code === 0, detail: describeOutcome(cmd.command, outcome) };
  }
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
