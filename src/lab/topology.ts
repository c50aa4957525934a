// The lab of DESIGN.md's address plan: a client behind a router namespace, a LAN bridge in its
// own namespace, one to three director namespaces and N real servers set up for a forwarding method.
//
//   client 198.18.1.10 -- router 198.18.1.1 | 198.19.0.1 -- [br0 in lan] -- director .2 (.3, .4)
//                                                                      \-- rs1 .11, rs2 .12, ...
// With ipv6 every host is dual-stack: topology6.ts adds the same plan in 2001:db8::/32.

import type { ForwardMethod } from '../config/model.js';
import type { Cleanup } from './cleanup.js';
import * as nl from './netns.js';
import { ADDR6, prepareIpv6, realServerAddress6, setUpIpv6 } from './topology6.js';

export { ADDR6 } from './topology6.js';

export const ADDR = {
  client: '198.18.1.10',
  clientNet: '198.18.1.0/24',
  routerClientSide: '198.18.1.1',
  routerLanSide: '198.19.0.1',
  lanNet: '198.19.0.0/24',
  directors: ['198.19.0.2', '198.19.0.3', '198.19.0.4'],
  vip: '198.19.0.100',
  firstRealServer: 11,
  lipNet: '198.19.1.0/24',
} as const;

export const MAX_SERVERS = 40;

export interface LabOptions {
  /** Run prefix from makePrefix(); namespaces are PREFIX-client, PREFIX-router, ... */
  prefix: string;
  mode: ForwardMethod;
  /** Real servers, 1..MAX_SERVERS; default 3. */
  servers?: number;
  /** Director namespaces, 1 to 3 (2: a VRRP pair; 3: ECMP); default 1. */
  directors?: number;
  /** Leave checksum/segmentation offloads as the kernel sets them (default) or turn them off. */
  offloads?: boolean;
  /** Dual-stack: every host also gets its IPv6 address (topology6.ts); default false. */
  ipv6?: boolean;
  cleanup: Cleanup;
}

export interface LabHost {
  /** Role name: client, router, dir1, rs1, ... */
  name: string;
  ns: string;
  /** Interface facing the LAN (or, for the client, the router). */
  ifname: string;
  address: string;
  /** The host's IPv6 address on that interface, in a dual-stack lab. */
  address6?: string;
  mac: string;
}

export interface LabHandle {
  prefix: string;
  mode: ForwardMethod;
  vip: string;
  /** Dual-stack labs: the IPv6 VIP (real servers of DR and TUN hold it on lo as /128). */
  vip6?: string;
  client: LabHost;
  /** The router's LAN-side interface; its client side is routerClientSide. */
  router: LabHost;
  routerClientSide: LabHost;
  lanNs: string;
  bridge: string;
  directors: LabHost[];
  realServers: LabHost[];
  lipNet: string;
  /** Dual-stack labs: the IPv6 FULLNAT local address prefix. */
  lipNet6?: string;
  namespaces: string[];
}

function ns(prefix: string, role: string): string {
  return `${prefix}-${role}`;
}

function validate(o: LabOptions): { servers: number; directors: number } {
  const servers = o.servers ?? 3;
  const directors = o.directors ?? 1;
  if (!Number.isInteger(servers) || servers < 1 || servers > MAX_SERVERS) {
    throw new Error(`lab: servers must be 1..${MAX_SERVERS}, got ${servers}`);
  }
  if (![1, 2, 3].includes(directors)) throw new Error(`lab: directors must be 1, 2 or 3, got ${directors}`);
  if (!['dr', 'nat', 'tun', 'fnat'].includes(o.mode)) throw new Error(`lab: mode must be dr|nat|tun|fnat, got ${o.mode}`);
  return { servers, directors };
}

/** Builds the lab; on failure everything made so far is left in o.cleanup for the caller to run. */
export async function buildLab(o: LabOptions): Promise<LabHandle> {
  const { servers, directors } = validate(o);
  const p = o.prefix;
  const rsNames = Array.from({ length: servers }, (_, i) => `rs${i + 1}`);
  const dirNames = Array.from({ length: directors }, (_, i) => `dir${i + 1}`);
  const roles = ['lan', 'router', 'client', ...dirNames, ...rsNames];
  const namespaces = roles.map((r) => ns(p, r));
  for (const n of namespaces) o.cleanup.namespace(n);
  await Promise.all(namespaces.map((n) => nl.addNamespace(n)));
  const ipv6 = o.ipv6 === true;
  if (ipv6) await prepareIpv6(namespaces);

  const lanNs = ns(p, 'lan');
  await setUpLan(lanNs);
  // NAT replies must pass the director that holds the connection: with two directors (a VRRP
  // pair) that is whichever owns the VIP, so the real servers route back through the VIP, and
  // the master's gratuitous ARP moves their gateway with it (keepalived setups do the same).
  const natGateway = directors >= 2 ? ADDR.vip : ADDR.directors[0];
  // FULLNAT's local addresses live behind the master of a VRRP pair too: the real servers and
  // the router route them via the VIP. Otherwise (one director, ECMP) via dir1.
  const lipGateway = directors === 2 ? ADDR.vip : ADDR.directors[0];
  await setUpClientAndRouter(p, lipGateway);
  await Promise.all(dirNames.map((d, i) => setUpDirector(p, d, ADDR.directors[i] as string)));
  await Promise.all(rsNames.map((r, i) => setUpRealServer(p, r, realServerAddress(i), o.mode, natGateway, lipGateway)));
  if (ipv6) {
    await setUpIpv6({
      nsOf: (role) => ns(p, role), mode: o.mode, dirNames, rsAddresses: rsNames.map((_, i) => realServerAddress6(i, ADDR.firstRealServer)),
      natGateway: directors >= 2 ? ADDR6.vip : ADDR6.directors[0], lipGateway: directors === 2 ? ADDR6.vip : ADDR6.directors[0],
    });
  }
  if (o.offloads === false) await turnOffOffloads(p, dirNames, rsNames);

  const host = async (name: string, ifname: string, address: string, address6: string): Promise<LabHost> =>
    ({ name, ns: ns(p, name), ifname, address, ...(ipv6 ? { address6 } : {}), mac: (await nl.linkInfo(ns(p, name), ifname)).mac });
  return {
    prefix: p,
    mode: o.mode,
    vip: ADDR.vip,
    ...(ipv6 ? { vip6: ADDR6.vip } : {}),
    client: await host('client', 'eth0', ADDR.client, ADDR6.client),
    router: await host('router', 'lan0', ADDR.routerLanSide, ADDR6.routerLanSide),
    routerClientSide: await host('router', 'cli0', ADDR.routerClientSide, ADDR6.routerClientSide),
    lanNs,
    bridge: 'br0',
    directors: await Promise.all(dirNames.map((d, i) => host(d, 'lan0', ADDR.directors[i] as string, ADDR6.directors[i] as string))),
    realServers: await Promise.all(rsNames.map((r, i) => host(r, 'lan0', realServerAddress(i), realServerAddress6(i, ADDR.firstRealServer)))),
    lipNet: ADDR.lipNet,
    ...(ipv6 ? { lipNet6: ADDR6.lipNet } : {}),
    namespaces,
  };
}

export function realServerAddress(index: number): string {
  return `198.19.0.${ADDR.firstRealServer + index}`;
}

async function setUpLan(lanNs: string): Promise<void> {
  await nl.addBridge(lanNs, 'br0');
  await nl.linkUp(lanNs, 'br0');
  // Frames crossing the bridge should not meet netfilter (br_netfilter, where loaded, is per
  // namespace on recent kernels); a missing sysctl just means the module is not there.
  for (const key of ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-arptables']) {
    await nl.sysctl(lanNs, key, 0).catch(() => undefined);
  }
}

/** Plugs host interface `lan0` of namespace hostNs into the bridge as port `port`. */
async function plugIntoLan(prefix: string, hostNs: string, port: string, hostIf = 'lan0'): Promise<void> {
  const lanNs = ns(prefix, 'lan');
  await nl.addVethPair(hostNs, hostIf, lanNs, port);
  await nl.setMaster(lanNs, port, 'br0');
  await nl.linkUp(lanNs, port);
  await nl.linkUp(hostNs, hostIf);
}

async function setUpClientAndRouter(prefix: string, lipGateway: string): Promise<void> {
  const client = ns(prefix, 'client');
  const router = ns(prefix, 'router');
  await nl.addVethPair(client, 'eth0', router, 'cli0');
  await nl.addAddress(client, 'eth0', `${ADDR.client}/24`);
  await nl.linkUp(client, 'eth0');
  // The whole test range goes via the router; nothing else is reachable from the client.
  await nl.addRoute(client, '198.18.0.0/15', ADDR.routerClientSide);
  await nl.addAddress(router, 'cli0', `${ADDR.routerClientSide}/24`);
  await nl.linkUp(router, 'cli0');
  await plugIntoLan(prefix, router, 'router');
  await nl.addAddress(router, 'lan0', `${ADDR.routerLanSide}/24`);
  await nl.sysctl(router, 'net.ipv4.ip_forward', 1);
  // DR replies come from the real servers with the VIP as source on a path the router never
  // saw the request take; strict reverse-path filtering would drop nothing here, but be explicit.
  for (const dev of ['all', 'default', 'cli0', 'lan0']) await nl.sysctl(router, `net.ipv4.conf.${dev}.rp_filter`, 0);
  // FULLNAT local addresses live behind the director (the master of a pair: via the VIP).
  await nl.addRoute(router, ADDR.lipNet, lipGateway);
}

async function setUpDirector(prefix: string, role: string, address: string): Promise<void> {
  const d = ns(prefix, role);
  await plugIntoLan(prefix, d, role);
  await nl.addAddress(d, 'lan0', `${address}/24`);
  // The user-space director forwards; the kernel beside it must not (DESIGN: where a director attaches).
  await nl.sysctl(d, 'net.ipv4.ip_forward', 0);
  await nl.addRoute(d, ADDR.clientNet, ADDR.routerLanSide);
}

async function setUpRealServer(prefix: string, role: string, address: string, mode: ForwardMethod, natGateway: string,
                               lipGateway: string): Promise<void> {
  const r = ns(prefix, role);
  await plugIntoLan(prefix, r, role);
  await nl.addAddress(r, 'lan0', `${address}/24`);
  if (mode === 'dr' || mode === 'tun') {
    // LVS real-server recipe: the VIP on lo, never announced or answered for on the LAN.
    await nl.addAddress(r, 'lo', `${ADDR.vip}/32`);
    for (const dev of ['all', 'lan0']) {
      await nl.sysctl(r, `net.ipv4.conf.${dev}.arp_ignore`, 1);
      await nl.sysctl(r, `net.ipv4.conf.${dev}.arp_announce`, 2);
      await nl.sysctl(r, `net.ipv4.conf.${dev}.rp_filter`, 0);
    }
  }
  // NAT: replies must pass the director; DR/TUN: straight to the router; FULLNAT: replies go to
  // the local addresses (LIPs), which sit behind the director.
  const clientGateway = mode === 'nat' ? natGateway : ADDR.routerLanSide;
  await nl.addRoute(r, ADDR.clientNet, clientGateway);
  if (mode === 'fnat') await nl.addRoute(r, ADDR.lipNet, lipGateway);
}

async function turnOffOffloads(prefix: string, dirNames: string[], rsNames: string[]): Promise<void> {
  const off = { rx: false, tx: false, tso: false, gso: false, gro: false };
  await nl.setOffloads(ns(prefix, 'client'), 'eth0', off);
  await nl.setOffloads(ns(prefix, 'router'), 'cli0', off);
  await nl.setOffloads(ns(prefix, 'router'), 'lan0', off);
  for (const n of [...dirNames, ...rsNames]) await nl.setOffloads(ns(prefix, n), 'lan0', off);
}
