// The keepalived keywords director knows but does not act on yet, per block, so a real
// keepalived.conf loads with "not supported yet" warnings instead of "unknown keyword" ones.

import type { ConfigWarning } from './model.js';
import type { Statement } from './keepalived-parser.js';

/** Top-level blocks of keepalived.conf (static routes, SSL ...) that director does not run yet. */
export const UNSUPPORTED_TOP = new Set([
  'static_ipaddress', 'static_routes', 'static_rules',
  'linkbeat_interfaces', 'SSL', 'garp_group', 'net_namespace',
  'net_namespace_ipvs', 'namespace_with_ipsets', 'instance', 'use_pid_dir', 'vrrp_track_process',
]);

/** virtual_server keywords keepalived knows that director does not act on yet. */
export const UNSUPPORTED_VS = new Set([
  'persistence_engine', 'snmp_name', 'hashed', 'flag-3', 'net_mask',
]);

/** real_server keywords keepalived knows that director does not act on yet. */
export const UNSUPPORTED_RS = new Set([
  'snmp_name', 'track_file', 'track_bfd',
]);

/** Adds the warning for a keyword that is ignored, saying whether keepalived knows it. */
export function ignored(stmt: Statement, known: ReadonlySet<string>, warnings: ConfigWarning[]): void {
  // keepalived's per-block switch for its e-mail alerts: accepted quietly wherever it stands, as
  // the global notification keywords are (director sends no mail; the docs say so).
  if (stmt.keyword === 'smtp_alert') return;
  const what = known.has(stmt.keyword)
    ? `keyword ${stmt.keyword} not supported yet, ignored`
    : `unknown keyword ${stmt.keyword}, ignored`;
  warn(stmt, what, warnings);
}

export function warn(stmt: Statement, message: string, warnings: ConfigWarning[]): void {
  warnings.push({
    file: stmt.file,
    line: stmt.line,
    keyword: stmt.keyword,
    message: `${stmt.file}:${stmt.line}: ${message}`,
  });
}
