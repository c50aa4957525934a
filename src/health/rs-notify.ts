// notify_up and notify_down of real servers, keepalived's way: a server's script runs when its
// checkers flip it Up or Down (as configured, no arguments added), and once when its first
// results confirm it Down (an alpha server, or one that fails from the start). Scripts run through
// the shared script runner; how each ended is logged, and a script never delays health checks.

import type { ScriptConfig } from '../config/model.js';
import { describeDest, describeService } from '../control/governor.js';
import type { RuntimeDest, RuntimeService } from '../datapath/service-table.js';
import type { Logger } from '../log/logger.js';
import { describeOutcome, runScript, type ScriptJob, type ScriptOutcome } from '../script/runner.js';

/** A notify script may run this long before its group is killed (keepalived sets no limit; a hung one would pile up). */
export const NOTIFY_TIMEOUT_S = 300;

export type ScriptRun = (job: ScriptJob, unsafe: (why: string) => void) => Promise<ScriptOutcome>;

export class RealServerNotifier {
  /** Per real server id: the state last notified; undefined while Down has not been confirmed. */
  private readonly notified = new Map<number, boolean | undefined>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly run: ScriptRun = runScript,
  ) {}

  /** The server's health after a check result: runs its script when that is news. */
  observe(dest: RuntimeDest, svc: RuntimeService, up: boolean): void {
    if (!this.notified.has(dest.id)) this.notified.set(dest.id, dest.config.alpha === true ? undefined : true);
    if (this.notified.get(dest.id) === up) return;
    this.notified.set(dest.id, up);
    const script = up ? dest.config.notifyUp : dest.config.notifyDown;
    if (script !== undefined) this.start(`${up ? 'notify_up' : 'notify_down'} of ${describeDest(dest)} in VS ${describeService(svc)}`, script);
  }

  /** Resolves when the scripts started so far have ended (tests, and a stop that waits). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
  }

  private start(what: string, script: ScriptConfig): void {
    const unsafe = (why: string): void => this.log.warn({ event: 'notify', script: script.command }, `${what}: SECURITY: ${script.command} runs as root though ${why} (enable_script_security refuses such scripts)`);
    const p = this.run({ script, timeout: NOTIFY_TIMEOUT_S }, unsafe).then((outcome) => {
      const ok = outcome.kind === 'exited' && outcome.code === 0;
      this.log[ok ? 'info' : 'warn']({ event: 'notify', script: script.command, ok }, `${what}: ${ok ? `${script.command} ran` : describeOutcome(script.command, outcome)}`);
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}
