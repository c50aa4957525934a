// The weight governor: owns every real server's effective weight and AVAILABLE flag as a function
// of its configured weight, its dampened health, its slow-start ramp and its smoothed load
// feedback, writes them into the running service table and has the scheduler of each service
// that changed rebuild. Keyed by the real servers' stable ids. Health and load arrive as events;
// ramps advance on tick() (about once a second).

import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { feedbackStep, newFeedbackState, type FeedbackConfig, type FeedbackReport, type FeedbackState } from '../sched/load-feedback.js';
import { createSlowStart, type SlowStart } from '../sched/slow-start.js';
import { DestFlags, type Clock } from '../sched/types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { formatIpv4 } from '../net/addr.js';

export interface GovernorOptions {
  /** The running table: its real servers are governed, its schedulers told of changes. */
  table: ServiceTable;
  clock: Clock;
  log?: Logger;
  /** Smoothing of load reports (EWMA factor and hysteresis band). */
  feedback?: FeedbackConfig;
}

/** A service's slow-start ramp, kept across rebuilds while its slowstart setting stays. */
interface ServiceControl {
  readonly svc: RuntimeService;
  readonly ramp: SlowStart;
  readonly rampMs: number;
}

interface DestControl {
  /** The view of the table in force (config, weight, flags by id). */
  dest: RuntimeDest;
  service: ServiceControl;
  inhibit: boolean;
  up: boolean;
  feedback: FeedbackState;
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

/** The structured fields of a state-change line about one real server. */
function stateFields(event: string, dest: RuntimeDest, svc: RuntimeService, extra: Record<string, unknown>): Record<string, unknown> {
  return { event, protocol: svc.config.protocol, vs: describeService(svc), server: describeDest(dest), weight: dest.weight, ...extra };
}

export class WeightGovernor {
  private readonly dests = new Map<number, DestControl>();
  private services = new Map<number, ServiceControl>();
  private table: ServiceTable;
  private readonly log: Logger;

  constructor(private readonly opts: GovernorOptions) {
    this.log = opts.log ?? silentLogger;
    this.table = opts.table;
    for (const svc of opts.table.services) {
      const service = serviceControl(svc);
      this.services.set(svc.id, service);
      for (const dest of svc.sched.dests) this.dests.set(dest.id, destControl(dest, service));
    }
  }

  /**
   * Takes over a table rebuilt from the one it governs, once the data plane runs it. A real
   * server it kept keeps its health, load feedback and ramp, and gets its new configured
   * weight at once: 0 while Down, the ramp's share while ramping. An added one joins Up,
   * ramping over its service's slowstart. A removed one is let go (the registry drains it).
   * A changed slowstart restarts ramps in progress under the new length. One scheduler update
   * per service whose weights or flags moved.
   */
  adopt(table: ServiceTable): void {
    const now = this.opts.clock.now();
    const services = new Map<number, ServiceControl>();
    const moved = new Set<RuntimeService>();
    const live = new Set<number>();
    for (const svc of table.services) {
      const old = this.services.get(svc.id);
      const service = old !== undefined && old.rampMs === svc.config.slowStart * 1000 ? { ...old, svc } : serviceControl(svc);
      services.set(svc.id, service);
      for (const dest of svc.sched.dests) {
        live.add(dest.id);
        const c = this.dests.get(dest.id);
        if (c === undefined ? this.join(dest, service, now) : this.keep(c, dest, service, now)) moved.add(svc);
      }
    }
    for (const [id, c] of this.dests) {
      if (live.has(id)) continue;
      c.service.ramp.cancel(c.dest);
      this.dests.delete(id);
    }
    this.services = services;
    this.table = table;
    for (const svc of moved) table.destsChanged(svc);
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
    const { dest, service: { svc, ramp } } = c;
    const suffix = reason ? ` (${reason})` : '';
    if (!up) {
      ramp.cancel(dest);
      dest.weight = 0;
      if (!c.inhibit) dest.flags &= ~DestFlags.AVAILABLE;
      const verb = c.inhibit ? 'Disabling service' : 'Removing service';
      this.log.info(stateFields('health', dest, svc, { state: 'down', ...(reason ? { reason } : {}) }),
        `${verb} ${describeDest(dest)} from VS ${describeService(svc)}${suffix}`);
    } else {
      dest.flags |= DestFlags.AVAILABLE;
      ramp.begin(dest, c.feedback.applied, this.opts.clock.now());
      const ramping = ramp.isRamping(dest) ? `, slow start over ${svc.config.slowStart} s` : '';
      const verb = c.inhibit ? 'Enabling service' : 'Adding service';
      this.log.info(stateFields('health', dest, svc, { state: 'up', ...(reason ? { reason } : {}) }),
        `${verb} ${describeDest(dest)} to VS ${describeService(svc)} (weight ${dest.weight}${ramping})${suffix}`);
    }
    this.table.destsChanged(svc);
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
    c.service.ramp.setTarget(c.dest, target);
    if (c.dest.weight === before) return;
    this.log.info(stateFields('weight', c.dest, c.service.svc, { cause: 'load feedback' }),
      `Setting weight of service ${describeDest(c.dest)} in VS ${describeService(c.service.svc)} to ${c.dest.weight} (load feedback)`);
    this.table.destsChanged(c.service.svc);
  }

  /** Advances slow-start ramps; one scheduler rebuild per service whose weights moved. */
  tick(): void {
    const now = this.opts.clock.now();
    for (const { svc, ramp } of this.services.values()) {
      if (ramp.tick(now)) this.table.destsChanged(svc);
    }
  }

  view(destId: number): DestControlView {
    const c = this.control(destId);
    return {
      up: c.up, weight: c.dest.weight, configWeight: c.dest.configWeight, feedbackWeight: c.feedback.applied,
      rampingUp: c.service.ramp.isRamping(c.dest), available: (c.dest.flags & DestFlags.AVAILABLE) !== 0,
    };
  }

  /** A real server new to the governor: Up, at its configured weight or ramping to it. */
  private join(dest: RuntimeDest, service: ServiceControl, now: number): boolean {
    const c = destControl(dest, service);
    this.dests.set(dest.id, c);
    const { weight, flags } = dest;
    service.ramp.begin(dest, dest.configWeight, now);
    return dest.weight !== weight || dest.flags !== flags;
  }

  /** A real server the new table kept: its new config applied over its running state. */
  private keep(c: DestControl, dest: RuntimeDest, service: ServiceControl, now: number): boolean {
    const { weight, flags } = dest;
    const old = c.service.ramp;
    const restart = old !== service.ramp && old.isRamping(c.dest);
    if (old !== service.ramp) old.cancel(c.dest);
    const reweighted = c.feedback.configured !== dest.configWeight;
    // A new configured weight starts the load feedback over: its reports are relative to it.
    if (reweighted) c.feedback = newFeedbackState(dest.configWeight);
    c.dest = dest;
    c.service = service;
    c.inhibit = dest.config.inhibitOnFailure === true;
    if (!c.up) {
      dest.weight = 0;
      dest.flags = c.inhibit ? dest.flags | DestFlags.AVAILABLE : dest.flags & ~DestFlags.AVAILABLE;
    } else if (restart) {
      service.ramp.begin(dest, c.feedback.applied, now);
    } else if (reweighted) {
      service.ramp.setTarget(dest, c.feedback.applied);
    }
    return dest.weight !== weight || dest.flags !== flags;
  }

  private control(destId: number): DestControl {
    const c = this.dests.get(destId);
    if (c === undefined) throw new Error(`governor: no real server with id ${destId}`);
    return c;
  }
}

function serviceControl(svc: RuntimeService): ServiceControl {
  const rampMs = svc.config.slowStart * 1000;
  return { svc, ramp: createSlowStart({ rampMs }), rampMs };
}

function destControl(dest: RuntimeDest, service: ServiceControl): DestControl {
  return { dest, service, inhibit: dest.config.inhibitOnFailure === true, up: true, feedback: newFeedbackState(dest.configWeight) };
}
