// Reads the adm edits of an `edit` request from untrusted JSON: every field checked for type and
// range as `adm`'s parser checks the command line, so the daemon applies only what `director adm`
// itself could have sent. A bad field is a 'bad-args' error naming where it is.

import type { ServerKey, ServerSettings, ServiceKey, ServiceSettings } from '../adm/commands.js';
import type { AdmEdit } from '../adm/edit-config.js';
import type { AdmTimeouts } from '../adm/model.js';
import { parseGroupName, parseSchedFlags } from '../adm/values.js';
import { MAX_PERSISTENCE_SECONDS } from '../config/keepalived-values.js';
import type { ForwardMethod, Protocol } from '../config/model.js';
import { isKnownScheduler } from '../config/schedulers.js';
import { parseNetmask, parsePersistencePrefix } from '../ipvs/persistence.js';
import { isIPv4 } from '../net/addr.js';
import { formatIpv6, isIPv6, parseIpv6 } from '../net/addr6.js';
import { ControlError } from './protocol.js';

const INT_MAX = 2147483647;
const METHODS: readonly ForwardMethod[] = ['dr', 'nat', 'tun', 'fnat'];
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];

function bad(at: string, what: string): never {
  throw new ControlError('bad-args', `${at}: ${what}`);
}

function record(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(at, 'must be an object');
  return v as Record<string, unknown>;
}

function int(v: unknown, at: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(at, `must be an integer ${min}..${max}`);
  return v;
}

function oneOf<T extends string>(v: unknown, at: string, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) bad(at, `must be one of ${choices.join(', ')}`);
  return v as T;
}

function ipv4(v: unknown, at: string): string {
  if (typeof v !== 'string' || !isIPv4(v)) bad(at, 'must be an IPv4 dotted quad');
  return v;
}

/** A service or server address: a dotted quad, or IPv6 in the RFC 5952 text adm sends (one spelling per address). */
function address(v: unknown, at: string): string {
  if (typeof v === 'string' && (isIPv4(v) || (isIPv6(v) && formatIpv6(parseIpv6(v)) === v))) return v;
  return bad(at, 'must be an IPv4 dotted quad or an IPv6 address in RFC 5952 form');
}

/** A value that adm's own parser checks, checked with the same function. */
function checked<T>(at: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    return bad(at, (err as Error).message);
  }
}

function groupName(v: unknown, at: string): string {
  if (typeof v !== 'string') bad(at, 'must be a group name');
  return checked(at, () => parseGroupName(v));
}

/** A service key; family is 'inet6' exactly when the address is IPv6 or the mark service is. */
function serviceKey(v: unknown, at: string): ServiceKey {
  const o = record(v, at);
  const key: ServiceKey = { protocol: oneOf(o.protocol, `${at}.protocol`, PROTOCOLS), address: address(o.address, `${at}.address`), port: int(o.port, `${at}.port`, 0, 65535) };
  if (o.fwmark !== undefined) key.fwmark = int(o.fwmark, `${at}.fwmark`, 1, 4294967295);
  const v6 = o.family === undefined ? false : oneOf(o.family, `${at}.family`, ['inet6'] as const) === 'inet6';
  if (isIPv6(key.address) && !v6) bad(`${at}.family`, 'an IPv6 address needs family inet6');
  if (v6 && !isIPv6(key.address) && key.fwmark === undefined) bad(`${at}.family`, 'inet6 goes with an IPv6 address or a mark service');
  if (v6) key.family = 'inet6';
  return key;
}

/**
 * A real server key, of its service's family, but for 6in4: an IPv4 server under an IPv6
 * service when `tunnel` (a TUN server, or a delete, which names no method).
 */
function serverKey(v: unknown, at: string, service: ServiceKey, tunnel: boolean): ServerKey {
  const o = record(v, at);
  const key = { address: address(o.address, `${at}.address`), port: int(o.port, `${at}.port`, 0, 65535) };
  const sixin4 = tunnel && service.family === 'inet6' && !isIPv6(key.address);
  if (isIPv6(key.address) !== (service.family === 'inet6') && !sixin4) bad(`${at}.address`, 'Different address family is allowed only for tunneling servers');
  return key;
}

/** -M as adm sends it: a netmask for an IPv4 service, a prefix length (decimal text) for IPv6. */
function granularity(v: unknown, at: string, service: ServiceKey): string {
  if (service.family !== 'inet6') {
    const netmask = ipv4(v, at);
    checked(at, () => parseNetmask(netmask));
    return netmask;
  }
  if (typeof v !== 'string') bad(at, 'must be a prefix length 1..128');
  return String(checked(at, () => parsePersistencePrefix(v)));
}

function serviceSettings(v: unknown, at: string, service: ServiceKey): ServiceSettings {
  const o = record(v, at);
  const scheduler = typeof o.scheduler === 'string' && isKnownScheduler(o.scheduler) ? o.scheduler : bad(`${at}.scheduler`, 'not a scheduler director knows');
  if (!Array.isArray(o.schedFlags) || o.schedFlags.some((f) => typeof f !== 'string')) bad(`${at}.schedFlags`, 'must be an array of flag names');
  const flags = o.schedFlags as string[];
  const persistence = int(o.persistence, `${at}.persistence`, 0, MAX_PERSISTENCE_SECONDS);
  if (persistence === 0 && service.port === 0 && !service.fwmark) bad(at, 'Zero port specified for non-persistent service');
  const netmask = granularity(o.netmask, `${at}.netmask`, service);
  const group = o.laddrGroup === null ? null : groupName(o.laddrGroup, `${at}.laddrGroup`);
  return {
    scheduler,
    schedFlags: flags.length === 0 ? [] : checked(`${at}.schedFlags`, () => parseSchedFlags(flags.join(','), scheduler)),
    persistence,
    netmask,
    laddrGroup: group,
    ...(o.ops === true ? { ops: true } : {}),
  };
}

function serverSettings(v: unknown, at: string): ServerSettings {
  const o = record(v, at);
  const s: ServerSettings = {
    method: oneOf(o.method, `${at}.method`, METHODS),
    weight: int(o.weight, `${at}.weight`, 0, 65535),
    upperThreshold: int(o.upperThreshold, `${at}.upperThreshold`, 0, INT_MAX),
    lowerThreshold: int(o.lowerThreshold, `${at}.lowerThreshold`, 0, INT_MAX),
  };
  if (s.lowerThreshold > s.upperThreshold) bad(at, 'lower threshold is higher than upper threshold');
  return s;
}

function timeouts(v: unknown, at: string): AdmTimeouts {
  const o = record(v, at);
  const t = (k: string): number => int(o[k], `${at}.${k}`, 0, MAX_PERSISTENCE_SECONDS);
  return { tcp: t('tcp'), tcpFin: t('tcpFin'), udp: t('udp') };
}

function addresses(v: unknown, at: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 65536) bad(at, 'must be an array of 1..65536 addresses');
  return v.map((a, i) => address(a, `${at}[${i}]`));
}

function edit(v: unknown, at: string): AdmEdit {
  const o = record(v, at);
  const kind = o.kind;
  switch (kind) {
    case 'add-service':
    case 'edit-service': {
      const service = serviceKey(o.service, `${at}.service`);
      return { kind, service, settings: serviceSettings(o.settings, `${at}.settings`, service) };
    }
    case 'delete-service':
      return { kind, service: serviceKey(o.service, `${at}.service`) };
    case 'add-server':
    case 'edit-server': {
      const service = serviceKey(o.service, `${at}.service`);
      const settings = serverSettings(o.settings, `${at}.settings`);
      return { kind, service, server: serverKey(o.server, `${at}.server`, service, settings.method === 'tun'), settings };
    }
    case 'delete-server': {
      const service = serviceKey(o.service, `${at}.service`);
      return { kind, service, server: serverKey(o.server, `${at}.server`, service, true) };
    }
    case 'clear':
      return { kind };
    case 'zero':
      return { kind, service: o.service === null ? null : serviceKey(o.service, `${at}.service`) };
    case 'set-timeouts':
      return { kind, timeouts: timeouts(o.timeouts, `${at}.timeouts`) };
    case 'add-laddr':
    case 'delete-laddr':
      return { kind, group: groupName(o.group, `${at}.group`), addresses: addresses(o.addresses, `${at}.addresses`) };
    default:
      return bad(`${at}.kind`, `'${String(kind).slice(0, 40)}' is not an edit (add-service, edit-service, delete-service, add-server, edit-server, delete-server, clear, zero, set-timeouts, add-laddr, delete-laddr)`);
  }
}

/** The `edits` argument: a non-empty array of edits, applied all or nothing. */
export function decodeEdits(args: Record<string, unknown>): AdmEdit[] {
  const list = args.edits;
  if (!Array.isArray(list) || list.length === 0) bad('edits', 'must be a non-empty array of edits');
  return list.map((e, i) => edit(e, `edits[${i}]`));
}
