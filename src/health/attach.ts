// Starts and stops a director's health manager from inside Director.start()/stop() without the
// director holding it: managers are kept per director here, and healthStats() reads them.

import type { DirectorConfig } from '../config/model.js';
import type { GovernedDirector } from '../control/governor.js';
import type { Clock } from '../sched/types.js';
import { createExecutor } from './executor.js';
import { HealthManager } from './manager.js';
import { collectHealthStats, type HealthStats } from './stats.js';

export interface HealthAttachOptions {
  /** The namespace the real servers are reached from (Director's netns option). */
  netns?: string | undefined;
  clock: Clock;
  log: (line: string) => void;
}

const managers = new WeakMap<object, { manager: HealthManager; clock: Clock }>();

export function hasHealthChecks(config: DirectorConfig): boolean {
  return config.virtualServers.some((vs) => vs.realServers.some((rs) => (rs.checks?.length ?? 0) > 0));
}

/** Builds the manager for a started director and starts its checks. */
export function startHealth(director: GovernedDirector, o: HealthAttachOptions): HealthManager {
  if (managers.has(director)) throw new Error('health: already started for this director');
  const executor = createExecutor({ ...(o.netns ? { netns: o.netns } : {}), log: o.log });
  const manager = new HealthManager({ director, executor, clock: o.clock, log: o.log });
  managers.set(director, { manager, clock: o.clock });
  manager.start();
  o.log(`health: ${manager.checkCount} checks${o.netns ? ` (run in namespace ${o.netns})` : ''}`);
  return manager;
}

export async function stopHealth(director: GovernedDirector): Promise<void> {
  const entry = managers.get(director);
  if (entry === undefined) return;
  managers.delete(director);
  await entry.manager.stop();
}

/** The director's health manager, or undefined when it has no checks (or is not started). */
export function healthManagerOf(director: GovernedDirector): HealthManager | undefined {
  return managers.get(director)?.manager;
}

/** Per-real-server health, or null when the director runs no checks. */
export function healthStats(director: GovernedDirector): HealthStats | null {
  const entry = managers.get(director);
  return entry ? collectHealthStats(director, entry.manager, entry.clock.now()) : null;
}
