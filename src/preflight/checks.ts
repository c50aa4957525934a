// The individual checks run before a director starts; each returns findings whose one-line
// message says what is wrong and what to do about it.

import { ReadError, type SystemReader } from './reader.js';

export type Level = 'error' | 'warning';

export interface Finding {
  level: Level;
  /** Short id of the check, for tests and logs. */
  check: string;
  message: string;
}

/** Capability bits (linux/capability.h). */
const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/** Parses CapEff from /proc/self/status into a bigint mask, or null when absent. */
export function effectiveCapabilities(status: string | null): bigint | null {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status ?? '');
  return m ? BigInt('0x' + m[1]) : null;
}

const NEEDED_CAPS: ReadonlyArray<readonly [string, number]> = [['CAP_NET_RAW', CAP_NET_RAW], ['CAP_NET_ADMIN', CAP_NET_ADMIN]];

export function checkCapabilities(reader: SystemReader): Finding[] {
  const caps = effectiveCapabilities(reader.readFile('/proc/self/status'));
  if (caps === null) {
    return [{ level: 'error', check: 'capabilities', message: 'cannot read CapEff from /proc/self/status, so cannot tell whether director has CAP_NET_RAW and CAP_NET_ADMIN (run it as root)' }];
  }
  const missing = NEEDED_CAPS.filter(([, bit]) => (caps & (1n << BigInt(bit))) === 0n).map(([name]) => name);
  if (missing.length === 0) return [];
  return [{
    level: 'error',
    check: 'capabilities',
    message: `missing ${missing.join(' and ')}: run director as root (or give node these capabilities with setcap cap_net_raw,cap_net_admin+ep)`,
  }];
}

export function checkInterface(reader: SystemReader, ifname: string): Finding[] {
  if (reader.readFile(`/sys/class/net/${ifname}/ifindex`) !== null) return [];
  const available = (reader.listDir('/sys/class/net') ?? []).filter((n) => n !== 'lo');
  return [{
    level: 'error',
    check: 'interface',
    message: `interface '${ifname}' does not exist; pass --interface with one of: ${available.length ? available.join(', ') : '(none)'}`,
  }];
}

export function checkTapDevice(reader: SystemReader): Finding[] {
  if (reader.listDir('/dev/net')?.includes('tun')) return [];
  return [{
    level: 'error',
    check: 'tap',
    message: '/dev/net/tun is missing, so no TAP device can be made; create it: mkdir -p /dev/net && mknod /dev/net/tun c 10 200',
  }];
}

/** A sysctl's value, or null when it does not exist; a value that is no number cannot be judged. */
function sysctl(reader: SystemReader, key: string): number | null {
  const path = `/proc/sys/${key.replace(/\./g, '/')}`;
  const text = reader.readFile(path);
  if (text === null) return null;
  if (!/^-?\d+\s*$/.test(text)) throw new ReadError(`${path} holds ${JSON.stringify(text.slice(0, 40))}, not a number`);
  return Number(text.trim());
}

/** With forwarding on, the kernel would route VIP traffic too (the frames reach it as well). */
export function checkIpForward(reader: SystemReader): Finding[] {
  if (sysctl(reader, 'net.ipv4.ip_forward') !== 1) return [];
  return [{
    level: 'error',
    check: 'ip_forward',
    message: 'net.ipv4.ip_forward=1: the kernel would also forward VIP traffic; turn it off: sysctl -w net.ipv4.ip_forward=0',
  }];
}

/**
 * IPv6 services: with IPv6 forwarding on (all, or the interface) the kernel would route IPv6 VIP
 * traffic too; an unreadable key (IPv6 off) is no finding.
 */
export function checkIpv6Forward(reader: SystemReader, ifname: string): Finding[] {
  const on = ['all', ifname].filter((dev) => sysctl(reader, `net.ipv6.conf.${dev}.forwarding`) === 1);
  if (on.length === 0) return [];
  const keys = on.map((dev) => `net.ipv6.conf.${dev}.forwarding`);
  return [{
    level: 'error',
    check: 'ipv6_forwarding',
    message: `${keys.map((k) => `${k}=1`).join(', ')}: the kernel would also forward IPv6 VIP traffic; turn it off: sysctl -w ${keys.map((k) => `${k}=0`).join(' ')}`,
  }];
}

/** The kernel uses max(all, interface); 1 is strict. */
export function checkRpFilter(reader: SystemReader, ifname: string): Finding[] {
  const all = sysctl(reader, 'net.ipv4.conf.all.rp_filter') ?? 0;
  const dev = sysctl(reader, `net.ipv4.conf.${ifname}.rp_filter`) ?? 0;
  if (Math.max(all, dev) !== 1) return [];
  return [{
    level: 'warning',
    check: 'rp_filter',
    message: `rp_filter is strict on ${ifname}: the kernel may drop health-check replies that arrive asymmetrically; relax it: sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.${ifname}.rp_filter=2`,
  }];
}

/** A VIP or local address configured in the kernel would be answered by the kernel, not director. */
export function checkOwnedAddresses(reader: SystemReader, owned: readonly string[]): Finding[] {
  const wanted = new Set(owned);
  return reader.addresses().filter((a) => wanted.has(a.address)).map((a) => ({
    level: 'error' as const,
    check: 'address',
    message: `${a.address} is configured on ${a.ifname}, so the kernel would answer for it instead of director; remove it: ip addr del ${a.address}/${a.prefixlen} dev ${a.ifname}`,
  }));
}
