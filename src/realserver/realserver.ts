// `director realserver setup | --check | teardown`: applies, checks and undoes the real server
// plan, reporting one line per change or missing item.

import { buildPlan, vipCidr, type PlanOptions } from './plan.js';
import type { RealServerSystem } from './system.js';
import type { StateStore } from './state.js';

export interface Outcome {
  /** Lines for stdout. */
  lines: string[];
  /** Process exit status: 0 all set, 1 something missing or failed. */
  code: number;
}

/** Lists each missing item; exit 1 if any. */
export function checkRealServer(options: PlanOptions, sys: RealServerSystem): Outcome {
  const problem = interfaceProblem(options, sys);
  if (problem) return { lines: [problem], code: 1 };
  const plan = buildPlan(options);
  const missing = plan.map((item) => item.missing(sys)).filter((m): m is string => m !== null);
  if (missing.length === 0) return { lines: [`ok: all ${plan.length} items set for ${options.vip} (${options.mode})`], code: 0 };
  return { lines: missing.map((m) => `missing: ${m}`), code: 1 };
}

/** Applies every item (idempotent), remembering what it changed for teardown. */
export function setupRealServer(options: PlanOptions, sys: RealServerSystem, store: StateStore): Outcome {
  const problem = interfaceProblem(options, sys);
  if (problem) return { lines: [problem], code: 1 };
  const state = store.load(options.vip) ?? {
    vip: options.vip, mode: options.mode, interface: options.interface ?? null, previous: {}, addedAddress: false,
  };
  const lines: string[] = [];
  for (const item of buildPlan(options)) {
    const before = item.missing(sys);
    if (before === null) continue;
    const previous = item.apply(sys);
    if (item.sysctl === null) state.addedAddress = true;
    if (item.sysctl !== null && previous !== null) state.previous[item.sysctl] ??= previous;
    lines.push(`set: ${item.title}${previous !== null ? ` (was ${previous})` : ''}`);
  }
  store.save(state);
  lines.push(lines.length === 0 ? `ok: already set up for ${options.vip} (${options.mode})` : `ok: set up for ${options.vip} (${options.mode})`);
  return { lines, code: 0 };
}

/**
 * Removes the VIP from lo and restores the sysctls setup changed, unless another VIP set up on
 * this host still relies on them.
 */
export function teardownRealServer(vip: string, sys: RealServerSystem, store: StateStore): Outcome {
  const lines: string[] = [];
  const cidr = vipCidr(vip);
  if (sys.loAddresses().includes(cidr)) {
    sys.delLoAddress(cidr);
    lines.push(`removed: ${cidr} from lo`);
  }
  const state = store.load(vip);
  store.remove(vip);
  const others = store.list();
  if (!state) lines.push(`note: no saved setup for ${vip}; sysctls left as they are`);
  else if (others.length > 0) lines.push(`note: sysctls kept, still needed for ${others.join(', ')}`);
  else {
    for (const [key, value] of Object.entries(state.previous)) {
      if (sys.readSysctl(key) === null) continue;
      sys.writeSysctl(key, value);
      lines.push(`restored: ${key}=${value}`);
    }
  }
  lines.push(`ok: ${vip} torn down`);
  return { lines, code: 0 };
}

function interfaceProblem(options: PlanOptions, sys: RealServerSystem): string | null {
  if (!options.interface || sys.interfaces().includes(options.interface)) return null;
  const names = sys.interfaces().filter((n) => n !== 'lo');
  return `error: interface '${options.interface}' does not exist; one of: ${names.join(', ') || '(none)'}`;
}
