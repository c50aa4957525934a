// The printf pieces ipvsadm's listings are made of (%-Ns, %Ns, its K/M/G number scaling, host:port
// and [IPv6]:port with or without names) and the sort orders of services, real servers and local
// address groups.

import type { Protocol } from '../config/model.js';
import { parseIpv4 } from '../net/addr.js';
import { parseIpv6 } from '../net/addr6.js';
import { isV6Address } from './values.js';
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

/**
 * ipvsadm's addrport_to_anyname: ADDRESS:PORT or [IPV6]:PORT, or the names /etc/hosts and
 * /etc/services give (ipvsadm looks host names up for IPv4 only; an IPv6 address stays a number).
 */
export function addressPort(address: string, port: number, protocol: Protocol, numeric: boolean, names: Names): string {
  const portText = numeric ? port : names.serviceOf(port, protocol) ?? port;
  if (isV6Address(address)) return `[${address}]:${portText}`;
  return `${numeric ? address : names.hostOf(address) ?? address}:${portText}`;
}

/** libipvs's order of addresses: IPv4 (AF_INET) before IPv6, each by its bytes. */
export function compareAddresses(a: string, b: string): number {
  const a6 = isV6Address(a);
  if (a6 !== isV6Address(b)) return a6 ? 1 : -1;
  if (!a6) return parseIpv4(a) - parseIpv4(b);
  const x = parseIpv6(a);
  const y = parseIpv6(b);
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** IPVS protocol numbers order services: TCP (6) before UDP (17). */
const PROTOCOL_RANK: Record<Protocol, number> = { tcp: 6, udp: 17 };

/** ipvsadm's ipvs_cmp_services: mark (address services, mark 0, first), family (IPv4 first), protocol, address, port. */
export function sortServices(services: readonly AdmService[]): AdmService[] {
  const family = (s: AdmService): number => (s.family === 'inet6' ? 1 : 0);
  return [...services].sort((a, b) =>
    (a.fwmark ?? 0) - (b.fwmark ?? 0)
    || family(a) - family(b)
    || PROTOCOL_RANK[a.protocol] - PROTOCOL_RANK[b.protocol]
    || compareAddresses(a.address, b.address)
    || a.port - b.port);
}

/** Local address groups by name. */
export function sortGroups(groups: readonly AdmLaddrGroup[]): AdmLaddrGroup[] {
  return [...groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** ipvsadm's ipvs_cmp_dests: address, then port. */
export function sortServers(servers: readonly AdmRealServer[]): AdmRealServer[] {
  return [...servers].sort((a, b) => compareAddresses(a.address, b.address) || a.port - b.port);
}
