// What `director top` shows, as text lines from one reading of a running director (its adm
// snapshot and its stats): a summary, then each service with its real servers, their weights,
// health, connections and rates, cut to the terminal's size. Pure: no terminal, no socket.

import type { AdmRates, AdmRealServer, AdmService, AdmSnapshot } from '../adm/model.js';
import { NO_NAMES } from '../adm/names.js';
import { addressPort, sortServers, sortServices } from '../adm/text.js';
import type { DirectorStats, RealServerStats, ServiceStats } from '../director-stats.js';

/** One reading of a running director. */
export interface TopView {
  socketPath: string;
  /** The daemon's version and pid (the control socket's hello). */
  daemon: { version: string; pid: number };
  snapshot: AdmSnapshot;
  stats: DirectorStats;
  /** When it was read. */
  at: Date;
}

export interface ScreenSize {
  columns: number;
  rows: number;
}

const FORWARD = { dr: 'Route', nat: 'Masq', tun: 'Tunnel', fnat: 'FullNat' } as const;

/** Column titles and widths after the first (left-aligned) column. */
const COLUMNS: ReadonlyArray<readonly [title: string, width: number, align: 'left' | 'right']> = [
  ['Forward', 8, 'left'], ['Weight', 9, 'left'], ['Health', 8, 'left'], ['ActConn', 8, 'right'], ['InActConn', 10, 'right'],
  ['Conn/s', 8, 'right'], ['InPkt/s', 9, 'right'], ['OutPkt/s', 9, 'right'], ['InByte/s', 10, 'right'], ['OutByte/s', 10, 'right'],
];
/** The columns ipvsadm -L itself has (and health): never dropped for width, unlike the rates after them. */
const KEPT_COLUMNS = 5;
const FIRST_WIDTH = 32;

/** How wide the first column is and how many of COLUMNS are shown. */
interface Layout {
  firstWidth: number;
  columns: number;
}

const WIDE: Layout = { firstWidth: FIRST_WIDTH, columns: COLUMNS.length };

function row(layout: Layout, first: string, cells: readonly string[]): string {
  const rest = COLUMNS.slice(0, layout.columns).map(([, width, align], i) => {
    const cell = cells[i] ?? '';
    return align === 'left' ? ` ${cell.padEnd(width - 1)}` : cell.padStart(width);
  });
  return `${first.padEnd(layout.firstWidth)}${rest.join('')}`.trimEnd();
}

/**
 * The widest layout that fits a terminal: the full one when it fits; else the first column only as
 * wide as its longest cell, and rate columns dropped from the right (bytes before packets before
 * conn/s) until the line fits, so an 80-column terminal still shows every ipvsadm column and Conn/s.
 */
function layoutFor(firstCells: readonly string[], columns: number): Layout {
  const width = (l: Layout): number => l.firstWidth + COLUMNS.slice(0, l.columns).reduce((n, [, w]) => n + w, 0);
  if (width(WIDE) <= columns) return WIDE;
  const layout = { firstWidth: Math.max(...firstCells.map((c) => c.length)), columns: COLUMNS.length };
  while (layout.columns > KEPT_COLUMNS && width(layout) > columns) layout.columns--;
  return layout;
}

/** A rate in the width of a column: whole numbers, then K, M, G with one decimal. */
export function shortRate(n: number): string {
  if (n < 100_000) return String(Math.round(n));
  for (const [unit, scale] of [['K', 1e3], ['M', 1e6], ['G', 1e9]] as const) {
    if (n < scale * 10_000) return `${(n / scale).toFixed(1)}${unit}`;
  }
  return `${(n / 1e12).toFixed(1)}T`;
}

function rateCells(r: AdmRates): string[] {
  return [r.cps, r.inPps, r.outPps, r.inBps, r.outBps].map(shortRate);
}

/** Health as the checkers see it: up, down, up and ramping (slow start), or - when unchecked. */
function healthOf(stats: RealServerStats | undefined): string {
  const h = stats?.health;
  if (h === undefined) return '-';
  return h.state === 'up' && h.rampingUp ? 'up ramp' : h.state;
}

/** What ipvsadm prints after the scheduler, at the end of the line where it cannot push columns. */
function serviceFlags(svc: AdmService): string[] {
  return [
    ...svc.schedFlags,
    ...(svc.persistence > 0 ? [`persistent ${svc.persistence}`] : []),
    ...(svc.ops === true ? ['ops'] : []),
    ...(svc.laddrGroup !== null ? [`laddr-group ${svc.laddrGroup}`] : []),
  ];
}

const serviceFirst = (svc: AdmService): string =>
  `${svc.fwmark ? `FWM  ${svc.fwmark}${svc.family === 'inet6' ? ' IPv6' : ''}` : `${svc.protocol.toUpperCase()}  ${addressPort(svc.address, svc.port, svc.protocol, true, NO_NAMES)}`} ${svc.scheduler}`;
const serverFirst = (rs: AdmRealServer): string => `  -> ${addressPort(rs.address, rs.port, 'tcp', true, NO_NAMES)}`;

function serviceLine(layout: Layout, svc: AdmService): string {
  const active = svc.realServers.reduce((n, rs) => n + rs.activeConns, 0);
  const inactive = svc.realServers.reduce((n, rs) => n + rs.inactConns, 0);
  const line = row(layout, serviceFirst(svc), ['', '', '', String(active), String(inactive), ...rateCells(svc.rates)]);
  const flags = serviceFlags(svc);
  return flags.length === 0 ? line : `${line}  ${flags.join(' ')}`;
}

function serverLine(layout: Layout, rs: AdmRealServer, stats: RealServerStats | undefined): string {
  return row(layout, serverFirst(rs), [
    FORWARD[rs.method], `${rs.effectiveWeight}/${rs.weight}`, healthOf(stats),
    String(rs.activeConns), String(rs.inactConns), ...rateCells(rs.rates),
  ]);
}

function statsOf(stats: DirectorStats, svc: AdmService): ServiceStats | undefined {
  if (svc.fwmark) return stats.services.find((s) => s.fwmark === svc.fwmark);
  return stats.services.find((s) => s.fwmark === undefined && s.protocol === svc.protocol && s.vip === svc.address && s.port === svc.port);
}

function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const hms = [Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return d > 0 ? `${d}d ${hms}` : hms;
}

function summary(v: TopView): string[] {
  const servers = v.snapshot.services.flatMap((s) => s.realServers);
  const down = v.stats.services.flatMap((s) => s.realServers).filter((rs) => rs.health?.state === 'down').length;
  const drops = Object.values(v.stats.drops).reduce((a, b) => a + b, 0);
  return [
    `director top  ${v.socketPath}  version ${v.daemon.version}  pid ${v.daemon.pid}  ${v.at.toISOString().slice(11, 19)} UTC`,
    `up ${uptime(v.stats.uptimeSeconds)}  services ${v.snapshot.services.length}  real servers ${servers.length} (${down} down)  `
      + `connections ${v.stats.connections}/${v.snapshot.connTableCapacity}  drops ${drops}`,
    'rates: IPVS estimator, 2 s samples (adm -L --rate)  q: quit',
    '',
  ];
}

const HEADER = 'Prot LocalAddress:Port Sched';
const SERVER_HEADER = '  -> RemoteAddress:Port';

/** Every line of one screen, with the columns that fit this many terminal columns, not yet cut to a size. */
export function topLines(v: TopView, columns = Infinity): string[] {
  const services = sortServices(v.snapshot.services);
  const layout = layoutFor([HEADER, SERVER_HEADER, ...services.map(serviceFirst), ...services.flatMap((s) => s.realServers.map(serverFirst))], columns);
  const lines = [...summary(v), row(layout, HEADER, COLUMNS.map(([title]) => title)), row(layout, SERVER_HEADER, [])];
  for (const svc of services) {
    lines.push(serviceLine(layout, svc));
    const stats = statsOf(v.stats, svc);
    for (const rs of sortServers(svc.realServers)) {
      lines.push(serverLine(layout, rs, stats?.realServers.find((s) => s.address === rs.address && s.port === rs.port)));
    }
  }
  if (v.snapshot.services.length === 0) lines.push('(no services: add one with director adm -A)');
  return lines;
}

/** The screen for a terminal of this size: the columns that fit, lines cut to its width, and to its height with a note of what is hidden. */
export function topScreen(v: TopView, size: ScreenSize): string[] {
  const all = topLines(v, size.columns).map((l) => l.slice(0, size.columns).trimEnd());
  if (all.length <= size.rows) return all;
  const shown = all.slice(0, Math.max(0, size.rows - 1));
  return [...shown, `... ${all.length - shown.length} more lines: enlarge the terminal`.slice(0, size.columns)];
}
