// keepalived's top-level `bfd_instance NAME { neighbor_ip ...; source_ip ...; min_rx; min_tx;
// idle_tx; multiplier; passive; ttl ... }` blocks, read before the virtual servers so a BFD_CHECK
// may name one defined anywhere. Keywords for VRRP tracking (weight, vrrp, checker) are accepted
// and ignored here; multihop sessions are marked so their BFD_CHECK can be refused.

import type { BfdCheckConfig, ConfigWarning } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { warn } from './keepalived-keywords.js';
import * as v from './keepalived-values.js';

/** The session parameters a BFD_CHECK gets, and what only the config needs. */
export interface BfdInstanceConfig extends Omit<BfdCheckConfig, 'kind' | 'timing' | 'line'> {
  /** multihop or max_hops: director's sessions are single hop only. */
  multihop: boolean;
  stmt: Statement;
}

/** Keywords of keepalived's bfd_instance that only VRRP tracking or IPv6 uses. */
const VRRP_ONLY = new Set(['weight', 'vrrp', 'checker', 'hoplimit']);
const MAX_INTERVAL_MS = 4294967;

/** Every bfd_instance block at the top level, by name; a name defined twice is an error. */
export function collectBfdInstances(statements: readonly Statement[], warnings: ConfigWarning[]): Map<string, BfdInstanceConfig> {
  const out = new Map<string, BfdInstanceConfig>();
  for (const s of statements) {
    if (s.keyword !== 'bfd_instance') continue;
    const bfd = parseBfdInstance(s, warnings);
    const earlier = out.get(bfd.name);
    if (earlier) v.fail(s, `bfd_instance '${bfd.name}' is already defined at ${earlier.stmt.file}:${earlier.stmt.line}`);
    out.set(bfd.name, bfd);
  }
  return out;
}

function parseBfdInstance(s: Statement, warnings: ConfigWarning[]): BfdInstanceConfig {
  v.expectArgs(s, 1, 1, 'NAME');
  if (!s.block) v.fail(s, "expects a block '{ neighbor_ip IP ... }' after the name");
  // keepalived's defaults.
  const b: BfdInstanceConfig = {
    name: s.args[0] as string, neighbor: '', sourceIp: null, minRxMs: 10, minTxMs: 10, idleTxMs: 1000, multiplier: 5,
    passive: false, ttl: 255, multihop: false, stmt: s,
  };
  for (const k of s.block) bfdKeyword(b, k, warnings);
  if (b.neighbor === '') v.fail(s, `bfd_instance '${b.name}' needs neighbor_ip`);
  return b;
}

function bfdKeyword(b: BfdInstanceConfig, k: Statement, warnings: ConfigWarning[]): void {
  const one = (shape: string): string => {
    v.expectArgs(k, 1, 1, shape);
    return k.args[0] as string;
  };
  switch (k.keyword) {
    case 'neighbor_ip':
    case 'neighbour_ip':
      b.neighbor = v.ipv4(k, one('IP'));
      return;
    case 'source_ip':
      b.sourceIp = v.ipv4(k, one('IP'));
      return;
    case 'min_rx':
      b.minRxMs = milliseconds(k, one('MILLISECONDS'));
      return;
    case 'min_tx':
      b.minTxMs = milliseconds(k, one('MILLISECONDS'));
      return;
    case 'idle_tx':
      b.idleTxMs = milliseconds(k, one('MILLISECONDS'));
      return;
    case 'multiplier':
      b.multiplier = v.uint(k, one('COUNT'), 1, 255);
      return;
    case 'passive':
      v.expectArgs(k, 0);
      b.passive = true;
      return;
    case 'ttl':
      b.ttl = v.uint(k, one('TTL'), 1, 255);
      return;
    case 'max_hops':
      b.multihop ||= v.uint(k, one('HOPS'), 0, 255) !== 0;
      return;
    case 'multihop':
      v.expectArgs(k, 0, 1, '[BOOL]');
      b.multihop ||= k.args[0] === undefined || v.bool(k, k.args[0]);
      return;
    default:
      if (VRRP_ONLY.has(k.keyword)) return;
      warn(k, `unknown keyword ${k.keyword} in bfd_instance, ignored`, warnings);
  }
}

/** keepalived's BFD intervals: milliseconds with microsecond resolution. */
function milliseconds(k: Statement, text: string): number {
  const ms = Number(text);
  if (!/^\d+(\.\d{1,3})?$/.test(text) || ms <= 0 || ms > MAX_INTERVAL_MS) {
    v.fail(k, `'${text}' is not a number of milliseconds in (0, ${MAX_INTERVAL_MS}]`);
  }
  return ms;
}
