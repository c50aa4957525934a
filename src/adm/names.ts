// Host and service names for adm, both ways, from /etc/hosts and /etc/services only: ipvsadm
// without -n asks the resolver (DNS too), which stalls for seconds per address in a namespace
// without DNS; the local files give the names operators expect (http, their hosts) at no cost.

import { readFileSync } from 'node:fs';
import type { Protocol } from '../config/model.js';
import { isIPv4 } from '../net/addr.js';

export interface Names {
  /** The first name /etc/hosts gives the address, or null. */
  hostOf(address: string): string | null;
  /** The first service /etc/services lists on port/protocol, or null. */
  serviceOf(port: number, protocol: Protocol): string | null;
  /** The IPv4 address of a host name or alias, or null. */
  addressOf(host: string): string | null;
  /** The port of a service name or alias for the protocol, or null. */
  portOf(service: string, protocol: Protocol): number | null;
}

/** Resolves nothing: every address and port prints as a number (what -n means). */
export const NO_NAMES: Names = {
  hostOf: () => null,
  serviceOf: () => null,
  addressOf: () => null,
  portOf: () => null,
};

/** Words of a line before any '#'. */
function words(line: string): string[] {
  const hash = line.indexOf('#');
  return (hash < 0 ? line : line.slice(0, hash)).split(/\s+/).filter((w) => w !== '');
}

/** Names from the text of an /etc/hosts and an /etc/services file; the first entry wins, as libc. */
export function namesFrom(hostsText: string, servicesText: string): Names {
  const hostByAddress = new Map<string, string>();
  const addressByHost = new Map<string, string>();
  for (const [address, ...hosts] of hostsText.split('\n').map(words)) {
    if (address === undefined || hosts.length === 0 || !isIPv4(address)) continue;
    if (!hostByAddress.has(address)) hostByAddress.set(address, hosts[0] as string);
    for (const h of hosts) if (!addressByHost.has(h)) addressByHost.set(h, address);
  }
  const serviceByPort = new Map<string, string>();
  const portByService = new Map<string, number>();
  for (const [name, portProto, ...aliases] of servicesText.split('\n').map(words)) {
    const m = portProto === undefined ? null : /^(\d+)\/(tcp|udp)$/.exec(portProto);
    if (name === undefined || m === null) continue;
    const port = Number(m[1]);
    if (port > 65535) continue;
    const proto = m[2] as string;
    if (!serviceByPort.has(`${port}/${proto}`)) serviceByPort.set(`${port}/${proto}`, name);
    for (const n of [name, ...aliases]) if (!portByService.has(`${n}/${proto}`)) portByService.set(`${n}/${proto}`, port);
  }
  return {
    hostOf: (address) => hostByAddress.get(address) ?? null,
    serviceOf: (port, protocol) => serviceByPort.get(`${port}/${protocol}`) ?? null,
    addressOf: (host) => addressByHost.get(host) ?? null,
    portOf: (service, protocol) => portByService.get(`${service}/${protocol}`) ?? null,
  };
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The machine's /etc/hosts and /etc/services; a missing file resolves nothing. */
export function systemNames(): Names {
  return namesFrom(readOrEmpty('/etc/hosts'), readOrEmpty('/etc/services'));
}
