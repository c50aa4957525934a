// notify_up and notify_down of real servers, keepalived's way: a server's script runs when its
// checkers flip it Up or Down (as configured, no arguments added), and once when its first
// results confirm it Down (an alpha server, or one that fails from the start). Scripts run through
// the shared script runner; how each ended is logged, and a script never delays health checks.
// A reload that removes an alive server runs its notify_down too (keepalived's clear_service_rs).

import { describeDest, describeService } from '../control/governor.js';
import type { RuntimeDest, RuntimeService } from '../datapath/service-table.js';
import type { Logger } from '../log/logger.js';
import { NotifyLauncher, type ScriptRun } from '../script/notify-launcher.js';
import { runScript } from '../script/runner.js';

/** A notify script may run this long before its group is killed (keepalived sets no limit; a hung one would pile up). */
export const NOTIFY_TIMEOUT_S = 300;

export type { ScriptRun } from '../script/notify-launcher.js';

export class RealServerNotifier {
  /** Per real server id: the state last notified; undefined while Down has not been confirmed. */
  private readonly notified = new Map<number, boolean | undefined>();
  private readonly launcher: NotifyLauncher;

  constructor(log: Logger, run: ScriptRun = runScript) {
    this.launcher = new NotifyLauncher(log, 'notify', run);
  }

  /** The server's health after a check result: runs its script when that is news. */
  observe(dest: RuntimeDest, svc: RuntimeService, up: boolean): void {
    if (!this.notified.has(dest.id)) this.notified.set(dest.id, dest.config.alpha === true ? undefined : true);
    if (this.notified.get(dest.id) === up) return;
    this.notified.set(dest.id, up);
    const script = up ? dest.config.notifyUp : dest.config.notifyDown;
    if (script !== undefined) void this.launcher.start(`${up ? 'notify_up' : 'notify_down'} of ${describeDest(dest)} in VS ${describeService(svc)}`, script, NOTIFY_TIMEOUT_S);
  }

  /** A reload removed the server while it was alive: its notify_down runs, as keepalived's does. */
  removed(dest: RuntimeDest, svc: RuntimeService): void {
    this.notified.delete(dest.id);
    const script = dest.config.notifyDown;
    if (script !== undefined) void this.launcher.start(`notify_down of ${describeDest(dest)} in VS ${describeService(svc)} (removed)`, script, NOTIFY_TIMEOUT_S);
  }

  /** Resolves when the scripts started so far have ended (tests, and a stop that waits). */
  settled(): Promise<void> {
    return this.launcher.settled();
  }
}
