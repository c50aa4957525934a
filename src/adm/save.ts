// `adm -S`: the table as commands that rebuild it (`adm -R`, ipvsadm -R for what ipvsadm knows),
// in ipvsadm 1.31's rule format (print_service_entry with FMT_RULE).
//
// Differences from ipvsadm, all so that a restore gives back what was saved: servers keep their
// thresholds (-x/-y, which ipvsadm -S drops), FULLNAT servers say --fullnat, and FULLNAT local
// address groups come first as `-P --laddr-group NAME -z ADDRESSES` lines.

import type { ForwardMethod } from '../config/model.js';
import { formatIpv4, parseIpv4 } from '../net/addr.js';
import { hostGranularity, type AdmRealServer, type AdmService, type AdmSnapshot } from './model.js';
import type { Names } from './names.js';
import { addressPort, sortGroups, sortServers, sortServices } from './text.js';

/** ipvsadm 1.31 writes `--tun-type ipip` after every tunnel server; so do we, it reads it back. */
const METHOD_SWITCHES: Record<ForwardMethod, string> = { dr: '-g', nat: '-m', tun: '-i', fnat: '--fullnat' };

export function saveRules(snapshot: AdmSnapshot, numeric: boolean, names: Names): string {
  let out = '';
  for (const g of sortGroups(snapshot.laddrGroups)) {
    for (const range of addressRanges(g.addresses.map((a) => a.address))) {
      out += `-P --laddr-group ${g.name} -z ${range}\n`;
    }
  }
  for (const svc of sortServices(snapshot.services)) {
    const flag = svc.protocol === 'tcp' ? '-t' : '-u';
    const name = svc.fwmark ? `-f ${svc.fwmark}${svc.family === 'inet6' ? ' -6' : ''}`
      : `${flag} ${addressPort(svc.address, svc.port, svc.protocol, numeric, names)}`;
    out += `-A ${name} -s ${svc.scheduler}${serviceOptions(svc)}\n`;
    for (const rs of sortServers(svc.realServers)) {
      out += `-a ${name} -r ${addressPort(rs.address, rs.port, svc.protocol, numeric, names)}${serverOptions(rs)}\n`;
    }
  }
  return out;
}

function serviceOptions(svc: AdmService): string {
  let out = '';
  if (svc.persistence > 0) {
    out += ` -p ${svc.persistence}`;
    if (svc.netmask !== hostGranularity(svc)) out += ` -M ${svc.netmask}`;
  }
  if (svc.ops === true) out += ' -o';
  if (svc.schedFlags.length > 0) out += ` -b ${svc.schedFlags.join(',')}`;
  if (svc.laddrGroup !== null) out += ` --laddr-group ${svc.laddrGroup}`;
  return out;
}

function serverOptions(rs: AdmRealServer): string {
  let out = ` ${METHOD_SWITCHES[rs.method]} -w ${rs.weight}`;
  if (rs.method === 'tun') out += ' --tun-type ipip';
  if (rs.upperThreshold > 0) out += ` -x ${rs.upperThreshold}`;
  if (rs.lowerThreshold > 0) out += ` -y ${rs.lowerThreshold}`;
  return out;
}

/** Consecutive addresses within one /24 become keepalived's A.B.C.D-E range, in list order. */
function addressRanges(addresses: readonly string[]): string[] {
  const ranges: string[] = [];
  let i = 0;
  while (i < addresses.length) {
    if ((addresses[i] as string).includes(':')) { // IPv6: one address per entry, no ranges
      ranges.push(addresses[i] as string);
      i += 1;
      continue;
    }
    const first = parseIpv4(addresses[i] as string);
    let last = first;
    while (i + 1 < addresses.length && parseIpv4(addresses[i + 1] as string) === last + 1 && (last & 255) !== 255) {
      last += 1;
      i += 1;
    }
    ranges.push(last === first ? formatIpv4(first) : `${formatIpv4(first)}-${last & 255}`);
    i += 1;
  }
  return ranges;
}
