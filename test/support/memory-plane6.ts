// The IPv6 side of the memory-port lab: addresses from 2001:db8::/32, IPv6 routes, virtual
// servers over IPv6 real servers, the neighbours learnt as Neighbour Discovery would (learn6),
// and a decoder of the IPv6 frames the director sends.
import type { ForwardMethod, VirtualServerConfig } from '../../src/config/model.js';
import type { DataPlane } from '../../src/datapath/data-plane.js';
import { formatMac, parseMac } from '../../src/net/addr.js';
import { formatIpv6, ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import type { Route6 } from '../../src/net/routes6.js';
import { service } from './memory-plane.js';
import { l4Checksum6Ok } from './packets6.js';

export const DIRECTOR6 = '2001:db8::2';
export const ROUTER6 = '2001:db8::1';
export const ROUTER6_MAC = '02:00:00:00:06:fe';
export const CLIENT6 = '2001:db8:1::10';
export const VIP6 = '2001:db8::100';
export const RS6 = ['2001:db8::11', '2001:db8::12', '2001:db8::13'];
export const RS6_MAC = ['02:00:00:00:06:11', '02:00:00:00:06:12', '02:00:00:00:06:13'];
export const LIPS6 = ['2001:db8:2::1', '2001:db8:2::2'];

const w = (text: string) => ipv6Words(parseIpv6(text));

export const ROUTES6: Route6[] = [
  { network: w('2001:db8::'), prefixLen: 64, gateway: null, dev: 'mem0' },
  { network: w('::'), prefixLen: 0, gateway: w(ROUTER6), dev: 'mem0' },
];

/** A fourth IPv6 real server that answers solicitations too, for tables rebuilt with one more. */
export const SPARE_RS6 = '2001:db8::14';
export const SPARE_RS6_MAC = '02:00:00:00:06:14';

export const PLANE6 = {
  routes6: ROUTES6, localIp6: w(DIRECTOR6),
  neighbours6: { [ROUTER6]: ROUTER6_MAC, [SPARE_RS6]: SPARE_RS6_MAC, ...Object.fromEntries(RS6.map((ip, i) => [ip, RS6_MAC[i]!])) },
};

/** VIP6:80/tcp over RS6 (NAT/FNAT to port 8080), FULLNAT from the lips6 group. */
export function service6(method: ForwardMethod, o: Partial<VirtualServerConfig> = {}): VirtualServerConfig {
  const base = service(method);
  return {
    ...base, vip: VIP6, family: 'inet6', persistenceGranularity: '128', laddrGroup: method === 'fnat' ? 'lips6' : null,
    realServers: base.realServers.map((rs, i) => ({ ...rs, address: RS6[i]! })), ...o,
  };
}

/**
 * Tells the plane every IPv6 neighbour's MAC, the router's before any connection wants it (what
 * Neighbour Discovery will learn by asking).
 */
export function learnNeighbours6(plane: DataPlane): void {
  const learn = (ip: string, mac: string) => {
    const [a0, a1, a2, a3] = w(ip);
    const m = parseMac(mac);
    plane.arp.want6(a0, a1, a2, a3);
    plane.arp.learn6(a0, a1, a2, a3, m.hi, m.lo);
  };
  learn(ROUTER6, ROUTER6_MAC);
  RS6.forEach((ip, i) => learn(ip, RS6_MAC[i]!));
}

export interface Decoded6 {
  dstMac: string; srcMac: string; hop: number; next: number; src: string; dst: string;
  /** TCP/UDP ports and the checksum verdict (of the inner packet for ip6ip6). */
  sport: number; dport: number; l4ok: boolean;
  /** ip6ip6: the inner packet. */
  inner?: Decoded6;
}

/** An Ethernet/IPv6 frame without extension headers (TCP, UDP, or ip6ip6 around one). */
export function decode6(f: Buffer, l3 = 14): Decoded6 {
  const mac = (at: number) => formatMac(f.readUInt16BE(at), f.readUInt32BE(at + 2));
  const next = f[l3 + 6]!;
  const l4 = l3 + 40;
  const out: Decoded6 = {
    dstMac: mac(0), srcMac: mac(6), hop: f[l3 + 7]!, next,
    src: formatIpv6(f.subarray(l3 + 8, l3 + 24)), dst: formatIpv6(f.subarray(l3 + 24, l3 + 40)),
    sport: 0, dport: 0, l4ok: false,
  };
  if (next === 41) out.inner = decode6(f, l4);
  else if (next === 6 || next === 17) {
    out.sport = f.readUInt16BE(l4);
    out.dport = f.readUInt16BE(l4 + 2);
    out.l4ok = l4Checksum6Ok(f, l3, l4, next);
  }
  return out;
}
