// What a real server needs for DR and TUN (the VIP on lo, ARP suppression, relaxed rp_filter;
// for an IPv6 VIP, IPv6 turned on), as a list of items that can each be checked and applied
// idempotently.

import { isIPv6 } from '../net/addr6.js';
import type { RealServerSystem } from './system.js';

export type RealServerMode = 'dr' | 'tun';

export interface PlanOptions {
  vip: string;
  mode: RealServerMode;
  /** The interface the VIP traffic arrives on; without it only 'all' and 'lo' are set. */
  interface?: string;
}

export interface PlanItem {
  /** What the item ensures, e.g. 'net.ipv4.conf.all.arp_ignore=1'. */
  title: string;
  /** The sysctl this item sets, or null for the address item. */
  sysctl: string | null;
  /** A line saying what is missing, or null when the item is in place. */
  missing(sys: RealServerSystem): string | null;
  /** Puts the item in place; returns the previous sysctl value it replaced, if any. */
  apply(sys: RealServerSystem): string | null;
}

/**
 * arp_ignore 1 (or the stricter 2): answer ARP only for addresses on the receiving interface, so
 * not for the VIP on lo. arp_announce 2: never use the VIP as ARP source. The kernel uses the
 * maximum of 'all' and the device for all three, hence both are set. rp_filter 1 (strict) would
 * drop packets whose reverse path is not the receiving interface (TUN: the decapsulated ones).
 */
export function buildPlan(options: PlanOptions): PlanItem[] {
  const devices = ['all', 'lo', ...(options.interface ? [options.interface] : [])];
  if (isIPv6(options.vip)) return buildPlan6(options.vip, devices);
  const items: PlanItem[] = [addressItem(vipCidr(options.vip))];
  for (const dev of devices) items.push(sysctlItem(`net.ipv4.conf.${dev}.arp_ignore`, ['1', '2'], '1'));
  for (const dev of devices) items.push(sysctlItem(`net.ipv4.conf.${dev}.arp_announce`, ['2'], '2'));
  for (const dev of devices.filter((d) => d !== 'lo')) {
    items.push(sysctlItem(`net.ipv4.conf.${dev}.rp_filter`, ['0', '2'], '2'));
  }
  return items;
}

/**
 * IPv6 needs no neighbour suppression: Linux answers a neighbour solicitation only for addresses
 * on the interface it arrived on, never for one on lo (unlike ARP). The VIP goes on lo without
 * duplicate address detection, and IPv6 must be on where the packets arrive. There is no IPv6
 * rp_filter.
 */
function buildPlan6(vip: string, devices: string[]): PlanItem[] {
  return [addressItem(vipCidr(vip)), ...devices.map((dev) => sysctlItem(`net.ipv6.conf.${dev}.disable_ipv6`, ['0'], '0'))];
}

/** The VIP as a host route on lo: /32, or /128 for IPv6. */
export function vipCidr(vip: string): string {
  return `${vip}/${isIPv6(vip) ? 128 : 32}`;
}

function addressItem(cidr: string): PlanItem {
  return {
    title: `${cidr} on lo`,
    sysctl: null,
    missing: (sys) => (sys.loAddresses().includes(cidr) ? null : `${cidr} is not on lo`),
    apply(sys) {
      if (!sys.loAddresses().includes(cidr)) sys.addLoAddress(cidr);
      return null;
    },
  };
}

function sysctlItem(key: string, accepted: string[], wanted: string): PlanItem {
  return {
    title: `${key}=${wanted}`,
    sysctl: key,
    missing(sys) {
      const value = sys.readSysctl(key);
      if (value === null) return `${key} does not exist`;
      return accepted.includes(value) ? null : `${key} is ${value}, want ${accepted.join(' or ')}`;
    },
    apply(sys) {
      const value = sys.readSysctl(key);
      if (value === null) throw new Error(`${key} does not exist (is the interface name right?)`);
      if (accepted.includes(value)) return null;
      sys.writeSysctl(key, wanted);
      return value;
    },
  };
}
