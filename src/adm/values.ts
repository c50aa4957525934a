// Reads the values of adm options as ipvsadm 1.31 does (address[:port] with names, [IPv6]:port,
// numbers in a range, timeouts, persistence masks and prefixes, scheduler flags) and director's
// local address groups; a bad value is an AdmUsageError in ipvsadm's words.

import type { Protocol } from '../config/model.js';
import { expandOctetRange, isIPv4 } from '../net/addr.js';
import { formatIpv6, isIPv6, parseIpv6 } from '../net/addr6.js';
import { AdmUsageError } from './commands.js';
import type { AdmSchedFlag } from './model.js';
import type { Names } from './names.js';

export interface Endpoint {
  address: string;
  /** null when the text gave no port. */
  port: number | null;
}

/** A whole decimal number in [min, max], or null. */
export function numberIn(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** True for an address adm holds as IPv6 (RFC 5952 text); IPv4 ones are dotted quads. */
export function isV6Address(address: string): boolean {
  return address.includes(':');
}

/**
 * `HOST[:PORT]` as ipvsadm's parse_service reads it: HOST a dotted quad or a name from
 * /etc/hosts, PORT a number or a service name; or `[IPV6]:PORT`, or a bare IPv6 address (no
 * port). An IPv6 address comes back in RFC 5952 text, so one address has one spelling. Null
 * when any part is not understood (`[v6]` without `:PORT` too, as ipvsadm).
 */
export function parseEndpoint(text: string, protocol: Protocol, names: Names): Endpoint | null {
  if (/^\d*$/.test(text)) return null;
  let host: string;
  let portText: string | null;
  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(text);
    if (m === null || !isIPv6(m[1]!)) return null;
    host = m[1]!;
    portText = m[2]!;
  } else if (isIPv6(text)) {
    host = text;
    portText = null;
  } else {
    const colon = text.lastIndexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? null : text.slice(colon + 1);
  }
  const address = isIPv6(host) ? formatIpv6(parseIpv6(host)) : isIPv4(host) ? host : names.addressOf(host);
  if (address === null) return null;
  if (portText === null) return { address, port: null };
  const port = numberIn(portText, 0, 65535) ?? names.portOf(portText, protocol);
  return port === null ? null : { address, port };
}

/** ipvsadm's parse_timeout: seconds in [min, max]. */
export function parseTimeout(text: string, min: number, max: number): number {
  const n = numberIn(text, min, max);
  if (n === null) throw new AdmUsageError(`invalid timeout value \`${text}' specified`);
  return n;
}

/** -M for an IPv4 service: a dotted-quad netmask. */
export function parseNetmask(text: string): string {
  if (!isIPv4(text)) throw new AdmUsageError('illegal virtual server persistent mask specified');
  return text;
}

/** -M for an IPv6 service: a prefix length 1..128 (kept as its decimal text, as the config holds it). */
export function parsePrefixLength(text: string): string {
  const n = numberIn(text, 1, 128);
  if (n === null) throw new AdmUsageError('illegal ipv6 netmask specified');
  return String(n);
}

const SCHED_FLAG_BITS: Record<string, { bit: number; scheduler?: string }> = {
  'flag-1': { bit: 1 },
  'flag-2': { bit: 2 },
  'flag-3': { bit: 4 },
  'sh-fallback': { bit: 1, scheduler: 'sh' },
  'sh-port': { bit: 2, scheduler: 'sh' },
  'mh-fallback': { bit: 1, scheduler: 'mh' },
  'mh-port': { bit: 2, scheduler: 'mh' },
};

/**
 * -b's comma-separated flags for the scheduler the same line names (wlc when it names none, as
 * ipvsadm). IPVS stores three bits; sh and mh name the first two, the others call them flag-N.
 * Returns them in ipvsadm's canonical names and order.
 */
export function parseSchedFlags(text: string, scheduler: string): AdmSchedFlag[] {
  let bits = 0;
  const words = text.split(',').filter((w) => w !== '');
  if (words.length === 0) throw new AdmUsageError(`invalid scheduler flag \`${text}'`);
  for (const word of words) {
    const flag = Object.hasOwn(SCHED_FLAG_BITS, word) ? SCHED_FLAG_BITS[word] : undefined;
    if (flag === undefined) throw new AdmUsageError(`invalid scheduler flag \`${word}'`);
    if (flag.scheduler !== undefined && flag.scheduler !== scheduler) {
      throw new AdmUsageError(`incompatible scheduler flag \`${word}'`);
    }
    bits |= flag.bit;
  }
  return schedFlagNames(bits, scheduler);
}

function schedFlagNames(bits: number, scheduler: string): AdmSchedFlag[] {
  const named = scheduler === 'sh' || scheduler === 'mh';
  const names: AdmSchedFlag[] = [];
  if (bits & 1) names.push(named ? `${scheduler as 'sh' | 'mh'}-fallback` : 'flag-1');
  if (bits & 2) names.push(named ? `${scheduler as 'sh' | 'mh'}-port` : 'flag-2');
  if (bits & 4) names.push('flag-3');
  return names;
}

/** A local address group name: what keepalived accepts in local_address_group. */
export function parseGroupName(text: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(text)) {
    throw new AdmUsageError(`illegal local address group name \`${text}' (letters, digits, _ - .)`);
  }
  return text;
}

/** -z: one address or keepalived's last-octet range A.B.C.D-E. */
export function parseLocalAddresses(text: string): string[] {
  // An IPv6 local address (one, no range), in RFC 5952 text as every address adm holds.
  if (text.includes(':') && isIPv6(text)) return [formatIpv6(parseIpv6(text))];
  try {
    return expandOctetRange(text);
  } catch (err) {
    throw new AdmUsageError(`illegal local address: ${(err as Error).message}`);
  }
}
