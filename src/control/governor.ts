// The weight governor: owns every real server's effective weight and AVAILABLE flag as a function
// of its configured weight, its dampened health, its slow-start ramp and its smoothed load
// feedback, writes them into the running service table and has the scheduler of each service
// that changed rebuild. Keyed by the real servers' stable ids. Health and load arrive as events;
// ramps advance on tick() (about once a second).

import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { feedbackStep, newFeedbackState, type FeedbackConfig, type FeedbackReport, type FeedbackState } from '../sched/load-feedback.js';
import { createSlowStart, type SlowStart } from '../sched/slow-start.js';
import { DestFlags, type Clock } from '../sched/types.js';
import { formatIpv4 } from '../net/addr.js';

export interface GovernorOptions {
  /** The running table: its real servers are governed, its schedulers told of changes. */
  table: ServiceTable;
  clock: Clock;
  log?: (line: string) => void;
  /** Smoothing of load reports (EWMA factor and hysteresis band). */
  feedback?: FeedbackConfig;
}

interface DestControl {
  readonly dest: RuntimeDest;
  readonly svc: RuntimeService;
  readonly ramp: SlowStart;
  readonly inhibit: boolean;
  up: boolean;
  readonly feedback: FeedbackState;
}

/** One real server as the governor sees it (for stats). */
export interface DestControlView {
  up: boolean;
  weight: number;
  configWeight: number;
  /** Weight load feedback asks for (before slow start); the configured weight without reports. */
  feedbackWeight: number;
  rampingUp: boolean;
  available: boolean;
}

export function describeDest(dest: RuntimeDest): string {
  return `${formatIpv4(dest.addr)}:${dest.port}`;
}

export function describeService(svc: RuntimeService): string {
  return `${formatIpv4(svc.vip)}:${svc.vport}`;
}

export class WeightGovernor {
  private readonly dests = new Map<number, DestControl>();
  private readonly ramps = new Map<RuntimeService, SlowStart>();
  private readonly log: (line: string) => void;

  constructor(private readonly opts: GovernorOptions) {
    this.log = opts.log ?? (() => {});
    for (const svc of opts.table.services) {
      const ramp = createSlowStart({ rampMs: svc.config.slowStart * 1000 });
      this.ramps.set(svc, ramp);
      for (const dest of svc.sched.dests) {
        const inhibit = dest.config.inhibitOnFailure === true;
        this.dests.set(dest.id, { dest, svc, ramp, inhibit, up: true, feedback: newFeedbackState(dest.configWeight) });
      }
    }
  }

  /**
   * A real server's dampened health changed. Down: weight 0 and, unless inhibit_on_failure,
   * AVAILABLE cleared (keepalived removes it); either way no new connections, existing ones
   * drain. Up: AVAILABLE again and a slow-start ramp to its target weight.
   */
  setHealth(destId: number, up: boolean, reason = ''): void {
    const c = this.control(destId);
    if (c.up === up) return;
    c.up = up;
    const { dest, svc } = c;
    const suffix = reason ? ` (${reason})` : '';
    if (!up) {
      c.ramp.cancel(dest);
      dest.weight = 0;
      if (!c.inhibit) dest.flags &= ~DestFlags.AVAILABLE;
      const verb = c.inhibit ? 'Disabling service' : 'Removing service';
      this.log(`${verb} ${describeDest(dest)} from VS ${describeService(svc)}${suffix}`);
    } else {
      dest.flags |= DestFlags.AVAILABLE;
      c.ramp.begin(dest, c.feedback.applied, this.opts.clock.now());
      const ramp = c.ramp.isRamping(dest) ? `, slow start over ${svc.config.slowStart} s` : '';
      const verb = c.inhibit ? 'Enabling service' : 'Adding service';
      this.log(`${verb} ${describeDest(dest)} to VS ${describeService(svc)} (weight ${dest.weight}${ramp})${suffix}`);
    }
    this.opts.table.destsChanged(svc);
  }

  /**
   * A load report (misc_dynamic exit code, agent reply) for a server that passed its check:
   * folded into the smoothed target; applied now unless the server is Down (then on its return).
   */
  report(destId: number, report: FeedbackReport): void {
    if (report.kind === 'fail') return;
    const c = this.control(destId);
    const before = c.dest.weight;
    const target = feedbackStep(c.feedback, report, this.opts.feedback);
    if (!c.up) return;
    c.ramp.setTarget(c.dest, target);
    if (c.dest.weight === before) return;
    this.log(`Setting weight of service ${describeDest(c.dest)} in VS ${describeService(c.svc)} to ${c.dest.weight} (load feedback)`);
    this.opts.table.destsChanged(c.svc);
  }

  /** Advances slow-start ramps; one scheduler rebuild per service whose weights moved. */
  tick(): void {
    const now = this.opts.clock.now();
    for (const [svc, ramp] of this.ramps) {
      if (ramp.tick(now)) this.opts.table.destsChanged(svc);
    }
  }

  view(destId: number): DestControlView {
    const c = this.control(destId);
    return {
      up: c.up, weight: c.dest.weight, configWeight: c.dest.configWeight, feedbackWeight: c.feedback.applied,
      rampingUp: c.ramp.isRamping(c.dest), available: (c.dest.flags & DestFlags.AVAILABLE) !== 0,
    };
  }

  private control(destId: number): DestControl {
    const c = this.dests.get(destId);
    if (c === undefined) throw new Error(`governor: no real server with id ${destId}`);
    return c;
  }
}
