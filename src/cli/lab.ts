// `director lab up|demo|down|status`: the options of the network-namespace lab commands and the
// root check before any of them touches a namespace.

import type { ForwardMethod } from '../config/model.js';
import { labDemo, labDown, labStatus, labUp, type LabRunOptions } from '../lab/commands.js';
import { LAB_PREFIX } from '../lab/lab.js';
import { MAX_SERVERS } from '../lab/topology.js';
import { intOption, UsageError, type Values } from './args.js';
import { defineCommand, type CommandGroup } from './command.js';
import { EXIT_FAIL, EXIT_OK, type CliIo } from './io.js';

const MODE = {
  choices: ['dr', 'nat', 'tun', 'fnat', 'fullnat'],
  help: 'forwarding method (default dr); each mode sets up its real servers',
} as const;
const SERVERS = { value: 'N', help: `real servers, 1..${MAX_SERVERS} (default 3)` } as const;
const PREFIX = { value: 'P', help: 'namespace name prefix: 1-12 of a-z, 0-9, _, starting with a letter' } as const;
const OFFLOADS = { choices: ['on', 'off'], help: 'checksum and segmentation offloads on the veths (default on)' } as const;
const IPV6 = { help: 'dual-stack: every host also gets a 2001:db8::/32 address, the services run on an IPv6 VIP too' } as const;

const UP_OPTIONS = {
  mode: MODE, servers: SERVERS, prefix: { ...PREFIX, help: `${PREFIX.help} (default: a new one)` }, offloads: OFFLOADS,
  ipv6: IPV6,
  'no-director': { help: 'leave dir1 empty, for a director started by hand' },
  json: { help: 'print the lab (namespaces, addresses, MACs) as JSON' },
} as const;

const DEMO_OPTIONS = {
  mode: MODE, servers: SERVERS,
  connections: { value: 'N', help: 'HTTP connections through the VIP, 1..100000 (default 30)' },
  prefix: { ...PREFIX, help: `${PREFIX.help} (default: a new one)` }, offloads: OFFLOADS,
  ipv6: { help: `${IPV6.help}; the demo drives traffic to both VIPs` },
  process: { help: 'run the director as bin/director in the director namespace instead of embedded' },
  ha: { help: 'two directors running VRRP for the VIP; the master is killed (SIGKILL) during a long download' },
  ecmp: { value: 'N', help: `N directors (2 or 3) announce the VIP with bird2 to a router that spreads flows by ECMP;
one is drained away under load (DR only; needs bird2)` },
} as const;

const DOWN_OPTIONS = { prefix: { ...PREFIX, help: 'remove only this lab (default: every lab, and those of crashed runs)' } } as const;

type LabValues = Partial<Values<typeof UP_OPTIONS> & Values<typeof DEMO_OPTIONS>>;

const MODES: Record<string, ForwardMethod> = { dr: 'dr', nat: 'nat', tun: 'tun', fnat: 'fnat', fullnat: 'fnat' };

function labOptions(v: LabValues): LabRunOptions {
  if (v.ecmp !== undefined && v.ha === true) throw new UsageError('give at most one of --ha and --ecmp');
  if (v.ipv6 === true && v.ha === true) throw new UsageError('--ipv6 does not go with --ha: the failover demo runs over IPv4 only');
  if (v.ecmp !== undefined && (v.mode ?? 'dr') !== 'dr') throw new UsageError('--ecmp runs DR only: real servers answer clients directly, whichever director forwarded');
  if (v.prefix !== undefined && !LAB_PREFIX.test(v.prefix)) {
    throw new UsageError(`option '--prefix' must be 1-12 of a-z, 0-9, _ starting with a letter, got '${v.prefix}'`);
  }
  return {
    mode: MODES[v.mode ?? 'dr'] ?? 'dr',
    servers: intOption('servers', v.servers, 1, MAX_SERVERS, 3),
    ...(v.prefix === undefined ? {} : { prefix: v.prefix }),
    offloads: v.offloads !== 'off',
    connections: intOption('connections', v.connections, 1, 100_000, 30),
    process: v.process === true,
    json: v.json === true,
    director: v['no-director'] !== true,
    ha: v.ha === true,
    ecmp: v.ecmp === undefined ? 0 : intOption('ecmp', v.ecmp, 2, 3, 0),
    ipv6: v.ipv6 === true,
  };
}

/** Checks the options, then runs one lab command as root; false or a throw is exit status 1. */
async function asRoot(name: string, v: LabValues, io: CliIo, action: (o: LabRunOptions) => Promise<boolean | void>): Promise<number> {
  const options = labOptions(v);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    io.err(`director lab ${name}: needs root to create network namespaces; run it with sudo`);
    return EXIT_FAIL;
  }
  return (await action(options)) === false ? EXIT_FAIL : EXIT_OK;
}

export const labCommands: CommandGroup = {
  name: 'lab',
  summary: 'network-namespace lab: up, demo, down, status',
  about: `Builds a network-namespace lab (client, router, LAN bridge, director, real servers; 198.18.0.0/15
addresses only, with --ipv6 2001:db8::/32 too) and runs a director in it. Needs root: it creates
network namespaces.`,
  commands: {
    up: defineCommand({
      name: 'lab up',
      summary: 'build a lab and leave it running, with a director and real servers',
      about: `Builds a lab, starts the real servers' HTTP and UDP servers and a director (bin/director), and
leaves them running: it prints the lab's map and commands to try. Needs root.`,
      options: UP_OPTIONS,
    }, (v, io) => asRoot('up', v, io, labUp)),
    demo: defineCommand({
      name: 'lab demo',
      summary: 'build a lab, push traffic through the VIP, print the spread and stats, remove it',
      about: `Builds a lab, runs a director in it, sends HTTP connections and UDP datagrams from the client
through the VIP, prints how they spread over the real servers and the director's counters, and
removes everything (also on Ctrl-C). With --ha: two directors run VRRP for the VIP and sync connections, the demo shows
which is master, kills it during a long download and shows the takeover and the download's fate.
With --ecmp N: N directors announce the VIP through bird2 to an ECMP router; the demo shows the
spread over directors and real servers, then drains one away under load. With --ipv6: a dual-stack
lab, the same services on the IPv6 VIP 2001:db8::100, traffic to both VIPs (with --ecmp the
directors announce both, and the held flows go to the IPv6 VIP). Needs root.`,
      options: DEMO_OPTIONS,
      footer: 'exit status: 0 every connection answered (--ha: the download completed intact; --ecmp: no held flow broke), 1 a failure, 2 usage error',
    }, (v, io) => asRoot('demo', v, io, labDemo)),
    down: defineCommand({
      name: 'lab down',
      summary: 'remove a lab (or every lab)',
      about: `Removes the namespaces, processes and files of the lab with this prefix, or of every lab that
lab up recorded and every lab left by a crashed run. Needs root.`,
      options: DOWN_OPTIONS,
    }, (v, io) => asRoot('down', v, io, (o) => labDown(o.prefix))),
    status: defineCommand({
      name: 'lab status',
      summary: 'list the labs that lab up left running',
      about: 'Lists the labs that lab up left running: prefix, mode, director pid, config file and map.',
      options: {},
    }, async () => { labStatus(); return EXIT_OK; }),
  },
};
