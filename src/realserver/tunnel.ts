// The TUN-mode real server's user-space decapsulator (IPIP, 6in4, ip6ip6 and 4in6 in through
// AF_PACKET, the inner packet into the local stack through a TUN device): kernels without the
// ipip, sit and ip6_tunnel modules (containers, this project's CI) still get LVS-TUN real servers.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadAddon } from '../native/binding.js';

export interface RunningDecapsulator {
  /** Packets decapsulated and dropped so far, for the status line. */
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

export interface DecapsulatorOptions {
  vip: string;
  interface: string;
  /** TUN device for the inner packets; default "dtun-" + interface (cut to 15 characters). */
  tun?: string;
}

export type DecapsulatorFactory = (options: DecapsulatorOptions) => Promise<RunningDecapsulator>;

/**
 * The interface's own addresses a director tunnels to: every IPv4 one, and the IPv6 ones of
 * global scope (a director does not tunnel to a link-local address).
 */
export function interfaceAddresses(ifname: string): string[] {
  const json = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show', 'dev', ifname], { encoding: 'utf8' })) as
    { addr_info?: { family?: string; local?: string; scope?: string }[] }[];
  return json.flatMap((link) => (link.addr_info ?? [])
    .filter((a) => a.family === 'inet' || (a.family === 'inet6' && a.scope === 'global'))
    .map((a) => a.local).filter((a): a is string => !!a));
}

/**
 * Starts the native decapsulator. Inner packets arrive on the TUN device from clients the
 * device has no route back to, so rp_filter is turned off there (setup relaxed "all" already).
 */
export const startDecapsulator: DecapsulatorFactory = async (options) => {
  const addresses = interfaceAddresses(options.interface);
  if (addresses.length === 0) {
    throw new Error(`interface ${options.interface} has no IPv4 or global IPv6 address: the director tunnels to the real server's own address`);
  }
  const tun = options.tun ?? `dtun-${options.interface}`.slice(0, 15);
  const decap = new (loadAddon().Decapsulator)({ interface: options.interface, tun, addresses });
  try {
    writeFileSync(`/proc/sys/net/ipv4/conf/${tun}/rp_filter`, '0\n');
    // Inner IPv6 packets need IPv6 on the device they arrive on, whatever 'default' said.
    writeFileSync(`/proc/sys/net/ipv6/conf/${tun}/disable_ipv6`, '0\n');
    decap.start();
  } catch (err) {
    decap.close();
    throw err;
  }
  return {
    stats: () => ({ ...decap.counters() }),
    stop: async () => decap.close(),
  };
};
