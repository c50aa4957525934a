// Upper/lower connection thresholds (ipvsadm -x/-y) and the OVERLOAD flag they drive, as
// ip_vs_conn.c sets and clears it when a connection is bound to or leaves a real server. Pure.
import { DestFlags, type Dest } from '../sched/types.js';

export interface Thresholds {
  /** Upper connection threshold, 0 = none. */
  upper: number;
  /** Lower threshold, 0 = unset (then below 3/4 of upper clears OVERLOAD). */
  lower: number;
}

/** ip_vs_dest_totalconns: active + inactive; persistence templates do not count. */
function totalConns(d: Dest): number {
  return d.activeConns + d.inactConns;
}

/** Flags after a connection was bound to d (counts already include it). */
export function flagsAfterBind(d: Dest, t: Thresholds): number {
  if (t.upper !== 0 && totalConns(d) >= t.upper) return d.flags | DestFlags.OVERLOAD;
  return d.flags;
}

/** Flags after a connection left d (counts already exclude it). */
export function flagsAfterUnbind(d: Dest, t: Thresholds): number {
  const total = totalConns(d);
  const clear = d.flags & ~DestFlags.OVERLOAD;
  if (t.lower !== 0) return total < t.lower ? clear : d.flags;
  if (t.upper !== 0) return total * 4 < t.upper * 3 ? clear : d.flags;
  return clear;
}

/**
 * Flags after the thresholds themselves changed (a reload, an edit), applied at once: OVERLOAD
 * set when the connections already reach a new upper threshold, cleared when the upper threshold
 * went away or up (as IPVS's __ip_vs_update_dest), otherwise left to the next bind or unbind.
 */
export function flagsAfterThresholdChange(d: Dest, before: Thresholds, after: Thresholds): number {
  if (after.upper !== 0 && totalConns(d) >= after.upper) return d.flags | DestFlags.OVERLOAD;
  if (after.upper === 0 || after.upper > before.upper) return d.flags & ~DestFlags.OVERLOAD;
  return d.flags;
}
