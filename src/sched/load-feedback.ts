// Dynamic weights from reported load: keepalived misc_dynamic exit codes and HAProxy-style agent
// replies ("75%"), turned into a target weight and smoothed (EWMA, then a hysteresis band) so the
// applied weight follows sustained changes without oscillating on noisy reports.

/** What one report says. */
export type FeedbackReport =
  | { kind: 'keep' }
  | { kind: 'fail' }
  | { kind: 'weight'; weight: number }
  | { kind: 'percent'; percent: number };

/**
 * keepalived misc_dynamic: 0 = up, keep the weight; 1 = down; 2..255 = up with weight code - 2.
 * Anything else is an error (exit codes are 0..255).
 */
export function parseMiscDynamic(exitCode: number): FeedbackReport {
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw new Error(`misc_dynamic exit code must be 0..255, got ${exitCode}`);
  }
  if (exitCode === 0) return { kind: 'keep' };
  if (exitCode === 1) return { kind: 'fail' };
  return { kind: 'weight', weight: exitCode - 2 };
}

/**
 * An agent reply as HAProxy's agent-check reads it: tokens separated by spaces, commas or tabs;
 * "NN%" sets the weight to NN % of the configured one (a plain idle percentage); "down", "fail",
 * "stopped", "maint" mark the server down; "drain" means weight 0; "up"/"ready" keep it.
 * The last status word and the last percentage win; an unusable reply is an error.
 */
export function parseAgentReply(reply: string): FeedbackReport[] {
  const out: FeedbackReport[] = [];
  const tokens = reply.trim().toLowerCase().split(/[\s,]+/).filter((s) => s.length > 0);
  if (tokens.length === 0) throw new Error('agent reply is empty');
  for (const tok of tokens) {
    const m = /^(\d{1,3}(?:\.\d+)?)%$/.exec(tok);
    if (m !== null) {
      const pct = Number(m[1]);
      if (pct > 100) throw new Error(`agent reply percentage ${tok} exceeds 100%`);
      out.push({ kind: 'percent', percent: pct });
    } else if (tok === 'down' || tok === 'fail' || tok === 'stopped' || tok === 'maint') {
      out.push({ kind: 'fail' });
    } else if (tok === 'drain') {
      out.push({ kind: 'percent', percent: 0 });
    } else if (tok === 'up' || tok === 'ready') {
      out.push({ kind: 'keep' });
    } else {
      throw new Error(`agent reply token "${tok}" is not NN%, up, ready, drain, down, fail, stopped or maint`);
    }
  }
  return out;
}

export interface FeedbackConfig {
  /** EWMA factor for each new sample, 0 < alpha <= 1 (default 0.3). */
  alpha?: number;
  /** Apply a new weight only when it differs by more than this share of configured (default 0.1). */
  hysteresis?: number;
}

export interface FeedbackState {
  configured: number;
  /** Smoothed target weight. */
  ewma: number;
  /** Weight last applied (what the scheduler sees, before slow start). */
  applied: number;
  down: boolean;
}

export function newFeedbackState(configured: number): FeedbackState {
  return { configured, ewma: configured, applied: configured, down: false };
}

/** The raw target weight a report asks for, or null when it only changes up/down. */
export function targetOf(report: FeedbackReport, configured: number): number | null {
  switch (report.kind) {
    case 'weight': return report.weight;
    case 'percent': return Math.round((configured * report.percent) / 100);
    default: return null;
  }
}

/**
 * Folds one report in; returns the weight to apply now. "fail" marks the state down (the health
 * layer decides what that means); "keep" after a failure brings it back at the smoothed weight.
 */
export function feedbackStep(s: FeedbackState, report: FeedbackReport, cfg: FeedbackConfig = {}): number {
  const alpha = cfg.alpha ?? 0.3;
  const band = cfg.hysteresis ?? 0.1;
  if (!(alpha > 0 && alpha <= 1)) throw new Error(`feedback alpha must be in (0, 1], got ${alpha}`);
  if (report.kind === 'fail') {
    s.down = true;
    return s.applied;
  }
  s.down = false;
  const target = targetOf(report, s.configured);
  if (target === null) return s.applied;
  s.ewma += alpha * (target - s.ewma);
  const next = Math.round(s.ewma);
  // Move only past the band; always allow reaching exactly 0 or the configured weight.
  const threshold = Math.max(1, band * s.configured);
  const reachesEdge = (next === 0 || next === s.configured) && next !== s.applied;
  if (Math.abs(next - s.applied) >= threshold || reachesEdge) s.applied = next;
  return s.applied;
}
