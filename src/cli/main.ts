// The `director` command: dispatches to run, check, realserver and lab, and turns usage errors
// into exit status 2 with a pointer to --help.

import { UsageError } from './args.js';
import { checkCommand } from './check.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from './io.js';
import { realserverCommand } from './realserver.js';
import { runCommand } from './run.js';

export const MAIN_HELP = `usage: director COMMAND [options]

A user-space LVS: a Layer-4 load balancer in the spirit of IPVS + ipvsadm + keepalived.

commands:
  run          run a director from a keepalived.conf (director run --help)
  check        parse and validate a keepalived.conf without running it
  realserver   prepare (or check, or undo) a real server for DR or TUN
  lab          network-namespace lab: up, demo, down (director lab --help)

'director COMMAND --help' describes each command.`;

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  check: checkCommand,
  realserver: realserverCommand,
  // Loaded on use: the lab pulls in the data path and the native addon.
  lab: async (argv) => (await import('./lab.js')).labCommand([...argv]),
};

/** Runs one command line; returns the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(MAIN_HELP);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`director: unknown command '${name}' (run, check, realserver, lab); see director --help`);
    return EXIT_USAGE;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`director ${name}: ${err.message}; see director ${name} --help`);
      return EXIT_USAGE;
    }
    io.err(`director ${name}: ${(err as Error).message}`);
    return EXIT_FAIL;
  }
}

if (require.main === module) {
  // Exit explicitly: a command that has stopped must not be kept alive by a stray handle.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`director: ${String(err)}\n`);
      process.exit(EXIT_FAIL);
    },
  );
}
