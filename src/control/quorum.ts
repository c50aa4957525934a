// A virtual server's quorum, keepalived's way (check/ipwrapper.c update_quorum_state): the sum
// of the weights of its alive real servers against quorum and hysteresis. Gained at
// quorum + hysteresis or more, lost below quorum - hysteresis (or with no weight left); a
// service starts with the quorum down, so its first evaluation either gains it or, with a sorry
// server, starts "with quorum down". While the quorum is down the sorry server, if any, is the
// pool. Pure: the weight governor feeds it and applies what it says.

import type { VirtualServerConfig } from '../config/model.js';

export interface QuorumRule {
  quorum: number;
  hysteresis: number;
}

/** keepalived's defaults: quorum 1, hysteresis 0. */
export function quorumRule(vs: VirtualServerConfig): QuorumRule {
  return { quorum: vs.quorum?.quorum ?? 1, hysteresis: vs.quorum?.hysteresis ?? 0 };
}

/** A change of quorum state, for the log and the quorum_up / quorum_down scripts. */
export interface QuorumTransition {
  up: boolean;
  /** The service's first evaluation (start, or added by a reload): "Starting with quorum ...". */
  init: boolean;
  /** The bound crossed (quorum + hysteresis when gained, quorum - hysteresis when lost). */
  threshold: number;
  /** The alive real servers' weight that crossed it. */
  weight: number;
  /** The service left the config, or the director stops (keepalived runs quorum_down then only with omega). */
  ending?: 'removed' | 'stopping';
}

/** One service's quorum as last decided. */
export interface QuorumState {
  up: boolean;
  /** False until the first evaluation. */
  started: boolean;
  /** The sorry server is the pool (quorum down, a sorry server configured). */
  sorryInUse: boolean;
  /** The alive weight last evaluated. */
  weight: number;
}

export function newQuorumState(): QuorumState {
  return { up: false, started: false, sorryInUse: false, weight: 0 };
}

/**
 * Evaluates weight against rule and updates state. Returns the transition when the quorum was
 * gained or lost (or, on the first evaluation with a sorry server not yet in use, found down),
 * null otherwise. state.sorryInUse follows: the sorry server is in use exactly while the quorum
 * is down and there is one.
 */
export function quorumStep(state: QuorumState, weight: number, rule: QuorumRule, hasSorry: boolean): QuorumTransition | null {
  const init = !state.started;
  state.started = true;
  state.weight = weight;
  let transition: QuorumTransition | null = null;
  if (!state.up) {
    const threshold = rule.quorum + rule.hysteresis;
    // No weight is never a quorum (keepalived can lower quorum to 0 when the servers weigh nothing).
    if (weight > 0 && weight >= threshold) {
      state.up = true;
      transition = { up: true, init, threshold, weight };
    } else if (init && hasSorry && !state.sorryInUse) {
      transition = { up: false, init, threshold, weight };
    }
  } else {
    const threshold = rule.quorum - rule.hysteresis;
    if (weight === 0 || weight < threshold) {
      state.up = false;
      transition = { up: false, init, threshold, weight };
    }
  }
  state.sorryInUse = !state.up && hasSorry;
  return transition;
}

/** The log line keepalived writes for a transition. */
export function transitionLine(t: QuorumTransition, rule: QuorumRule, service: string): string {
  if (t.ending === 'stopping') return `Shutting down VS ${service}: quorum down`;
  if (t.ending === 'removed') return `Removing VS ${service}: quorum down`;
  if (t.up) return `${t.init ? 'Starting with quorum up' : 'Gained quorum'} ${rule.quorum}+${rule.hysteresis}=${t.threshold} <= ${t.weight} for VS ${service}`;
  return `${t.init ? 'Starting with quorum down' : 'Lost quorum'} ${rule.quorum}-${rule.hysteresis}=${t.threshold} > ${t.weight} for VS ${service}`;
}
