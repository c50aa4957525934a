// `director lab up|down|demo|status`: argument parsing and exit codes for the netns lab commands.

import type { ForwardMethod } from '../config/model.js';
import { labDemo, labDown, labStatus, labUp, type LabRunOptions } from '../lab/commands.js';
import { MAX_SERVERS } from '../lab/topology.js';

const USAGE = `usage: director lab up     [--mode dr|nat|tun|fnat] [--servers N] [--prefix P] [--offloads on|off] [--no-director] [--json]
       director lab demo   [--mode dr|nat|tun|fnat] [--servers N] [--connections N] [--offloads on|off] [--process]
       director lab down   [--prefix P]
       director lab status
Builds a network-namespace lab (client, router, LAN bridge, director, real servers; 198.18.0.0/15
addresses only) and runs a director in it. Needs root.`;

class UsageError extends Error {}

const MODES: Record<string, ForwardMethod> = { dr: 'dr', nat: 'nat', tun: 'tun', fnat: 'fnat', fullnat: 'fnat' };
const FLAGS = new Set(['process', 'json', 'help', 'no-director']);
const VALUED = new Set(['mode', 'servers', 'prefix', 'connections', 'offloads']);

function intOption(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}..${max}, got "${v}"`);
  return n;
}

export function parseLabArgs(args: string[]): { command: string; options: LabRunOptions } {
  const [command = 'help', ...rest] = args;
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const [key, inline] = a.startsWith('--') ? a.slice(2).split('=', 2) as [string, string | undefined] : ['', undefined];
    if (FLAGS.has(key)) { values[key] = 'true'; continue; }
    if (!VALUED.has(key)) throw new UsageError(`unknown option "${a}"`);
    const v = inline ?? rest[++i];
    if (v === undefined) throw new UsageError(`--${key} needs a value`);
    values[key] = v;
  }
  const mode = MODES[(values.mode ?? 'dr').toLowerCase()];
  if (mode === undefined) throw new UsageError(`--mode must be dr, nat, tun or fnat, got "${values.mode}"`);
  if (values.prefix !== undefined && !/^[a-z][a-z0-9_]{0,11}$/.test(values.prefix)) {
    throw new UsageError(`--prefix must be 1-12 of a-z, 0-9, _ starting with a letter, got "${values.prefix}"`);
  }
  if (values.offloads !== undefined && !['on', 'off'].includes(values.offloads)) throw new UsageError('--offloads must be on or off');
  return {
    command: values.help === 'true' ? 'help' : command,
    options: {
      mode,
      servers: intOption(values.servers ?? '3', 'servers', 1, MAX_SERVERS),
      ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
      offloads: values.offloads !== 'off',
      connections: intOption(values.connections ?? '30', 'connections', 1, 100_000),
      process: values.process === 'true',
      json: values.json === 'true',
      director: values['no-director'] !== 'true',
    },
  };
}

/** Entry point for `director lab ...`; resolves with the exit code. */
export async function labCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseLabArgs>;
  try {
    parsed = parseLabArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`director lab: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const { command, options } = parsed;
  if (command === 'help') { process.stdout.write(USAGE + '\n'); return 0; }
  if (!['up', 'down', 'demo', 'status'].includes(command)) {
    process.stderr.write(`director lab: unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    process.stderr.write(`director lab: needs root to create network namespaces; run: sudo ./bin/director lab ${args.join(' ')}\n`);
    return 1;
  }
  try {
    if (command === 'up') await labUp(options);
    else if (command === 'down') await labDown(options.prefix);
    else if (command === 'status') labStatus();
    else return (await labDemo(options)) ? 0 : 1;
    return 0;
  } catch (e) {
    process.stderr.write(`director lab ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}
