// Runs the checks that must pass before a director starts, in the order a user would fix them,
// and formats the findings.

import type { DirectorConfig } from '../config/model.js';
import type { SystemReader } from './reader.js';
import {
  checkCapabilities, checkInterface, checkIpForward, checkOwnedAddresses, checkRpFilter, checkTapDevice,
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
  const findings = [...checkCapabilities(reader)];
  if (options.interface) {
    const missing = checkInterface(reader, options.interface);
    findings.push(...missing);
    if (missing.length === 0) findings.push(...checkRpFilter(reader, options.interface));
    findings.push(...checkIpForward(reader));
  }
  if (options.tap) findings.push(...checkTapDevice(reader));
  findings.push(...checkOwnedAddresses(reader, ownedAddresses(options.config)));
  return findings;
}

/** Addresses director answers for: the VIPs and the FULLNAT local addresses in use. */
export function ownedAddresses(config: DirectorConfig): string[] {
  const set = new Set<string>();
  for (const vs of config.virtualServers) {
    set.add(vs.vip);
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
