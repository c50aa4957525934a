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

  constructor(log: Logger, run: ScriptRun = runScript) {
    this.launcher = new NotifyLauncher(log, 'quorum', run);
  }

  /** The weight governor's quorum listener. */
  observe(svc: RuntimeService, t: QuorumTransition): void {
    const stopping = t.ending === 'stopping';
    if (stopping && svc.config.omega !== true) return;
    const script = t.up ? svc.config.quorum?.up : svc.config.quorum?.down;
    if (script === null || script === undefined) return;
    void this.launcher.start(`${t.up ? 'quorum_up' : 'quorum_down'} of VS ${describeService(svc)}`, script,
      stopping ? STOP_SCRIPT_TIMEOUT_S : NOTIFY_TIMEOUT_S);
  }

  /** The director stops: an omega service's alive real servers run their notify_down. */
  stopping(svc: RuntimeService, alive: readonly RuntimeDest[]): void {
    if (svc.config.omega !== true) return;
    for (const dest of alive) {
      const script = dest.config.notifyDown;
      if (script !== undefined && !dest.sorry) {
        void this.launcher.start(`notify_down of ${describeDest(dest)} in VS ${describeService(svc)} (shutting down)`, script, STOP_SCRIPT_TIMEOUT_S);
      }
    }
  }

  settled(): Promise<void> {
    return this.launcher.settled();
  }
}
