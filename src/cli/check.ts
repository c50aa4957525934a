// `director check [-f FILE]`: parse and validate only, like `keepalived -t`, with a summary a
// migrating user can compare with the keepalived it replaces (or JSON for scripts).

import { loadKeepalivedConfig, type LoadOptions } from '../config/load.js';
import { ConfigError, type DirectorConfig } from '../config/model.js';
import { defineCommand } from './command.js';
import { EXIT_FAIL, EXIT_OK } from './io.js';
import { auditScripts } from '../script/audit.js';
import { checkReport, summarize } from './summary.js';

/** keepalived's default configuration file, used when no -f is given. */
export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';

export const checkCommand = defineCommand(
  {
    name: 'check',
    summary: 'parse and validate a keepalived.conf without running it',
    about: `Parses and validates a keepalived.conf (and the files it includes) without starting anything.
Prints warnings (unknown or not yet supported keywords, keepalived defaults applied, scripts this
host would not run or that run as root unsafely, as keepalived's script security says) to stderr and
a summary of services, real servers and their checkers to stdout. A file that yields no
virtual_server and no vrrp_instance is an error.`,
    options: {
      config: { value: 'FILE', short: 'f', help: `keepalived.conf to check (default ${DEFAULT_CONFIG}, as keepalived)` },
      'config-id': { value: 'ID', short: 'i', help: `keepalived's -i: selects the '@ID' lines (default: the host name up to
its first dot)` },
      strict: { help: 'warnings are errors: any warning makes the exit status 1' },
      json: { help: 'print one JSON object (ok, error, warnings, services with real servers and checkers) on stdout, nothing on stderr' },
      'skip-scripts': { help: `do not check the scripts on this host (user, path, script security): for a config
checked on another machine than the one that will run it` },
      'allow-unchecked': { help: `accept real servers whose checker director cannot run (an option it
cannot honour, e.g. fwmark): they run without it, warned as UNCHECKED` },
    },
    footer: 'exit status: 0 valid, 1 invalid (the error names file, line and keyword), 2 usage error',
  },
  async (v, io) => {
    const file = v.config ?? DEFAULT_CONFIG;
    const options: LoadOptions = { allowUnchecked: v['allow-unchecked'] };
    if (v['config-id'] !== undefined) options.configId = v['config-id'];
    const { config, error } = judge(file, options, v.strict, !v['skip-scripts']);
    if (v.json) {
      io.out(JSON.stringify(checkReport(file, config, error), null, 2));
      return error === null ? EXIT_OK : EXIT_FAIL;
    }
    for (const w of config?.warnings ?? []) io.err(`warning: ${w.message}`);
    if (error !== null) {
      io.err(`error: ${error.message}`);
      return EXIT_FAIL;
    }
    for (const line of summarize(config!)) io.out(line);
    io.out(`config ok: ${file}`);
    return EXIT_OK;
  },
);

/** The loaded config (null when it does not load) and why it is refused, if it is. */
function judge(file: string, options: LoadOptions, strict: boolean, scripts: boolean): { config: DirectorConfig | null; error: ConfigError | null } {
  let config: DirectorConfig;
  try {
    config = loadKeepalivedConfig(file, options);
  } catch (err) {
    if (err instanceof ConfigError) return { config: null, error: err };
    throw err;
  }
  // A VRRP-only file moves VIPs (the high-availability part); one with neither does nothing.
  if (config.virtualServers.length === 0 && config.vrrp.instances.length === 0) {
    return { config, error: new ConfigError(file, 0, 'virtual_server', 'no virtual_server and no vrrp_instance: the configuration does nothing') };
  }
  // keepalived checks its scripts on the host at start (and disables those it refuses): so does check.
  if (scripts) config.warnings.push(...auditScripts(config, file));
  const n = config.warnings.length;
  if (strict && n > 0) return { config, error: new ConfigError(file, 0, 'strict', `${n} warning(s), which --strict makes errors`) };
  return { config, error: null };
}

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
