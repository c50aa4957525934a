// The printf pieces ipvsadm's listings are made of (%-Ns, %Ns, its K/M/G number scaling, host:port
// with or without names) and the sort orders of services, real servers and local address groups.

import type { Protocol } from '../config/model.js';
import { parseIpv4 } from '../net/addr.js';
import type { AdmLaddrGroup, AdmRealServer, AdmService } from './model.js';
import type { Names } from './names.js';

/** printf %-Ns: left-aligned, padded, never cut. */
export function left(value: string | number, width: number): string {
  return String(value).padEnd(width);
}

/** printf %Ns: right-aligned, padded, never cut. */
export function right(value: string | number, width: number): string {
  return String(value).padStart(width);
}

/**
 * ipvsadm's print_largenum: a 9-wide column (a space and 8 digits), scaled to K, M, G or T
 * (truncating) once it would not fit; with --exact the whole number, always after a space.
 */
export function largeNumber(n: number, exact: boolean): string {
  if (exact) {
    const digits = String(n);
    return right(digits, digits.length <= 8 ? 9 : digits.length + 1);
  }
  if (n < 1e8) return right(n, 9);
  if (n < 1e9) return `${right(Math.floor(n / 1e3), 8)}K`;
  if (n < 1e11) return `${right(Math.floor(n / 1e6), 8)}M`;
  if (n < 1e14) return `${right(Math.floor(n / 1e9), 8)}G`;
  return `${right(Math.floor(n / 1e12), 8)}T`;
}

/** ipvsadm's addrport_to_anyname: ADDRESS:PORT, or the names /etc/hosts and /etc/services give. */
export function addressPort(address: string, port: number, protocol: Protocol, numeric: boolean, names: Names): string {
  if (numeric) return `${address}:${port}`;
  return `${names.hostOf(address) ?? address}:${names.serviceOf(port, protocol) ?? port}`;
}

/** IPVS protocol numbers order services: TCP (6) before UDP (17). */
const PROTOCOL_RANK: Record<Protocol, number> = { tcp: 6, udp: 17 };

/** ipvsadm's ipvs_cmp_services: mark (address services, mark 0, first), protocol, address, port. */
export function sortServices(services: readonly AdmService[]): AdmService[] {
  return [...services].sort((a, b) =>
    (a.fwmark ?? 0) - (b.fwmark ?? 0)
    || PROTOCOL_RANK[a.protocol] - PROTOCOL_RANK[b.protocol]
    || parseIpv4(a.address) - parseIpv4(b.address)
    || a.port - b.port);
}

/** Local address groups by name. */
export function sortGroups(groups: readonly AdmLaddrGroup[]): AdmLaddrGroup[] {
  return [...groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** ipvsadm's ipvs_cmp_dests: address, then port. */
export function sortServers(servers: readonly AdmRealServer[]): AdmRealServer[] {
  return [...servers].sort((a, b) => parseIpv4(a.address) - parseIpv4(b.address) || a.port - b.port);
}
