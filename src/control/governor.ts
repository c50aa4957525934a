// The weight governor: owns every real server's effective weight and AVAILABLE flag as a function
// of its configured weight, its dampened health, its slow-start ramp and its smoothed load
// feedback, writes them into the running service table and has the scheduler of each service
// that changed rebuild. Keyed by the real servers' stable ids. Health and load arrive as events;
// ramps advance on tick() (about once a second). Each service's quorum follows its alive
// weight (control/quorum.ts): while it is down, a sorry server replaces the real servers.

import { destText, vipText } from '../datapath/address-text.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { feedbackStep, newFeedbackState, type FeedbackConfig, type FeedbackReport, type FeedbackState } from '../sched/load-feedback.js';
import { createSlowStart, type SlowStart } from '../sched/slow-start.js';
import { DestFlags, type Clock } from '../sched/types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { newQuorumState, quorumRule, quorumStep, transitionLine, type QuorumState, type QuorumTransition } from './quorum.js';

export interface GovernorOptions {
  /** The running table: its real servers are governed, its schedulers told of changes. */
  table: ServiceTable;
  clock: Clock;
  log?: Logger;
  /** Smoothing of load reports (EWMA factor and hysteresis band). */
  feedback?: FeedbackConfig;
  /** Told when a service gains or loses its quorum (quorum_up / quorum_down scripts). */
  onQuorum?: (svc: RuntimeService, transition: QuorumTransition) => void;
  /** Told of a real server a rebuilt table no longer has while it was alive (its notify_down). */
  onRemoved?: (dest: RuntimeDest, svc: RuntimeService) => void;
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
  return `${destText(dest)}:${dest.port}`;
}

export function describeService(svc: RuntimeService): string {
  return `${vipText(svc)}:${svc.vport}`;
}

/** The structured fields of a state-change line about one real server. */
function stateFields(event: string, dest: RuntimeDest, svc: RuntimeService, extra: Record<string, unknown>): Record<string, unknown> {
  return { event, protocol: svc.config.protocol, vs: describeService(svc), server: describeDest(dest), weight: dest.weight, ...extra };
}

export class WeightGovernor {
  private readonly dests = new Map<number, DestControl>();
  private services = new Map<number, ServiceControl>();
  /** Per service id, kept across rebuilds: evaluated from settleQuorum() on. */
  private readonly quorums = new Map<number, QuorumState>();
  private table: ServiceTable;
  private readonly log: Logger;

  constructor(private readonly opts: GovernorOptions) {
    this.log = opts.log ?? silentLogger;
    this.table = opts.table;
    for (const svc of opts.table.services) {
      const service = serviceControl(svc);
      this.services.set(svc.id, service);
      for (const dest of svc.sched.dests) {
        this.dests.set(dest.id, destControl(dest, service));
        if (dest.sorry) poolState(dest, true, false);
      }
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
      if (c.up && !c.dest.sorry) this.opts.onRemoved?.(c.dest, c.service.svc);
    }
    this.endQuorums(new Set(services.keys()), 'removed');
    this.services = services;
    this.table = table;
    for (const svc of moved) table.destsChanged(svc);
  }

  /**
   * Evaluates every service's quorum (the first time: "Starting with quorum up/down"), once
   * health has adopted the table (alpha servers are Down by then, as in keepalived's start).
   */
  settleQuorum(): void {
    for (const svc of this.table.services) this.evaluate(svc, true);
  }

  /**
   * The director stops: every service whose quorum is up loses it, as keepalived's shutdown
   * reports (its scripts run only with omega: the listener decides).
   */
  stopQuorum(): void {
    this.endQuorums(new Set(), 'stopping');
  }

  /** One service's quorum as last decided (stats), or null before its first evaluation. */
  quorumOf(serviceId: number): Readonly<QuorumState> | null {
    const q = this.quorums.get(serviceId);
    return q?.started ? q : null;
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
    if (this.sorryInUse(svc)) {
      // keepalived changes the pool only while it has the quorum: the sorry server holds it now.
      this.log.info(stateFields('health', dest, svc, { state: up ? 'up' : 'down', pool: 'sorry server', ...(reason ? { reason } : {}) }),
        `${up ? 'Adding' : 'Removing'} service ${describeDest(dest)} ${up ? 'to' : 'from'} VS ${describeService(svc)} (sorry server in use: not in the pool)${suffix}`);
      this.evaluate(svc, false);
      return;
    }
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
    this.evaluate(svc, false);
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
    // keepalived's quorum counts the weight a server asks for (its effective weight).
    this.evaluate(c.service.svc, false);
    if (!c.up || this.sorryInUse(c.service.svc)) return;
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
    const sorry = this.sorryInUse(service.svc);
    if (dest.sorry || sorry) poolState(dest, !dest.sorry, sorry);
    else service.ramp.begin(dest, dest.configWeight, now);
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
    const sorry = this.sorryInUse(service.svc);
    if (dest.sorry || sorry) {
      poolState(dest, !dest.sorry, sorry);
    } else if (!c.up) {
      dest.weight = 0;
      dest.flags = c.inhibit ? dest.flags | DestFlags.AVAILABLE : dest.flags & ~DestFlags.AVAILABLE;
    } else if (restart) {
      service.ramp.begin(dest, c.feedback.applied, now);
    } else if (reweighted) {
      service.ramp.setTarget(dest, c.feedback.applied);
    }
    return dest.weight !== weight || dest.flags !== flags;
  }

  private sorryInUse(svc: RuntimeService): boolean {
    return this.quorums.get(svc.id)?.sorryInUse === true && svc.sched.dests.some((d) => d.sorry);
  }

  /**
   * Re-evaluates a service's quorum (from settleQuorum() on, or at once when settling), tells
   * the listener of a transition and swaps the pool when the sorry server comes in or goes.
   */
  private evaluate(svc: RuntimeService, settling: boolean): void {
    let state = this.quorums.get(svc.id);
    if (state === undefined) {
      if (!settling) return;
      state = newQuorumState();
      this.quorums.set(svc.id, state);
    }
    if (!state.started && !settling) return;
    let weight = 0;
    for (const dest of svc.sched.dests) {
      const c = this.dests.get(dest.id);
      if (c !== undefined && c.up && !dest.sorry) weight += c.feedback.applied;
    }
    const sorry = svc.sched.dests.find((d) => d.sorry);
    const wasInUse = state.sorryInUse;
    const rule = quorumRule(svc.config);
    const t = quorumStep(state, weight, rule, sorry !== undefined);
    // A service without quorum settings or sorry server has a quorum nobody asked about: not logged.
    if (t !== null && (svc.config.quorum !== undefined || sorry !== undefined)) {
      this.log.info({ event: 'quorum', protocol: svc.config.protocol, vs: describeService(svc), up: t.up, weight, threshold: t.threshold },
        transitionLine(t, rule, describeService(svc)));
    }
    if (state.sorryInUse !== wasInUse) this.swapPool(svc, sorry, state.sorryInUse);
    if (t !== null) this.opts.onQuorum?.(svc, t);
  }

  /**
   * keepalived's perform_quorum_state: the alive servers leave (or rejoin) the pool, the sorry
   * server comes (or goes; a reload may have removed it from the config while in use).
   */
  private swapPool(svc: RuntimeService, sorry: RuntimeDest | undefined, inUse: boolean): void {
    const vs = describeService(svc);
    this.log.info({ event: 'quorum', vs, pool: inUse ? 'sorry server' : 'real servers' },
      `${inUse ? 'Removing alive servers from' : 'Adding alive servers to'} the pool for VS ${vs}`);
    const now = this.opts.clock.now();
    for (const dest of svc.sched.dests) {
      const c = this.dests.get(dest.id);
      if (c === undefined || dest.sorry) continue;
      if (inUse || !c.up) {
        c.service.ramp.cancel(dest);
        poolState(dest, true, false);
      } else {
        dest.flags |= DestFlags.AVAILABLE;
        c.service.ramp.begin(dest, c.feedback.applied, now);
      }
    }
    if (sorry !== undefined) {
      poolState(sorry, false, inUse);
      const verb = inUse ? (sorry.config.inhibitOnFailure ? 'Enabling' : 'Adding') : (sorry.config.inhibitOnFailure ? 'Disabling' : 'Removing');
      this.log.info(stateFields('sorry', sorry, svc, { state: inUse ? 'in use' : 'idle' }),
        `${verb} sorry server ${describeDest(sorry)} ${inUse ? 'to' : 'from'} VS ${vs}`);
    }
    this.table.destsChanged(svc);
  }

  /** Services that left (or all, when the director stops) lose a quorum they had. */
  private endQuorums(kept: ReadonlySet<number>, why: 'removed' | 'stopping'): void {
    for (const [id, state] of this.quorums) {
      if (kept.has(id)) continue;
      this.quorums.delete(id);
      const svc = this.services.get(id)?.svc;
      if (svc === undefined || !state.up) continue;
      const rule = quorumRule(svc.config);
      const t: QuorumTransition = { up: false, init: false, threshold: rule.quorum - rule.hysteresis, weight: state.weight, ending: why };
      if (svc.config.quorum !== undefined || svc.config.sorryServer !== undefined) this.log.info({ event: 'quorum', vs: describeService(svc), up: false, ending: why }, transitionLine(t, rule, describeService(svc)));
      this.opts.onQuorum?.(svc, t);
    }
  }

  private control(destId: number): DestControl {
    const c = this.dests.get(destId);
    if (c === undefined) throw new Error(`governor: no real server with id ${destId}`);
    return c;
  }
}

/**
 * Where a destination stands in its pool: a real server out of it (weight 0, AVAILABLE only
 * with inhibit_on_failure), or the sorry server in use (its weight) or idle (weight 0, AVAILABLE
 * only with sorry_server_inhibit).
 */
function poolState(dest: RuntimeDest, realServer: boolean, sorryInUse: boolean): void {
  const inhibit = dest.config.inhibitOnFailure === true;
  if (!realServer && sorryInUse) {
    dest.weight = dest.configWeight;
    dest.flags |= DestFlags.AVAILABLE;
    return;
  }
  dest.weight = 0;
  dest.flags = inhibit ? dest.flags | DestFlags.AVAILABLE : dest.flags & ~DestFlags.AVAILABLE;
}

function serviceControl(svc: RuntimeService): ServiceControl {
  const rampMs = svc.config.slowStart * 1000;
  return { svc, ramp: createSlowStart({ rampMs }), rampMs };
}

function destControl(dest: RuntimeDest, service: ServiceControl): DestControl {
  return { dest, service, inhibit: dest.config.inhibitOnFailure === true, up: true, feedback: newFeedbackState(dest.configWeight) };
}
