// `adm -L` for services, column for column as ipvsadm 1.31 prints them (list_all, print_title,
// print_service_entry): the banner, then one of six layouts chosen by --stats, --rate,
// --thresholds, --persistent-conn, --tun-info (in that precedence) or the default one.

import type { ForwardMethod } from '../config/model.js';
import { isServiceKey, type ListFormat, type ServiceKey } from './commands.js';
import { hostGranularity, type AdmRealServer, type AdmService, type AdmSnapshot } from './model.js';
import type { Names } from './names.js';
import { addressPort, largeNumber, left, right, sortServers, sortServices } from './text.js';

/** IPVS's version as the kernel reports it; scripts match the banner on it. */
export const IPVS_VERSION = '1.2.1';

const FORWARD_NAMES: Record<ForwardMethod, string> = { dr: 'Route', nat: 'Masq', tun: 'Tunnel', fnat: 'FullNat' };

type Layout = 'stats' | 'rate' | 'thresholds' | 'persistentConn' | 'tunInfo' | 'plain';

function layoutOf(f: ListFormat): Layout {
  return f.stats ? 'stats' : f.rate ? 'rate' : f.thresholds ? 'thresholds'
    : f.persistentConn ? 'persistentConn' : f.tunInfo ? 'tunInfo' : 'plain';
}

/**
 * All services (with the banner, whose size is the connection table's capacity), or the one
 * `service` names (without the banner, as ipvsadm). Throws "No such service" when it is absent.
 */
export function listServices(snapshot: AdmSnapshot, service: ServiceKey | null, format: ListFormat, names: Names): string {
  let services: AdmService[];
  let out = '';
  if (service === null) {
    out += `IP Virtual Server version ${IPVS_VERSION} (size=${snapshot.connTableCapacity})\n`;
    services = format.nosort ? snapshot.services : sortServices(snapshot.services);
  } else {
    const found = snapshot.services.find((s) => isServiceKey(s, service));
    if (found === undefined) throw new Error('No such service');
    services = [found];
  }
  const layout = layoutOf(format);
  out += title(layout);
  for (const svc of services) out += serviceBlock(svc, layout, format, names);
  return out;
}

const REMOTE_ONLY = '  -> RemoteAddress:Port\n';

function title(layout: Layout): string {
  const local = left('Prot LocalAddress:Port', 33);
  const counters = (heads: string[]): string => `${local} ${heads.map((h) => right(h, 8)).join(' ')}\n${REMOTE_ONLY}`;
  switch (layout) {
    case 'stats':
      return counters(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes']);
    case 'rate':
      return counters(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS']);
    case 'thresholds':
      return `${local} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((h) => left(h, 10)).join(' ')}\n${REMOTE_ONLY}`;
    case 'persistentConn':
      return `${local} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n${REMOTE_ONLY}`;
    case 'tunInfo':
      return 'Prot LocalAddress:Port Scheduler Flags\n'
        + '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
    case 'plain':
      return 'Prot LocalAddress:Port Scheduler Flags\n'
        + '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  }
}

function serviceBlock(svc: AdmService, layout: Layout, format: ListFormat, names: Names): string {
  // ipvsadm cuts an IPv4 service column at 33 characters and its server columns at 28; an
  // IPv6 service and its servers are printed whole (the columns after them shift right).
  const v6 = svc.family === 'inet6';
  const cut = (text: string, width: number): string => (v6 ? text : text.slice(0, width));
  const name = svc.fwmark ? `FWM  ${svc.fwmark}${v6 ? ' IPv6' : ''}`
    : cut(`${left(svc.protocol.toUpperCase(), 4)} ${addressPort(svc.address, svc.port, svc.protocol, format.numeric, names)}`, 33);
  let out: string;
  if (layout === 'stats' || layout === 'rate') {
    const n = layout === 'stats' ? counterValues(svc.stats) : rateValues(svc.rates);
    out = `${left(name, 33)}${n.map((v) => largeNumber(v, format.exact)).join('')}\n`;
  } else {
    out = `${name} ${svc.scheduler}${serviceFlags(svc)}\n`;
  }
  const servers = format.nosort ? svc.realServers : sortServers(svc.realServers);
  for (const rs of servers) {
    const dest = cut(addressPort(rs.address, rs.port, svc.protocol, format.numeric, names), 28);
    out += `  -> ${left(dest, 28)}${serverColumns(rs, layout, format.exact)}\n`;
  }
  return out;
}

/** The Flags column: (scheduler flags), persistence and its mask, and director's FULLNAT group. */
function serviceFlags(svc: AdmService): string {
  let flags = svc.schedFlags.length > 0 ? ` (${svc.schedFlags.join(',')})` : '';
  if (svc.persistence > 0) {
    flags += ` persistent ${svc.persistence}`;
    if (svc.netmask !== hostGranularity(svc)) flags += ` mask ${svc.netmask}`;
  }
  if (svc.ops === true) flags += ' ops';
  if (svc.laddrGroup !== null) flags += ` laddr-group ${svc.laddrGroup}`;
  return flags;
}

function serverColumns(rs: AdmRealServer, layout: Layout, exact: boolean): string {
  const conns = `${left(rs.activeConns, 10)} ${left(rs.inactConns, 10)}`;
  switch (layout) {
    case 'stats':
      return counterValues(rs.stats).map((v) => largeNumber(v, exact)).join('');
    case 'rate': {
      // ipvsadm prints a server's cps and pps unscaled, its byte rates scaled.
      const r = rs.rates;
      return ` ${right(r.cps, 8)} ${right(r.inPps, 8)} ${right(r.outPps, 8)}`
        + `${largeNumber(r.inBps, exact)}${largeNumber(r.outBps, exact)}`;
    }
    case 'thresholds':
      return ` ${left(rs.upperThreshold, 10)} ${left(rs.lowerThreshold, 10)} ${conns}`;
    case 'persistentConn':
      return ` ${left(rs.effectiveWeight, 9)} ${left(rs.persistConns, 11)} ${conns}`;
    case 'tunInfo':
      return ` ${left(FORWARD_NAMES[rs.method], 7)} ${left(rs.method === 'tun' ? 'ipip' : 'n/a', 13)} `
        + `${left(rs.effectiveWeight, 6)} ${conns}`;
    case 'plain':
      return ` ${left(FORWARD_NAMES[rs.method], 7)} ${left(rs.effectiveWeight, 6)} ${conns}`;
  }
}

function counterValues(c: AdmService['stats']): number[] {
  return [c.conns, c.inPkts, c.outPkts, c.inBytes, c.outBytes];
}

function rateValues(r: AdmService['rates']): number[] {
  return [r.cps, r.inPps, r.outPps, r.inBps, r.outBps];
}
