// Which scheduler names and scheduler flags a configuration may name (the IPVS set plus Maglev,
// as src/sched registers them), and which flags belong to which scheduler.

import type { SchedFlag } from '../sched/types.js';
import { DEFAULT_SCHEDULER as REGISTRY_DEFAULT, getScheduler, schedulerNames } from '../sched/registry.js';

/** The names src/sched/registry.ts registers, in its order (used in error messages). */
export const SCHEDULER_NAMES: readonly string[] = schedulerNames();

/** IPVS's and keepalived's default scheduler when none is configured. */
export const DEFAULT_SCHEDULER: string = REGISTRY_DEFAULT;

export function isKnownScheduler(name: string): boolean {
  try {
    getScheduler(name);
    return true;
  } catch {
    return false;
  }
}

/** The scheduler each flag belongs to (keepalived accepts sh-* only with sh, mh-* only with mh). */
export const FLAG_SCHEDULER: Record<SchedFlag, string> = {
  'sh-port': 'sh',
  'sh-fallback': 'sh',
  'mh-port': 'mh',
  'mh-fallback': 'mh',
};

export function isSchedFlag(word: string): word is SchedFlag {
  return Object.hasOwn(FLAG_SCHEDULER, word);
}

/**
 * keepalived's generic flag-1 / flag-2 (IP_VS_SVC_F_SCHED1/2) mean fallback / port for both sh
 * and mh; returns the named flag for the scheduler, or null where they mean nothing.
 */
export function genericFlag(word: 'flag-1' | 'flag-2', scheduler: string): SchedFlag | null {
  if (scheduler !== 'sh' && scheduler !== 'mh') return null;
  return `${scheduler}-${word === 'flag-1' ? 'fallback' : 'port'}` as SchedFlag;
}
