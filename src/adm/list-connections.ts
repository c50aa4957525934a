// `adm -L -c` and `adm -L --timeout` as ipvsadm 1.31 prints them (list_conn, print_conn,
// list_timeout). The header and the rows are separate so a long table can be streamed.

import type { ListFormat } from './commands.js';
import type { AdmConnection, AdmTimeouts } from './model.js';
import type { Names } from './names.js';
import { addressPort, left } from './text.js';

/**
 * "IPVS connection entries" and the column heads. --persistent-conn adds ipvsadm's persistence
 * engine columns (always empty here); director's --laddr-info adds the FULLNAT local address
 * before the destination, where DPVS's ipvsadm shows it.
 */
export function connectionHeader(format: ListFormat): string {
  const heads = [left('state', 11), left('source', 18), left('virtual', 18)];
  if (format.laddrInfo) heads.push(left('local', 18));
  heads.push(format.persistentConn ? `${left('destination', 18)} ${left('pe name', 16)} pe_data` : 'destination');
  return `IPVS connection entries\npro expire ${heads.join(' ')}\n`;
}

/** MM:SS, minutes unbounded (15:00 for a fresh ESTABLISHED TCP connection). */
function expireText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** One row (ipvsadm prints no persistence engine data for rows without it, so neither do we). */
export function connectionLine(c: AdmConnection, format: ListFormat, names: Names): string {
  const at = (e: { address: string; port: number }): string => addressPort(e.address, e.port, c.protocol, format.numeric, names);
  const cols = [
    left(c.protocol.toUpperCase(), 3), left(expireText(c.expires), 6), left(c.state, 11),
    left(at(c.client), 18), left(at(c.virtual), 18),
  ];
  if (format.laddrInfo) cols.push(left(c.local === null ? '-' : at(c.local), 18));
  cols.push(at(c.destination));
  return `${cols.join(' ')}\n`;
}

export function listConnections(connections: readonly AdmConnection[], format: ListFormat, names: Names): string {
  return connectionHeader(format) + connections.map((c) => connectionLine(c, format, names)).join('');
}

export function listTimeouts(t: AdmTimeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}
