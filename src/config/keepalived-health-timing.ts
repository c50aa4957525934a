// The health keywords a checker inherits from its real server and virtual server (retry,
// delay_before_retry, warmup, connect_timeout, delay_loop, inhibit_on_failure, alpha, rise,
// virtualhost) and how keepalived resolves them: checker, else real server, else virtual server,
// else the checker kind's default.

import type { CheckTiming, HealthCheckConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import * as v from './keepalived-values.js';

/** How often a BFD_CHECK reads its session's state (the session itself runs on its own timers). */
export const BFD_POLL_SECONDS = 0.2;
/** keepalived's connect_timeout default (5 s). */
export const DEFAULT_CONNECT_TIMEOUT = 5;
const MAX_SECONDS = 86400;
const MAX_RETRY = 1_000_000;
const MAX_RISE = 100;

/** Values said at one level; undefined = not said there (inherit). */
export interface HealthDefaults {
  delayLoop?: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  connectTimeout?: number;
  rise?: number;
  inhibitOnFailure?: boolean;
  alpha?: boolean;
  /** HTTP_GET/SSL_GET Host (virtualhost said at virtual_server or real_server level). */
  virtualhost?: string;
}

export type HealthLevel = 'vs' | 'rs' | 'check';

/** Seconds, 0 allowed (warmup 0: no random start delay; delay_before_retry 0: retry at once). */
function secondsOrZero(s: Statement, text: string): number {
  return text === '0' ? 0 : v.seconds(s, text, MAX_SECONDS);
}

function oneValue(s: Statement, shape: string): string {
  v.expectArgs(s, 1, 1, shape);
  return s.args[0] as string;
}

/**
 * Reads a health keyword into `h` when `s` is one at this level; false when it is not a health
 * keyword here (the caller handles or warns). delay_loop at virtual_server level stays the
 * caller's (it is VirtualServerConfig.delayLoop).
 */
export function healthKeyword(h: HealthDefaults, s: Statement, level: HealthLevel): boolean {
  switch (s.keyword) {
    case 'retry':
      h.retry = v.uint(s, oneValue(s, 'COUNT'), 0, MAX_RETRY);
      return true;
    case 'delay_before_retry':
      h.delayBeforeRetry = secondsOrZero(s, oneValue(s, 'SECONDS'));
      return true;
    case 'warmup':
      h.warmup = secondsOrZero(s, oneValue(s, 'SECONDS'));
      return true;
    case 'connect_timeout':
      h.connectTimeout = v.seconds(s, oneValue(s, 'SECONDS'), 3600);
      return true;
    case 'delay_loop':
      if (level === 'vs') return false;
      h.delayLoop = v.seconds(s, oneValue(s, 'SECONDS'), MAX_SECONDS);
      return true;
    case 'rise':
      if (level === 'vs') return false;
      h.rise = v.uint(s, oneValue(s, 'COUNT'), 1, MAX_RISE);
      return true;
    case 'alpha':
      v.expectArgs(s, 0);
      h.alpha = true;
      return true;
    case 'virtualhost':
      if (level === 'check') return false;
      h.virtualhost = oneValue(s, 'HOST');
      return true;
    case 'inhibit_on_failure':
      if (level === 'check') return false;
      h.inhibitOnFailure = v.optionalBool(s);
      return true;
    default:
      return false;
  }
}

/** Later levels win: merge(vs, rs, check). */
export function mergeDefaults(...levels: HealthDefaults[]): HealthDefaults {
  const out: HealthDefaults = {};
  for (const level of levels) {
    for (const [k, value] of Object.entries(level)) {
      if (value !== undefined) (out as Record<string, unknown>)[k] = value;
    }
  }
  return out;
}

/**
 * keepalived's per-kind defaults: MISC_CHECK does not retry; HTTP_GET/SSL_GET wait 3 s between
 * retries; DNS_CHECK retries 3 times, delay_loop apart. FILE_CHECK and BFD_CHECK have no timing
 * keywords: keepalived reacts to their events at once, director reads the file every second and
 * the BFD session's state every BFD_POLL_SECONDS.
 */
export function resolveTiming(kind: HealthCheckConfig['kind'], h: HealthDefaults, vsDelayLoop: number): CheckTiming {
  if (kind === 'file') return { delayLoop: 1, retry: 0, delayBeforeRetry: 1, warmup: 0, rise: 1 };
  if (kind === 'bfd') return { delayLoop: BFD_POLL_SECONDS, retry: 0, delayBeforeRetry: BFD_POLL_SECONDS, warmup: 0, rise: 1 };
  const delayLoop = h.delayLoop ?? vsDelayLoop;
  return {
    delayLoop,
    retry: h.retry ?? (kind === 'misc' ? 0 : kind === 'dns' ? 3 : 1),
    delayBeforeRetry: h.delayBeforeRetry ?? (kind === 'http' || kind === 'ssl' ? 3 : kind === 'dns' ? delayLoop : 1),
    warmup: h.warmup ?? delayLoop,
    rise: h.rise ?? 1,
  };
}
