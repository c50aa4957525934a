// The `director` command: finds the command (or group and subcommand) a command line names and
// runs it through the one parser; answers --help and --version itself.

import { admCommand } from './adm.js';
import { checkCommand } from './check.js';
import { drainCommand } from './drain.js';
import { execute, executeGroup, usageError, type Command, type CommandGroup, type RawCommand } from './command.js';
import { EXIT_OK, processIo, type CliIo } from './io.js';
import { labCommands } from './lab.js';
import { realserverCommands } from './realserver.js';
import { reloadCommand } from './reload.js';
import { runCommand } from './run.js';
import { simulateCommand } from './simulate.js';
import { topCommand } from './top.js';
import { versionLines } from './version.js';

type Entry = Command | CommandGroup | RawCommand;

const ENTRIES: Readonly<Record<string, Entry>> = {
  run: runCommand,
  check: checkCommand,
  adm: admCommand,
  reload: reloadCommand,
  drain: drainCommand,
  top: topCommand,
  simulate: simulateCommand,
  realserver: realserverCommands(),
  lab: labCommands,
};

function isGroup(entry: Entry): entry is CommandGroup {
  return 'commands' in entry;
}

function isRaw(entry: Entry): entry is RawCommand {
  return 'runArgv' in entry;
}

function summaryOf(entry: Entry): string {
  return isGroup(entry) || isRaw(entry) ? entry.summary : entry.def.summary;
}

/** Every command with an option table, with its full name: 'run', 'lab up', ... */
function allCommands(): Command[] {
  return Object.values(ENTRIES).flatMap((e) => (isGroup(e) ? Object.values(e.commands) : isRaw(e) ? [] : [e]));
}

/** The commands that take --option: named in the error when it is given to another one. */
function optionOwners(option: string): string[] {
  return allCommands().filter((c) => Object.hasOwn(c.def.options, option)).map((c) => c.def.name);
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(ENTRIES).map((n) => n.length)) + 2;
  const commands = Object.entries(ENTRIES).map(([name, e]) => `  ${name.padEnd(width)}${summaryOf(e)}`);
  return `usage: director COMMAND [options]
       director --version

A user-space LVS: a Layer-4 load balancer in the spirit of IPVS + ipvsadm + keepalived.

commands:
${commands.join('\n')}

'director COMMAND --help' describes each command; --version prints the version and the
native addon's features (AF_XDP built or not).`;
}

/** Runs one command line; returns the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return EXIT_OK;
  }
  if (name === '--version') {
    for (const line of await versionLines()) io.out(line);
    return EXIT_OK;
  }
  const entry = name !== undefined && Object.hasOwn(ENTRIES, name) ? ENTRIES[name] : undefined;
  if (entry === undefined) {
    const message = name === undefined ? 'missing command'
      : `unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}' (commands: ${Object.keys(ENTRIES).join(', ')})`;
    return usageError('', message, ['usage: director COMMAND [options]', '       director --version'], io);
  }
  if (isRaw(entry)) return entry.runArgv(rest, io);
  return isGroup(entry) ? executeGroup(entry, rest, io, optionOwners) : execute(entry, rest, io, optionOwners);
}

if (require.main === module) {
  // Exit explicitly: a command that has stopped must not be kept alive by a stray handle.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`director: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
