// The availability keywords of a virtual_server block (sorry_server, sorry_server_inhibit,
// sorry_server_lvs_method, quorum, hysteresis, quorum_up, quorum_down, omega, ha_suspend), read
// as keepalived's check_parser.c reads them and checked as its check_data.c does once the block
// is whole (quorum above the real servers' total weight and hysteresis >= quorum are lowered).

import type { ConfigWarning, ForwardMethod, ScriptConfig, ScriptRunAs, VirtualServerConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { warn } from './keepalived-keywords.js';
import * as v from './keepalived-values.js';

const MAX_QUORUM = 4294967295;

/** What the block said, resolved by finishAvailability once lb_kind and the real servers are known. */
export interface AvailabilityDraft {
  sorry: { stmt: Statement; address: string; port: number; method: ForwardMethod | null; inhibit: boolean } | null;
  quorum: number;
  quorumStmt: Statement | null;
  hysteresis: number;
  hysteresisStmt: Statement | null;
  up: ScriptConfig | null;
  down: ScriptConfig | null;
  omega: boolean;
  haSuspend: boolean;
}

export function newAvailabilityDraft(): AvailabilityDraft {
  return { sorry: null, quorum: 1, quorumStmt: null, hysteresis: 0, hysteresisStmt: null, up: null, down: null, omega: false, haSuspend: false };
}

/** Reads one statement if it is an availability keyword; false when it is not one. */
export function availabilityKeyword(d: AvailabilityDraft, s: Statement, scripts: Pick<ScriptRunAs, 'defaultUser' | 'secure'>,
  warnings: ConfigWarning[]): boolean {
  switch (s.keyword) {
    case 'sorry_server':
      v.expectArgs(s, 1, 2, 'IP [PORT]');
      d.sorry = { stmt: s, address: v.ipv4(s, s.args[0] as string), port: v.port(s, s.args[1], true), method: null, inhibit: false };
      return true;
    case 'sorry_server_inhibit':
      v.expectArgs(s, 0);
      // keepalived reads the keywords in order: a setting before sorry_server has nothing to apply to.
      if (d.sorry) d.sorry.inhibit = true;
      else warn(s, 'used before or without sorry_server, ignored (as keepalived does)', warnings);
      return true;
    case 'sorry_server_lvs_method':
      if (d.sorry) d.sorry.method = v.method(s);
      else warn(s, 'used before or without sorry_server, ignored (as keepalived does)', warnings);
      return true;
    case 'quorum':
      v.expectArgs(s, 1, 1, 'WEIGHT');
      d.quorum = v.uint(s, s.args[0] as string, 1, MAX_QUORUM);
      d.quorumStmt = s;
      return true;
    case 'hysteresis':
      v.expectArgs(s, 1, 1, 'WEIGHT');
      d.hysteresis = v.uint(s, s.args[0] as string, 0, MAX_QUORUM);
      d.hysteresisStmt = s;
      return true;
    case 'quorum_up':
    case 'quorum_down':
      quorumScript(d, s, scripts, warnings);
      return true;
    case 'omega':
      v.expectArgs(s, 0);
      d.omega = true;
      return true;
    case 'ha_suspend':
      v.expectArgs(s, 0);
      d.haSuspend = true;
      return true;
    default:
      return false;
  }
}

function quorumScript(d: AvailabilityDraft, s: Statement, scripts: Pick<ScriptRunAs, 'defaultUser' | 'secure'>, warnings: ConfigWarning[]): void {
  const field = s.keyword === 'quorum_up' ? 'up' : 'down';
  const script = v.scriptCommand(s);
  if (d[field] !== null) {
    warn(s, `${s.keyword} script already given, this one ignored (as keepalived does)`, warnings);
    return;
  }
  d[field] = { ...script, ...scripts };
}

/**
 * Writes the block's availability settings into vs (real servers and lb_kind final). Settings
 * left at keepalived's defaults add no field, so configs without them compare as before.
 */
export function finishAvailability(d: AvailabilityDraft, vs: VirtualServerConfig, warnings: ConfigWarning[]): void {
  if (d.sorry) vs.sorryServer = sorryServer(d.sorry, vs, warnings);
  const q = quorumChecked(d, vs, warnings);
  if (q.quorum !== 1 || q.hysteresis !== 0 || d.up !== null || d.down !== null) {
    vs.quorum = { quorum: q.quorum, hysteresis: q.hysteresis, up: d.up, down: d.down };
  }
  if (d.omega) vs.omega = true;
  if (d.haSuspend) vs.haSuspend = true;
}

function sorryServer(s: NonNullable<AvailabilityDraft['sorry']>, vs: VirtualServerConfig, warnings: ConfigWarning[]): VirtualServerConfig['sorryServer'] {
  const method = s.method ?? vs.method;
  let port = s.port || vs.port;
  // As for real servers: only NAT (and FULLNAT) rewrite the port.
  if (method !== 'nat' && method !== 'fnat' && port !== vs.port) {
    warn(s.stmt, `port ${port} ignored: ${method.toUpperCase()} keeps the virtual port ${vs.port} (keepalived resets it too)`, warnings);
    port = vs.port;
  }
  return { address: s.address, port, method, inhibit: s.inhibit, line: s.stmt.line };
}

/** keepalived lowers a quorum no set of alive servers could reach, and a hysteresis not below it. */
function quorumChecked(d: AvailabilityDraft, vs: VirtualServerConfig, warnings: ConfigWarning[]): { quorum: number; hysteresis: number } {
  const total = vs.realServers.reduce((sum, rs) => sum + rs.weight, 0);
  let { quorum, hysteresis } = d;
  if (d.quorumStmt && quorum > total) {
    warn(d.quorumStmt, `quorum ${quorum} exceeds the total weight ${total} of the real servers, lowered to ${total} (as keepalived does)`, warnings);
    quorum = total;
  }
  if (d.hysteresisStmt && hysteresis > 0 && hysteresis >= quorum) {
    const lowered = Math.max(0, quorum - 1);
    warn(d.hysteresisStmt, `hysteresis ${hysteresis} >= quorum ${quorum}, lowered to ${lowered} (as keepalived does)`, warnings);
    hysteresis = lowered;
  }
  return { quorum, hysteresis };
}
