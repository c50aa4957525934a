// Runs the checks that must pass before a director starts, in the order a user would fix them,
// and formats the findings.

import type { DirectorConfig } from '../config/model.js';
import { ReadError, type SystemReader } from './reader.js';
import { serviceAddresses } from '../datapath/service-table.js';
import {
  checkCapabilities, checkInterface, checkIpForward, checkIpv6Forward, checkOwnedAddresses, checkRpFilter, checkTapDevice,
  type Finding,
} from './checks.js';

export type { Finding } from './checks.js';

export interface PreflightOptions {
  config: DirectorConfig;
  /** AF_PACKET attachment: the interface must exist and the kernel must not forward. */
  interface?: string;
  /** TAP attachment: /dev/net/tun must exist. */
  tap?: string;
}

/** Every finding; the director may start only when none is an error. */
export function runPreflight(options: PreflightOptions, reader: SystemReader): Finding[] {
  const findings = guarded('capabilities', 'capabilities', () => checkCapabilities(reader));
  const ifname = options.interface;
  if (ifname) {
    const missing = guarded('interface', `interface '${ifname}'`, () => checkInterface(reader, ifname));
    findings.push(...missing);
    if (missing.length === 0) findings.push(...guarded('rp_filter', `rp_filter on ${ifname}`, () => checkRpFilter(reader, ifname)));
    findings.push(...guarded('ip_forward', 'net.ipv4.ip_forward', () => checkIpForward(reader)));
    if (options.config.virtualServers.some((vs) => vs.family === 'inet6')) {
      findings.push(...guarded('ipv6_forwarding', 'net.ipv6.conf.*.forwarding', () => checkIpv6Forward(reader, ifname)));
    }
  }
  if (options.tap) findings.push(...guarded('tap', '/dev/net/tun', () => checkTapDevice(reader)));
  const owned = ownedAddresses(options.config);
  findings.push(...guarded('address', 'whether the kernel owns a VIP', () => checkOwnedAddresses(reader, owned)));
  return findings;
}

/** A check that could not read what it needs fails closed: an error naming what it could not read. */
function guarded(check: string, what: string, run: () => Finding[]): Finding[] {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof ReadError)) throw err;
    return [{ level: 'error', check, message: `could not check ${what}: ${err.message}` }];
  }
}

/** Addresses director answers for: the VIPs, marked addresses and the FULLNAT local addresses in use. */
export function ownedAddresses(config: DirectorConfig): string[] {
  const set = new Set<string>(serviceAddresses(config));
  for (const vs of config.virtualServers) {
    const fnat = vs.realServers.some((rs) => rs.method === 'fnat');
    if (fnat && vs.laddrGroup) for (const lip of config.localAddressGroups[vs.laddrGroup] ?? []) set.add(lip);
  }
  return [...set];
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.level === 'error');
}

export function formatFinding(f: Finding): string {
  return `${f.level}: ${f.message}`;
}
