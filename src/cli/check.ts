// `director check --config FILE`: parse and validate only, like `keepalived -t`.

import { loadKeepalivedConfig } from '../config/load.js';
import { ConfigError, type DirectorConfig } from '../config/model.js';
import { noPositionals, parseArgs } from './args.js';
import { EXIT_FAIL, EXIT_OK, type CliIo } from './io.js';
import { summarize } from './summary.js';

export const CHECK_HELP = `usage: director check --config FILE

Parses and validates a keepalived.conf (and the files it includes) without starting anything.
Prints warnings (unknown or not yet supported keywords, keepalived defaults applied) to stderr and
a summary of services and real servers to stdout.

options:
  --config FILE   keepalived.conf to check
  --help          this text

exit status: 0 valid, 1 invalid (the error names file, line and keyword), 2 usage error`;

export async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv, { config: { value: true, required: true } });
  if (parsed.help) {
    io.out(CHECK_HELP);
    return EXIT_OK;
  }
  noPositionals(parsed);
  const config = loadConfigReporting(parsed.values.config as string, io);
  if (!config) return EXIT_FAIL;
  for (const line of summarize(config)) io.out(line);
  io.out(`config ok: ${parsed.values.config}`);
  return EXIT_OK;
}

/** Loads a config, printing warnings and any error to stderr; null on error. */
export function loadConfigReporting(file: string, io: CliIo): DirectorConfig | null {
  try {
    const config = loadKeepalivedConfig(file);
    for (const w of config.warnings) io.err(`warning: ${w.message}`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`error: ${err.message}`);
      return null;
    }
    throw err;
  }
}
