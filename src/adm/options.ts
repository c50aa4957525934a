// The vocabulary of `director adm`: ipvsadm 1.31's commands and options (short letter, long
// name, argument), director's FULLNAT additions, the ipvsadm options director refuses and why,
// and which options each command requires, allows or takes only one of.

/** An option's name in messages (ipvsadm's optnames): several spellings can share one. */
export type OptionId =
  | 'numeric' | 'connection' | 'service-address' | 'scheduler' | 'persistent' | 'netmask'
  | 'real-server' | 'forwarding-method' | 'weight' | 'u-threshold' | 'l-threshold' | 'timeout'
  | 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'nosort' | 'exact' | 'sched-flags'
  | 'tun-info' | 'tun-type' | 'laddr-group' | 'laddr' | 'laddr-info' | 'ops' | 'ipv6';

/** Command names as ipvsadm's messages spell them (its `-C` is "flush"). */
export type CommandName =
  | 'add-service' | 'edit-service' | 'delete-service' | 'flush' | 'list' | 'add-server'
  | 'delete-server' | 'edit-server' | 'set' | 'restore' | 'save' | 'zero'
  | 'add-laddr' | 'del-laddr' | 'get-laddr' | 'help' | 'version';

export type ArgKind = 'none' | 'required' | 'optional';

export type OptionDef =
  | { role: 'command'; long: string; short?: string; arg: ArgKind; command: CommandName }
  | { role: 'option'; long: string; short?: string; arg: ArgKind; id: OptionId; value?: string }
  | { role: 'no-op'; long: string; short?: string; arg: ArgKind }
  | { role: 'refused'; long: string; short?: string; arg: ArgKind; reason: string };

const cmd = (long: string, short: string | undefined, command: CommandName, arg: ArgKind = 'none'): OptionDef =>
  ({ role: 'command', long, ...(short ? { short } : {}), arg, command });
const opt = (long: string, short: string | undefined, id: OptionId, arg: ArgKind, value?: string): OptionDef =>
  ({ role: 'option', long, ...(short ? { short } : {}), arg, id, ...(value ? { value } : {}) });
const refused = (long: string, short: string | undefined, arg: ArgKind, reason: string): OptionDef =>
  ({ role: 'refused', long, ...(short ? { short } : {}), arg, reason });

const NO_SYNC = "the IPVS sync daemon is not part of director adm";
export const NO_TUN_TYPE = 'director tunnels with IPIP only (-i)';

export const OPTIONS: readonly OptionDef[] = [
  cmd('add-service', 'A', 'add-service'),
  cmd('edit-service', 'E', 'edit-service'),
  cmd('delete-service', 'D', 'delete-service'),
  cmd('clear', 'C', 'flush'),
  cmd('list', 'L', 'list'),
  cmd('list', 'l', 'list'),
  cmd('zero', 'Z', 'zero'),
  cmd('add-server', 'a', 'add-server'),
  cmd('edit-server', 'e', 'edit-server'),
  cmd('delete-server', 'd', 'delete-server'),
  cmd('set', undefined, 'set'),
  cmd('restore', 'R', 'restore'),
  cmd('save', 'S', 'save'),
  cmd('help', 'h', 'help'),
  cmd('version', 'v', 'version'),
  // director: FULLNAT local address groups, with DPVS's ipvsadm letters.
  cmd('add-laddr', 'P', 'add-laddr'),
  cmd('del-laddr', 'Q', 'del-laddr'),
  cmd('get-laddr', 'G', 'get-laddr'),

  opt('tcp-service', 't', 'service-address', 'required', 'tcp'),
  opt('udp-service', 'u', 'service-address', 'required', 'udp'),
  opt('fwmark-service', 'f', 'service-address', 'required', 'fwmark'),
  opt('scheduler', 's', 'scheduler', 'required'),
  opt('persistent', 'p', 'persistent', 'optional'),
  opt('netmask', 'M', 'netmask', 'required'),
  opt('sched-flags', 'b', 'sched-flags', 'required'),
  opt('real-server', 'r', 'real-server', 'required'),
  opt('gatewaying', 'g', 'forwarding-method', 'none', 'dr'),
  opt('ipip', 'i', 'forwarding-method', 'none', 'tun'),
  opt('masquerading', 'm', 'forwarding-method', 'none', 'nat'),
  opt('fullnat', 'F', 'forwarding-method', 'none', 'fnat'),
  opt('weight', 'w', 'weight', 'required'),
  opt('u-threshold', 'x', 'u-threshold', 'required'),
  opt('l-threshold', 'y', 'l-threshold', 'required'),
  opt('numeric', 'n', 'numeric', 'none'),
  opt('connection', 'c', 'connection', 'none'),
  opt('timeout', undefined, 'timeout', 'none'),
  opt('stats', undefined, 'stats', 'none'),
  opt('rate', undefined, 'rate', 'none'),
  opt('thresholds', undefined, 'thresholds', 'none'),
  opt('persistent-conn', undefined, 'persistent-conn', 'none'),
  opt('nosort', undefined, 'nosort', 'none'),
  { role: 'no-op', long: 'sort', arg: 'none' },
  opt('exact', 'X', 'exact', 'none'),
  opt('tun-info', undefined, 'tun-info', 'none'),
  // ipvsadm 1.31's -S writes `--tun-type ipip` after every -i server, so it must read back.
  opt('tun-type', undefined, 'tun-type', 'required'),
  opt('laddr-group', undefined, 'laddr-group', 'required'),
  opt('laddr', 'z', 'laddr', 'required'),
  opt('laddr-info', undefined, 'laddr-info', 'none'),

  refused('sctp-service', undefined, 'required', 'SCTP is not supported'),
  // -6 says a -f mark service is IPv6; ipvsadm checks it against -f, not against the command.
  opt('ipv6', '6', 'ipv6', 'none'),
  opt('ops', 'o', 'ops', 'none'),
  refused('pe', undefined, 'required', 'persistence engines are not supported'),
  refused('start-daemon', undefined, 'required', NO_SYNC),
  refused('stop-daemon', undefined, 'required', NO_SYNC),
  refused('daemon', undefined, 'none', NO_SYNC),
  refused('syncid', undefined, 'required', NO_SYNC),
  refused('mcast-interface', undefined, 'required', NO_SYNC),
  refused('mcast-group', undefined, 'required', NO_SYNC),
  refused('mcast-port', undefined, 'required', NO_SYNC),
  refused('mcast-ttl', undefined, 'required', NO_SYNC),
  refused('sync-maxlen', undefined, 'required', NO_SYNC),
  refused('tun-port', undefined, 'required', NO_TUN_TYPE),
  refused('tun-nocsum', undefined, 'none', NO_TUN_TYPE),
  refused('tun-csum', undefined, 'none', NO_TUN_TYPE),
  refused('tun-remcsum', undefined, 'none', NO_TUN_TYPE),
];

/** Options in the order ipvsadm checks them, so the first complaint is the one ipvsadm makes. */
export const OPTION_ORDER: readonly OptionId[] = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server',
  'forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'timeout', 'stats', 'rate',
  'thresholds', 'persistent-conn', 'nosort', 'exact', 'sched-flags', 'tun-info', 'tun-type', 'laddr-group',
  'laddr', 'laddr-info', 'ops', 'ipv6',
];

/** ipvsadm's commands_v_options: required options, optional ones, and a set only one of may appear. */
export interface CommandRule {
  required: readonly OptionId[];
  optional: readonly OptionId[];
  oneOf: readonly OptionId[];
}

const rule = (required: OptionId[], optional: OptionId[] = [], oneOf: OptionId[] = []): CommandRule =>
  ({ required, optional: [...optional, 'ipv6'], oneOf });

const SERVICE_SETTINGS: OptionId[] = ['scheduler', 'persistent', 'netmask', 'sched-flags', 'laddr-group', 'ops'];
const SERVER_SETTINGS: OptionId[] = ['forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'tun-type'];
const LIST_FORMATS: OptionId[] = [
  'numeric', 'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort', 'exact', 'tun-info', 'laddr-info',
];

export const COMMAND_RULES: Record<Exclude<CommandName, 'help' | 'version'>, CommandRule> = {
  'add-service': rule(['service-address'], SERVICE_SETTINGS),
  'edit-service': rule(['service-address'], SERVICE_SETTINGS),
  'delete-service': rule(['service-address']),
  flush: rule([]),
  list: rule([], LIST_FORMATS, ['connection', 'service-address', 'timeout']),
  'add-server': rule(['service-address', 'real-server'], SERVER_SETTINGS),
  'edit-server': rule(['service-address', 'real-server'], SERVER_SETTINGS),
  'delete-server': rule(['service-address', 'real-server']),
  set: rule([]),
  restore: rule([]),
  save: rule([], ['numeric']),
  zero: rule([], ['service-address']),
  'add-laddr': rule(['laddr-group', 'laddr']),
  'del-laddr': rule(['laddr-group', 'laddr']),
  'get-laddr': rule([], ['laddr-group']),
};

/** Looks up `--name` (without dashes). */
export function longOption(name: string): OptionDef | undefined {
  return OPTIONS.find((o) => o.long === name);
}

/** Looks up `-c` (one letter). */
export function shortOption(letter: string): OptionDef | undefined {
  return OPTIONS.find((o) => o.short === letter);
}
