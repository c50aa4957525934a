// Turns one `director adm` command line into a typed command with ipvsadm 1.31's semantics:
// which options each command takes, the defaults it fills in, and its checks and messages.

import type { Protocol } from '../config/model.js';
import { DEFAULT_SCHEDULER, isKnownScheduler, SCHEDULER_NAMES } from '../config/schedulers.js';
import { DEFAULT_PERSISTENCE_SECONDS, MAX_PERSISTENCE_SECONDS } from '../config/keepalived-values.js';
import { scanArgv, type OptionToken } from './argv.js';
import {
  AdmUsageError, type AdmCommand, type ListFormat, type ServerKey, type ServerSettings, type ServiceKey,
  type ServiceSettings,
} from './commands.js';
import { hostGranularity } from './model.js';
import type { Names } from './names.js';
import { COMMAND_RULES, NO_TUN_TYPE, OPTION_ORDER, type CommandName, type OptionId } from './options.js';
import {
  isV6Address, numberIn, parseEndpoint, parseGroupName, parseLocalAddresses, parseNetmask, parsePrefixLength,
  parseSchedFlags, parseTimeout,
} from './values.js';

/** ipvsadm's MAX_TIMEOUT (31 days) bounds persistence and --set alike. */
const MAX_TIMEOUT = MAX_PERSISTENCE_SECONDS;
const INT_MAX = 2147483647;

type Given = Map<OptionId, OptionToken>;

/** Parses argv (without the program name); host and service names resolve through `names`. */
export function parseAdm(argv: readonly string[], names: Names): AdmCommand {
  const { options, leftovers } = scanArgv(argv);
  const given: Given = new Map();
  let command: CommandName | null = null;
  for (const token of options) {
    const def = token.def;
    if (def.role === 'refused') throw new AdmUsageError(`${token.spelled}: not supported by director: ${def.reason}`);
    if (def.role === 'command') {
      if (command !== null) throw new AdmUsageError('multiple commands specified');
      command = def.command;
    } else if (def.role === 'option') {
      if (given.has(def.id)) throw new AdmUsageError(`multiple '${def.id}' options specified`);
      given.set(def.id, token);
    }
  }
  if (command === null) throw new AdmUsageError('no command specified (try -h for the list)');
  if (command === 'help' || command === 'version') return { kind: command };
  checkOptions(command, given);
  checkLeftovers(command, leftovers);
  if (given.has('ipv6') && !isFwmark(given.get('service-address'))) throw new AdmUsageError('-6 used without -f');
  return build(command, given, leftovers, names);
}

/** ipvsadm's generic_opt_check: required, refused and mutually exclusive options, in its order. */
function checkOptions(command: Exclude<CommandName, 'help' | 'version'>, given: Given): void {
  const rule = COMMAND_RULES[command];
  let first: OptionId | null = null;
  for (const id of OPTION_ORDER) {
    const present = given.has(id);
    if (!present && rule.required.includes(id)) {
      throw new AdmUsageError(`You need to supply the '${id}' option for the '${command}' command`);
    }
    if (!present || rule.required.includes(id) || rule.optional.includes(id)) continue;
    if (!rule.oneOf.includes(id)) throw new AdmUsageError(`Illegal '${id}' option with the '${command}' command`);
    if (first !== null) {
      throw new AdmUsageError(`The option '${id}' conflicts with the '${first}' option in the '${command}' command`);
    }
    first = id;
  }
}

function checkLeftovers(command: CommandName, leftovers: readonly string[]): void {
  const expected = command === 'set' ? 3 : 0;
  if (leftovers.length < expected) throw new AdmUsageError('--set option requires 3 timeout values');
  const extra = leftovers[expected];
  if (extra !== undefined) throw new AdmUsageError(`unexpected argument ${extra}`);
}

function build(command: CommandName, given: Given, leftovers: readonly string[], names: Names): AdmCommand {
  switch (command) {
    case 'add-service':
    case 'edit-service': {
      const service = serviceKey(given, names);
      return { kind: command, service, settings: serviceSettings(given, service) };
    }
    case 'delete-service':
      return { kind: command, service: serviceKey(given, names) };
    case 'add-server':
    case 'edit-server':
      return serverCommand(command, given, names);
    case 'delete-server': {
      const service = serviceKey(given, names);
      return { kind: command, service, server: serverKey(given, service, false, names, null) };
    }
    case 'flush':
      return { kind: 'clear' };
    case 'zero':
      return { kind: 'zero', service: given.has('service-address') ? serviceKey(given, names) : null };
    case 'list':
      return listCommand(given, names);
    case 'save':
      return { kind: 'save', numeric: given.has('numeric') };
    case 'restore':
      return { kind: 'restore' };
    case 'set':
      return setTimeouts(leftovers);
    case 'add-laddr':
    case 'del-laddr':
      return laddrCommand(command, given);
    case 'get-laddr':
      return { kind: 'list-laddr', group: groupOf(given) };
    default:
      return { kind: command };
  }
}

function value(given: Given, id: OptionId): string | null {
  return given.get(id)?.value ?? null;
}

function isFwmark(token: OptionToken | undefined): boolean {
  return token?.def.role === 'option' && token.def.value === 'fwmark';
}

/** ipvsadm's fwmark is a 32-bit number; 0 is no mark. */
const MAX_FWMARK = 4294967295;

/**
 * -t/-u ADDRESS[:PORT] (an IPv6 one makes an IPv6 service), or -f MARK with -6 for an IPv6
 * mark service. -6 may stand before or after -f (ipvsadm 1.31 wanted it after).
 */
function serviceKey(given: Given, names: Names): ServiceKey {
  const token = given.get('service-address') as OptionToken;
  if (isFwmark(token)) {
    const fwmark = numberIn(token.value ?? '', 1, MAX_FWMARK);
    if (fwmark === null) throw new AdmUsageError('illegal virtual server fwmark specified');
    return { protocol: 'tcp', address: '0.0.0.0', port: 0, fwmark, ...(given.has('ipv6') ? { family: 'inet6' as const } : {}) };
  }
  const protocol = (token.def.role === 'option' ? token.def.value : 'tcp') as Protocol;
  const endpoint = parseEndpoint(token.value ?? '', protocol, names);
  if (endpoint === null) throw new AdmUsageError('illegal virtual server address[:port] specified');
  return { protocol, address: endpoint.address, port: endpoint.port ?? 0, ...(isV6Address(endpoint.address) ? { family: 'inet6' as const } : {}) };
}

function serviceSettings(given: Given, service: ServiceKey): ServiceSettings {
  const scheduler = value(given, 'scheduler') ?? DEFAULT_SCHEDULER;
  if (!isKnownScheduler(scheduler)) {
    throw new AdmUsageError(`Scheduler not found: '${scheduler}' (one of ${SCHEDULER_NAMES.join(', ')})`);
  }
  const persistence = given.has('persistent') ? persistenceOf(value(given, 'persistent')) : 0;
  if (persistence === 0 && service.port === 0 && !service.fwmark) {
    throw new AdmUsageError('Zero port specified for non-persistent service');
  }
  const netmask = value(given, 'netmask');
  const v6 = service.family === 'inet6';
  const flags = value(given, 'sched-flags');
  const group = value(given, 'laddr-group');
  return {
    scheduler,
    schedFlags: flags === null ? [] : parseSchedFlags(flags, scheduler),
    persistence,
    netmask: netmask === null ? hostGranularity(service) : v6 ? parsePrefixLength(netmask) : parseNetmask(netmask),
    laddrGroup: group === null ? null : parseGroupName(group),
    ...(given.has('ops') ? { ops: true } : {}),
  };
}

/** -p alone means IPVS_SVC_PERSISTENT_TIMEOUT: 360 s in libipvs (the man page's 300 is stale). */
function persistenceOf(text: string | null): number {
  return text === null ? DEFAULT_PERSISTENCE_SECONDS : parseTimeout(text, 1, MAX_TIMEOUT);
}

/**
 * -r's address and port. Without a port the server takes the service's; DR and TUN cannot
 * change the port, so ipvsadm silently uses the service's for them whatever -r says. The server
 * is of the service's family: IPVS lets only tunnels cross families, and director's cross one
 * way, 6in4 (an IPv4 server under an IPv6 service with -i; -d names one without a method).
 */
function serverKey(given: Given, service: ServiceKey, samePort: boolean, names: Names, method: ServerSettings['method'] | null): ServerKey {
  const endpoint = parseEndpoint(value(given, 'real-server') ?? '', service.protocol, names);
  if (endpoint === null) throw new AdmUsageError('illegal real server address[:port] specified');
  const sixin4 = service.family === 'inet6' && !isV6Address(endpoint.address) && (method === 'tun' || method === null);
  if (isV6Address(endpoint.address) !== (service.family === 'inet6') && !sixin4) {
    throw new AdmUsageError(method === 'tun'
      ? `${endpoint.address}: a tunnel to a real server of the other address family is not supported by director`
      : 'Different address family is allowed only for tunneling servers');
  }
  return { address: endpoint.address, port: samePort ? service.port : endpoint.port ?? service.port };
}

function serverCommand(kind: 'add-server' | 'edit-server', given: Given, names: Names): AdmCommand {
  const service = serviceKey(given, names);
  const token = given.get('forwarding-method');
  const method = (token?.def.role === 'option' ? token.def.value : 'dr') as ServerSettings['method'];
  const settings: ServerSettings = {
    method,
    weight: limited(given, 'weight', 65535, 'illegal weight specified', 1),
    upperThreshold: limited(given, 'u-threshold', INT_MAX, 'illegal u_threshold specified', 0),
    lowerThreshold: limited(given, 'l-threshold', INT_MAX, 'illegal l_threshold specified', 0),
  };
  checkTunnelType(value(given, 'tun-type'), method);
  if (settings.lowerThreshold > settings.upperThreshold) {
    throw new AdmUsageError('lower threshold is higher than upper threshold');
  }
  const server = serverKey(given, service, method === 'dr' || method === 'tun', names, method);
  return { kind, service, server, settings };
}

/** --tun-type: ipvsadm's ipip, gue or gre; director tunnels with IPIP only. */
function checkTunnelType(type: string | null, method: ServerSettings['method']): void {
  if (type === null) return;
  if (type === 'gue' || type === 'gre') throw new AdmUsageError(`--tun-type ${type}: not supported by director: ${NO_TUN_TYPE}`);
  if (type !== 'ipip') throw new AdmUsageError('illegal tunnel type specified');
  if (method !== 'tun') throw new AdmUsageError('Tunnel options conflict with forward method');
}

function limited(given: Given, id: OptionId, max: number, message: string, fallback: number): number {
  const text = value(given, id);
  if (text === null) return fallback;
  const n = numberIn(text, 0, max);
  if (n === null) throw new AdmUsageError(message);
  return n;
}

function listCommand(given: Given, names: Names): AdmCommand {
  const has = (id: OptionId): boolean => given.has(id);
  const detail = has('stats') || has('rate') || has('thresholds');
  if (((has('connection') || has('timeout')) && detail) || (has('timeout') && has('persistent-conn'))) {
    throw new AdmUsageError('options conflicts in the list command');
  }
  if (has('laddr-info') && !has('connection')) {
    throw new AdmUsageError('--laddr-info belongs to the connection listing (-c)');
  }
  const format: ListFormat = {
    numeric: has('numeric'), stats: has('stats'), rate: has('rate'), thresholds: has('thresholds'),
    persistentConn: has('persistent-conn'), tunInfo: has('tun-info'), exact: has('exact'),
    nosort: has('nosort'), laddrInfo: has('laddr-info'),
  };
  if (has('connection')) return { kind: 'list', view: { what: 'connections' }, format };
  if (has('timeout')) return { kind: 'list', view: { what: 'timeouts' }, format };
  const service = has('service-address') ? serviceKey(given, names) : null;
  return { kind: 'list', view: { what: 'services', service }, format };
}

function setTimeouts(leftovers: readonly string[]): AdmCommand {
  const [tcp, tcpFin, udp] = leftovers.map((t) => parseTimeout(t, 0, MAX_TIMEOUT));
  return { kind: 'set-timeouts', timeouts: { tcp: tcp ?? 0, tcpFin: tcpFin ?? 0, udp: udp ?? 0 } };
}

function groupOf(given: Given): string | null {
  const text = value(given, 'laddr-group');
  return text === null ? null : parseGroupName(text);
}

function laddrCommand(command: 'add-laddr' | 'del-laddr', given: Given): AdmCommand {
  const kind = command === 'add-laddr' ? 'add-laddr' : 'delete-laddr';
  return { kind, group: groupOf(given) as string, addresses: parseLocalAddresses(value(given, 'laddr') ?? '') };
}
