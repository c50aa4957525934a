// quorum_up and quorum_down of virtual servers, keepalived's way (check/ipwrapper.c
// do_vs_notifies): the script runs when the service gains or loses its quorum, also at its first
// evaluation ("Starting with quorum up", or down with a sorry server), and when a reload removes
// a service that had it. When the director stops, only omega services run quorum_down, and
// notify_down of their alive real servers, each killed after a second as keepalived does.

import { describeDest, describeService } from '../control/governor.js';
import type { QuorumTransition } from '../control/quorum.js';
import type { RuntimeDest, RuntimeService } from '../datapath/service-table.js';
import type { Logger } from '../log/logger.js';
import { NotifyLauncher, type ScriptRun } from '../script/notify-launcher.js';
import { runScript } from '../script/runner.js';
import { NOTIFY_TIMEOUT_S } from './rs-notify.js';

/** keepalived gives the scripts it runs while shutting down one second (TIMER_HZ) before killing them. */
export const STOP_SCRIPT_TIMEOUT_S = 1;

export class QuorumNotifier {
  private readonly launcher: NotifyLauncher;
  /** The scripts of a stopping director, apart: the stop waits for them (and only them). */
  private readonly atShutdown: NotifyLauncher;

  constructor(log: Logger, run: ScriptRun = runScript) {
    this.launcher = new NotifyLauncher(log, 'quorum', run);
    this.atShutdown = new NotifyLauncher(log, 'quorum', run);
  }

  /** The weight governor's quorum listener. */
  observe(svc: RuntimeService, t: QuorumTransition): void {
    const stopping = t.ending === 'stopping';
    if (stopping && svc.config.omega !== true) return;
    const script = t.up ? svc.config.quorum?.up : svc.config.quorum?.down;
    if (script === null || script === undefined) return;
    const what = `${t.up ? 'quorum_up' : 'quorum_down'} of VS ${describeService(svc)}`;
    if (stopping) void this.atShutdown.start(what, script, STOP_SCRIPT_TIMEOUT_S);
    else void this.launcher.start(what, script, NOTIFY_TIMEOUT_S);
  }

  /** The director stops: an omega service's alive real servers run their notify_down. */
  stopping(svc: RuntimeService, alive: readonly RuntimeDest[]): void {
    if (svc.config.omega !== true) return;
    for (const dest of alive) {
      const script = dest.config.notifyDown;
      if (script !== undefined && !dest.sorry) {
        void this.atShutdown.start(`notify_down of ${describeDest(dest)} in VS ${describeService(svc)} (shutting down)`, script, STOP_SCRIPT_TIMEOUT_S);
      }
    }
  }

  /** Every script started so far has ended (tests). */
  async settled(): Promise<void> {
    await this.launcher.settled();
    await this.atShutdown.settled();
  }

  /** The shutdown scripts have ended (each is killed after STOP_SCRIPT_TIMEOUT_S). */
  shutdownSettled(): Promise<void> {
    return this.atShutdown.settled();
  }
}
