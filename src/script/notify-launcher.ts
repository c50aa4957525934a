// Starts notify scripts (a real server's notify_up/down, a service's quorum_up/down) through the
// shared script runner without waiting for them: how each ended is logged, a root script others
// could change is warned about, and settled() lets a stop or a test wait for those still running.

import type { ScriptConfig } from '../config/model.js';
import type { Logger } from '../log/logger.js';
import { describeOutcome, runScript, type ScriptJob, type ScriptOutcome } from './runner.js';

export type ScriptRun = (job: ScriptJob, unsafe: (why: string) => void) => Promise<ScriptOutcome>;

export class NotifyLauncher {
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    /** The log event of the lines (notify, quorum). */
    private readonly event: string,
    private readonly run: ScriptRun = runScript,
  ) {}

  /** Runs script (what says which and why, for the log), killed after timeout seconds. */
  start(what: string, script: ScriptConfig, timeout: number): Promise<void> {
    const unsafe = (why: string): void => this.log.warn({ event: this.event, script: script.command }, `${what}: SECURITY: ${script.command} runs as root though ${why} (enable_script_security refuses such scripts)`);
    const p = this.run({ script, timeout }, unsafe).then((outcome) => {
      const ok = outcome.kind === 'exited' && outcome.code === 0;
      this.log[ok ? 'info' : 'warn']({ event: this.event, script: script.command, ok }, `${what}: ${ok ? `${script.command} ran` : describeOutcome(script.command, outcome)}`);
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  /** Resolves when the scripts started so far have ended. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
  }
}
