// Reads and checks the values of keepalived.conf keywords; each failure is a ConfigError naming
// file, line, keyword and what is allowed.

import { ConfigError, type ForwardMethod, type Protocol, type ScriptCommand } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { ipv4Problem, isIPv4 } from '../net/addr.js';
import { formatIpv6, isIPv6, parseIpv6 } from '../net/addr6.js';

/** Longest persistence keepalived accepts (LVS_MAX_TIMEOUT: 31 days). */
export const MAX_PERSISTENCE_SECONDS = 86400 * 31;
/** keepalived's persistence_timeout when given without a value or implied (IPVS_SVC_PERSISTENT_TIMEOUT). */
export const DEFAULT_PERSISTENCE_SECONDS = 360;

export function fail(stmt: Statement, detail: string): never {
  throw new ConfigError(stmt.file, stmt.line, stmt.keyword, detail);
}

/** Checks the argument count: exactly `min` unless `max` allows more. */
export function expectArgs(stmt: Statement, min: number, max = min, shape = ''): void {
  const n = stmt.args.length;
  if (n >= min && n <= max) return;
  const want = min === max ? `${min}` : `${min} to ${max}`;
  const usage = shape ? ` (${stmt.keyword} ${shape})` : '';
  fail(stmt, `expects ${want} value${max === 1 ? '' : 's'}${usage}, got ${n}`);
}

export function ipv4(stmt: Statement, text: string): string {
  const problem = ipv4Problem(text);
  if (problem !== null) fail(stmt, problem);
  return text;
}

/** An IPv4 address as written, or an IPv6 address in RFC 5952 text (so equal addresses compare equal). */
export function address(stmt: Statement, text: string): { text: string; v6: boolean } {
  if (isIPv4(text)) return { text, v6: false };
  if (isIPv6(text)) return { text: formatIpv6(parseIpv6(text)), v6: true };
  return fail(stmt, `'${text}' is not an IPv4 or IPv6 address`);
}

/** A whole number in [min, max]. */
export function uint(stmt: Statement, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    fail(stmt, `'${text}' is not a whole number in ${min}..${max}`);
  }
  return Number(text);
}

/** Seconds, possibly fractional (keepalived's read_timer accepts '1.5'), in (0, max]. */
export function seconds(stmt: Statement, text: string, max: number): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value <= 0 || value > max) {
    fail(stmt, `'${text}' is not a number of seconds in (0, ${max}]`);
  }
  return value;
}

/** A port 1..65535, or 0 where `allowZero` (missing port in keepalived means 0). */
export function port(stmt: Statement, text: string | undefined, allowZero: boolean): number {
  if (text === undefined) return 0;
  const min = allowZero ? 0 : 1;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > 65535) {
    fail(stmt, `port '${text}' is not in ${min}..65535`);
  }
  return Number(text);
}

const METHODS: Record<string, ForwardMethod> = { DR: 'dr', NAT: 'nat', TUN: 'tun', FNAT: 'fnat' };

/** lb_kind / lvs_method: DR, NAT, TUN or FNAT, any case. */
export function method(stmt: Statement): ForwardMethod {
  expectArgs(stmt, 1, 1, 'DR|NAT|TUN|FNAT');
  const text = stmt.args[0] as string;
  const found = METHODS[text.toUpperCase()];
  if (!found) fail(stmt, `'${text}' is not one of DR, NAT, TUN, FNAT`);
  return found;
}

/** protocol: TCP or UDP, any case (keepalived also knows SCTP, which director does not carry). */
export function protocol(stmt: Statement): Protocol {
  expectArgs(stmt, 1, 1, 'TCP|UDP');
  const text = stmt.args[0] as string;
  const upper = text.toUpperCase();
  if (upper === 'TCP') return 'tcp';
  if (upper === 'UDP') return 'udp';
  fail(stmt, `'${text}' is not one of TCP, UDP${upper === 'SCTP' ? ' (SCTP is not supported)' : ''}`);
}

/** A name used as a reference (laddr group): letters, digits, '_', '-', '.'. */
export function name(stmt: Statement): string {
  expectArgs(stmt, 1, 1, 'NAME');
  const text = stmt.args[0] as string;
  if (!/^[A-Za-z0-9_.-]+$/.test(text)) fail(stmt, `'${text}' is not a valid name (letters, digits, _ - .)`);
  return text;
}

/** A whole number in [min, max], negative allowed (tracker weights). */
export function int(stmt: Statement, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    fail(stmt, `'${text}' is not a whole number in ${min}..${max}`);
  }
  return Number(text);
}

export function bool(stmt: Statement, text: string): boolean {
  const t = text.toLowerCase();
  if (t === 'true' || t === 'on' || t === 'yes') return true;
  if (t === 'false' || t === 'off' || t === 'no') return false;
  fail(stmt, `'${text}' is not true or false`);
}

/** A flag keyword that may carry a value: `nopreempt`, `nopreempt true`, `nopreempt off`. */
export function optionalBool(stmt: Statement): boolean {
  expectArgs(stmt, 0, 1, '[true|false]');
  return stmt.args[0] === undefined || bool(stmt, stmt.args[0]);
}

/** A Linux interface name (at most 15 bytes, no '/' or blanks). */
export function interfaceName(stmt: Statement, text: string): string {
  if (!/^[^\s/:]{1,15}$/.test(text)) fail(stmt, `'${text}' is not an interface name (1 to 15 characters, no '/' or ':')`);
  return text;
}

/** `"COMMAND ARGS" [USER [GROUP]]`: a command with arguments must be quoted, as in keepalived. */
export function scriptCommand(s: Statement): ScriptCommand {
  if (s.args.length === 0 || s.args.length > 3) {
    fail(s, `expects a script and at most a user and group (${s.keyword} "/path/to/script ARGS" [USER [GROUP]])`);
  }
  const command = s.args[0] as string;
  if (command.trim() === '') fail(s, 'the script is empty');
  return { command, user: s.args[1] ?? null, group: s.args[2] ?? null };
}
