// A command is its option table plus what it runs; execute() turns one command line into an exit
// status the same way for every command: help, usage errors (2), failures (1).

import {
  helpText, parseCommand, synopsisLines, UsageError, wantsHelp, type CommandDef, type OptionDefs, type ParsedOptions, type Values,
} from './args.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type CliIo } from './io.js';

export interface Command {
  readonly def: CommandDef;
  /** Runs with parsed options; may throw UsageError for checks across options. */
  run(values: ParsedOptions, io: CliIo): Promise<number>;
}

/** A command whose handler sees its options typed from the option table. */
export function defineCommand<const O extends OptionDefs>(def: CommandDef<O>,
  run: (values: Values<O>, io: CliIo) => Promise<number>): Command {
  // parseCommand checked this table: required values are there, flags are booleans, choices hold.
  return { def, run: (values, io) => run(values as Values<O>, io) };
}

/**
 * A command that reads its own command line: `adm` speaks ipvsadm's (combined short options, -p's
 * optional value), which an option table cannot express.
 */
export interface RawCommand {
  readonly name: string;
  readonly summary: string;
  runArgv(argv: readonly string[], io: CliIo): Promise<number>;
}

/** Commands under one name: `director lab up`, `director realserver setup`. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly about: string;
  readonly commands: Readonly<Record<string, Command>>;
}

/** Which other commands take an option (for the error when it is given to the wrong one). */
export type OptionOwners = (option: string) => string[];

/** Help, parse, run: the exit status of `director NAME argv...`. */
export async function execute(command: Command, argv: readonly string[], io: CliIo, owners: OptionOwners = () => []): Promise<number> {
  const def = command.def;
  try {
    if (wantsHelp(argv)) {
      io.out(helpText(def));
      return EXIT_OK;
    }
    return await command.run(parseCommand(def, argv, owners), io);
  } catch (err) {
    if (err instanceof UsageError) return usageError(def.name, err.message, synopsisLines(def, 'usage:'), io);
    io.err(`director ${def.name}: ${(err as Error).message}`);
    return EXIT_FAIL;
  }
}

/** `director GROUP SUB argv...`: the group's help, or the subcommand's execute(). */
export async function executeGroup(group: CommandGroup, argv: readonly string[], io: CliIo, owners?: OptionOwners): Promise<number> {
  const [sub, ...rest] = argv;
  const names = Object.keys(group.commands);
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(groupHelp(group));
    return EXIT_OK;
  }
  const command = sub !== undefined && Object.hasOwn(group.commands, sub) ? group.commands[sub] : undefined;
  if (command !== undefined) return execute(command, rest, io, owners);
  const message = sub === undefined ? `missing subcommand (${names.join(', ')})`
    : `unknown ${group.name} subcommand '${sub}' (${names.join(', ')})`;
  return usageError(group.name, message, groupSynopses(group), io);
}

function groupSynopses(group: CommandGroup): string[] {
  return Object.values(group.commands).flatMap((c, i) => synopsisLines(c.def, i === 0 ? 'usage:' : '      '));
}

/** Usage lines of every subcommand, what the group is for, and one line per subcommand. */
export function groupHelp(group: CommandGroup): string {
  const width = Math.max(...Object.keys(group.commands).map((n) => n.length)) + 2;
  const subs = Object.entries(group.commands).map(([name, c]) => `  ${name.padEnd(width)}${c.def.summary}`);
  return [groupSynopses(group).join('\n'), group.about, `subcommands:\n${subs.join('\n')}`,
    `'director ${group.name} SUBCOMMAND --help' describes each.`].join('\n\n');
}

/** The message, where to read more, and the usage lines; exit status 2 ('' names director itself). */
export function usageError(name: string, message: string, usage: string[], io: CliIo): number {
  const command = name === '' ? 'director' : `director ${name}`;
  io.err(`${command}: ${message}; see ${command} --help`);
  for (const line of usage) io.err(line);
  return EXIT_USAGE;
}
