// Per-real-server health as plain JSON for stats: dampened state, the governor's weights and
// each checker's last result; and how to fold it into the director's stats object.

import type { GovernedDirector } from '../control/governor.js';
import { formatIpv4 } from '../net/addr.js';
import type { HealthManager } from './manager.js';

export interface CheckHealth {
  kind: string;
  up: boolean;
  /** Results in a row disagreeing with `up` (a flip in progress). */
  pending: number;
  /** Last result, or null before the first. */
  ok: boolean | null;
  detail: string;
  latencyMs: number | null;
}

export interface RealServerHealth {
  address: string;
  port: number;
  state: 'up' | 'down';
  /** Seconds since the last state change of any of its checkers. */
  sinceSeconds: number;
  weight: number;
  configWeight: number;
  /** Weight load feedback asks for (before slow start). */
  feedbackWeight: number;
  rampingUp: boolean;
  available: boolean;
  checks: CheckHealth[];
}

export interface HealthStats {
  /** Parallel to the director's stats services and their realServers. */
  services: Array<{ vip: string; port: number; realServers: RealServerHealth[] }>;
}

export function collectHealthStats(director: GovernedDirector, manager: HealthManager, now: number): HealthStats {
  return {
    services: director.serviceTable.services.map((svc) => ({
      vip: formatIpv4(svc.vip),
      port: svc.vport,
      realServers: svc.sched.dests.map((dest) => {
        const view = manager.governor.view(dest.id);
        const slots = manager.checksOf(dest.id);
        const since = Math.max(0, ...slots.map((s) => s.dampener.snapshot().since));
        return {
          address: formatIpv4(dest.addr), port: dest.port, state: view.up ? 'up' : 'down',
          sinceSeconds: slots.length ? Math.round((now - since) / 1000) : 0,
          weight: view.weight, configWeight: view.configWeight, feedbackWeight: view.feedbackWeight,
          rampingUp: view.rampingUp, available: view.available,
          checks: slots.map((s) => {
            const snap = s.dampener.snapshot();
            return {
              kind: s.config.kind, up: snap.up, pending: snap.pending, ok: s.last?.ok ?? null,
              detail: s.last?.detail ?? '', latencyMs: s.last?.latencyMs ?? null,
            };
          }),
        };
      }),
    })),
  };
}

interface StatsLike {
  services: Array<{ realServers: Array<{ health?: RealServerHealth }> }>;
}

/** Adds a `health` object to each real server of a director stats object (same order). */
export function mergeHealthStats<T extends StatsLike>(stats: T, health: HealthStats | null): T {
  if (health === null) return stats;
  stats.services.forEach((svc, i) => {
    svc.realServers.forEach((rs, j) => {
      const h = health.services[i]?.realServers[j];
      if (h !== undefined) rs.health = h;
    });
  });
  return stats;
}
