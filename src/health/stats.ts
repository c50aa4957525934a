// Per-real-server health as plain JSON for stats: dampened state, the governor's weights and
// each checker's last outcome.

import { destText } from '../datapath/address-text.js';
import type { WeightGovernor } from '../control/governor.js';
import type { RuntimeDest } from '../datapath/service-table.js';
import type { HealthManager } from './manager.js';

export interface CheckHealth {
  kind: string;
  up: boolean;
  /** Results in a row disagreeing with `up` (a flip in progress). */
  pending: number;
  /** Last result; null before the first, or when the last check could not run (detail says why). */
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

/** A real server's health: the governor's view of it and its checkers' latest outcomes. */
export function realServerHealth(manager: HealthManager, governor: WeightGovernor, dest: RuntimeDest, now: number): RealServerHealth {
  const view = governor.view(dest.id);
  const slots = manager.checksOf(dest.id);
  const since = Math.max(0, ...slots.map((s) => s.dampener.snapshot().since));
  return {
    address: destText(dest), port: dest.port, state: view.up ? 'up' : 'down',
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
}
