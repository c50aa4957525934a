// The IPv6 half of a dual-stack lab (2001:db8::/32 only): the same hosts and roles as the IPv4
// plan, each given an IPv6 address, route and sysctls beside its IPv4 ones.
//
//   client 2001:db8:1::10 -- router 2001:db8:1::1 | 2001:db8::1 -- [br0] -- director ::2 (::3, ::4)
//                                                                      \-- rs1 ::11, rs2 ::12, ...
//   VIP 2001:db8::100; FULLNAT local addresses 2001:db8:ff::/64

import type { ForwardMethod } from '../config/model.js';
import * as nl from './netns.js';

export const ADDR6 = {
  client: '2001:db8:1::10',
  clientNet: '2001:db8:1::/64',
  routerClientSide: '2001:db8:1::1',
  routerLanSide: '2001:db8::1',
  lanNet: '2001:db8::/64',
  directors: ['2001:db8::2', '2001:db8::3', '2001:db8::4'],
  vip: '2001:db8::100',
  lipNet: '2001:db8:ff::/64',
  /** All a lab host may reach over IPv6: the documentation prefix, nothing beyond. */
  labNet: '2001:db8::/32',
} as const;

/** rsN's IPv6 address: the same digits as its IPv4 host part (rs1 198.19.0.11, 2001:db8::11). */
export function realServerAddress6(index: number, first: number): string {
  return `2001:db8::${first + index}`;
}

/**
 * Run on fresh namespaces, before any interface exists: new interfaces then skip duplicate
 * address detection. DAD keeps an address tentative for about a second after its link comes up
 * (link-local ones too, which Neighbour Discovery uses), during which nothing can bind to it or
 * send from it; every address here is unique by construction, so the wait would only delay tests.
 */
export async function prepareIpv6(namespaces: string[]): Promise<void> {
  await Promise.all(namespaces.map(async (n) => {
    for (const dev of ['all', 'default']) {
      await nl.sysctl(n, `net.ipv6.conf.${dev}.disable_ipv6`, 0);
      await nl.sysctl(n, `net.ipv6.conf.${dev}.accept_dad`, 0);
    }
  }));
}

/** Where the IPv6 half of the lab differs by role, as the IPv4 half decided it. */
export interface Ipv6Plan {
  nsOf: (role: string) => string;
  mode: ForwardMethod;
  dirNames: string[];
  rsAddresses: string[];
  /** NAT real servers' gateway to the clients, and everyone's to the local addresses. */
  natGateway: string;
  lipGateway: string;
}

const add = (ns: string, dev: string, cidr: string): Promise<void> => nl.addAddress(ns, dev, cidr, { nodad: true });

/** Adds the IPv6 addresses, routes and sysctls of every host (the IPv4 half is up already). */
export async function setUpIpv6(plan: Ipv6Plan): Promise<void> {
  const client = plan.nsOf('client');
  const router = plan.nsOf('router');
  await add(client, 'eth0', `${ADDR6.client}/64`);
  await nl.addRoute(client, ADDR6.labNet, ADDR6.routerClientSide);
  await add(router, 'cli0', `${ADDR6.routerClientSide}/64`);
  await add(router, 'lan0', `${ADDR6.routerLanSide}/64`);
  // Only the router forwards; it has no route beyond the lab's prefixes.
  await nl.sysctl(router, 'net.ipv6.conf.all.forwarding', 1);
  await nl.addRoute(router, ADDR6.lipNet, plan.lipGateway);
  await Promise.all(plan.dirNames.map(async (d, i) => {
    const n = plan.nsOf(d);
    await add(n, 'lan0', `${ADDR6.directors[i] as string}/64`);
    // The user-space director forwards; the kernel beside it must not.
    await nl.sysctl(n, 'net.ipv6.conf.all.forwarding', 0);
    await nl.addRoute(n, ADDR6.clientNet, ADDR6.routerLanSide);
  }));
  await Promise.all(plan.rsAddresses.map((address, i) => setUpRealServer6(plan, plan.nsOf(`rs${i + 1}`), address)));
}

async function setUpRealServer6(plan: Ipv6Plan, r: string, address: string): Promise<void> {
  await add(r, 'lan0', `${address}/64`);
  // DR/TUN: the VIP on lo. Linux answers a neighbour solicitation only for addresses of the
  // interface it came in on, so unlike IPv4 nothing keeps the VIP from being announced.
  if (plan.mode === 'dr' || plan.mode === 'tun') await add(r, 'lo', `${ADDR6.vip}/128`);
  const clientGateway = plan.mode === 'nat' ? plan.natGateway : ADDR6.routerLanSide;
  await nl.addRoute(r, ADDR6.clientNet, clientGateway);
  if (plan.mode === 'fnat') await nl.addRoute(r, ADDR6.lipNet, plan.lipGateway);
}
