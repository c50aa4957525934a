// `director check --config FILE`: parse and validate only, like `keepalived -t`.

import { loadKeepalivedConfig, type LoadOptions } from '../config/load.js';
import { ConfigError, type DirectorConfig } from '../config/model.js';
import { defineCommand } from './command.js';
import { EXIT_FAIL, EXIT_OK } from './io.js';
import { summarize } from './summary.js';

export const checkCommand = defineCommand(
  {
    name: 'check',
    summary: 'parse and validate a keepalived.conf without running it',
    about: `Parses and validates a keepalived.conf (and the files it includes) without starting anything.
Prints warnings (unknown or not yet supported keywords, keepalived defaults applied) to stderr and
a summary of services and real servers to stdout.`,
    options: {
      config: { value: 'FILE', required: true, help: 'keepalived.conf to check' },
      'allow-unchecked': { help: `accept real servers whose checker director cannot run (an option it
cannot honour, e.g. fwmark): they run without it, warned as UNCHECKED` },
    },
    footer: 'exit status: 0 valid, 1 invalid (the error names file, line and keyword), 2 usage error',
  },
  async (v, io) => {
    const config = loadConfig(v.config, (level, message) => io.err(`${level === 'warn' ? 'warning' : 'error'}: ${message}`),
      { allowUnchecked: v['allow-unchecked'] });
    if (!config) return EXIT_FAIL;
    for (const line of summarize(config)) io.out(line);
    io.out(`config ok: ${v.config}`);
    return EXIT_OK;
  },
);

/** Loads a config, reporting its warnings and any error; null on error. */
export function loadConfig(file: string, report: (level: 'warn' | 'error', message: string) => void,
  options: LoadOptions = {}): DirectorConfig | null {
  try {
    const config = loadKeepalivedConfig(file, options);
    for (const w of config.warnings) report('warn', w.message);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      report('error', err.message);
      return null;
    }
    throw err;
  }
}
