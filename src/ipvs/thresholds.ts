// Upper/lower connection thresholds (ipvsadm -x/-y) and the OVERLOAD flag they drive, plus the
// quiescent and draining rules, as ip_vs_conn.c (bind/unbind) and ip_vs_ctl.c apply them. Pure.
//
// Quiescent: weight 0. Schedulers never pick it; its existing connections carry on.
// Draining: the dest is removed from the service (dropped from SchedService.dests, AVAILABLE
// cleared) but stays bound to its connections until the last one ends; then it can be freed.
import { DestFlags, type Dest } from '../sched/types.js';

export interface Thresholds {
  /** Upper connection threshold, 0 = none. */
  upper: number;
  /** Lower threshold, 0 = unset (then below 3/4 of upper clears OVERLOAD). */
  lower: number;
}

/** ip_vs_dest_totalconns: active + inactive; persistence templates do not count. */
export function totalConns(d: Dest): number {
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

/** ip_vs_ctl: raising or removing the upper threshold clears OVERLOAD at once. */
export function flagsAfterThresholdChange(d: Dest, oldT: Thresholds, newT: Thresholds): number {
  if (newT.upper === 0 || newT.upper > oldT.upper) return d.flags & ~DestFlags.OVERLOAD;
  return d.flags;
}

/** The effective lower threshold: explicit, or the 3/4-of-upper rule (clears strictly below). */
export function effectiveLower(t: Thresholds): number {
  if (t.lower !== 0) return t.lower;
  return t.upper === 0 ? 0 : (t.upper * 3) / 4;
}

/** Bad threshold input gets a clear error: integers >= 0, lower <= upper when both are set. */
export function validateThresholds(t: Thresholds): string | null {
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isInteger(v) || v < 0) return `${k} threshold must be an integer >= 0, got ${String(v)}`;
  }
  if (t.upper !== 0 && t.lower > t.upper) return `lower threshold ${t.lower} exceeds upper ${t.upper}`;
  return null;
}

export function isQuiescent(d: Dest): boolean {
  return d.weight === 0;
}

/** New connections only to dests in the service, with weight > 0, not overloaded. */
export function acceptsNewConnections(d: Dest): boolean {
  return (d.flags & DestFlags.AVAILABLE) !== 0 && d.weight > 0 && (d.flags & DestFlags.OVERLOAD) === 0;
}

/**
 * Packets of an existing connection to a removed (draining) dest still flow, unless the
 * expire_nodest_conn policy says to drop them and expire the connection.
 */
export function forwardsExisting(d: Dest, expireNodestConn: boolean): boolean {
  return (d.flags & DestFlags.AVAILABLE) !== 0 || !expireNodestConn;
}

/** A draining dest can be freed once nothing references it any more. */
export function isDrained(d: Dest): boolean {
  return (d.flags & DestFlags.AVAILABLE) === 0 && totalConns(d) === 0 && d.persistConns === 0;
}
