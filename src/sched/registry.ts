// The one explicit list of schedulers, looked up by their IPVS names (ipvsadm -s, lb_algo).
import type { Scheduler } from './types.js';
import { rr } from './rr.js';
import { wrr } from './wrr.js';
import { lc } from './lc.js';
import { wlc } from './wlc.js';
import { sed } from './sed.js';
import { nq } from './nq.js';
import { lblc } from './lblc.js';
import { lblcr } from './lblcr.js';
import { dh } from './dh.js';
import { sh } from './sh.js';
import { mh } from './mh.js';
import { fo } from './fo.js';
import { ovf } from './ovf.js';
import { twos } from './twos.js';

const SCHEDULERS: readonly Scheduler<any>[] = [rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, fo, ovf, twos];

/** IPVS's default scheduler. */
export const DEFAULT_SCHEDULER = 'wlc';

export function schedulerNames(): string[] {
  return SCHEDULERS.map((s) => s.name);
}

/** The scheduler called `name`; a clear error listing the valid names otherwise. */
export function getScheduler(name: string): Scheduler<unknown> {
  const s = SCHEDULERS.find((x) => x.name === name);
  if (s === undefined) {
    throw new Error(`unknown scheduler "${name}"; valid: ${schedulerNames().join(', ')}`);
  }
  return s as Scheduler<unknown>;
}
