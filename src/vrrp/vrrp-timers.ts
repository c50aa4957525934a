// The VRRP timer formulas in integer microseconds, with keepalived's rounding: Skew_Time and
// Master_Down_Interval for VRRPv2 (RFC 3768 6.1) and VRRPv3 (RFC 5798 6.1).

/** Adverts a backup misses before it takes over (RFC: 3; keepalived down_timer_adverts). */
const DOWN_TIMER_ADVERTS = 3;
const US_PER_CS = 10_000;
const US_PER_S = 1_000_000;

/**
 * Skew_Time in µs. v2: (256 - Priority) / 256 seconds, whatever the interval (RFC 3768);
 * v3: ((256 - Priority) * Master_Adver_Interval) / 256 (RFC 5798), the interval being the
 * master's as learnt from its adverts. The owner (255) skews by 1/256 in both.
 */
export function skewUs(version: 2 | 3, priority: number, masterIntervalCs: number): number {
  const share = 256 - priority;
  if (version === 2) return Math.floor((share * US_PER_S) / 256);
  return Math.floor((share * masterIntervalCs * 625) / 16);
}

/** Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time, µs. */
export function masterDownUs(version: 2 | 3, priority: number, masterIntervalCs: number): number {
  return DOWN_TIMER_ADVERTS * masterIntervalCs * US_PER_CS + skewUs(version, priority, masterIntervalCs);
}

/**
 * The first wait of a sync group member configured `state MASTER` while its group starts as
 * BACKUP: one interval plus the smallest skew, enough to hear a master already there (keepalived).
 */
export function initialMasterWaitUs(version: 2 | 3, intervalCs: number): number {
  return intervalCs * US_PER_CS + skewUs(version, 255, intervalCs);
}

export function csToUs(cs: number): number {
  return cs * US_PER_CS;
}
