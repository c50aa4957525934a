// Hand-written command-line option parsing: `--name value`, `--name=value`, boolean flags and
// `--help`, with usage errors that say what was wrong.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Takes a value (`--config FILE`) rather than being a flag (`--check`). */
  value: boolean;
  required?: boolean;
}

export interface Parsed {
  values: Record<string, string>;
  flags: Set<string>;
  positionals: string[];
  help: boolean;
}

/** Parses argv against the spec; unknown options and missing values are UsageErrors. */
export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): Parsed {
  const out: Parsed = { values: {}, flags: new Set(), positionals: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown option '${arg}'`);
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const opt = spec[name];
    if (!opt) throw new UsageError(`unknown option '--${name}'`);
    if (!opt.value) {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      out.flags.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`option '--${name}' needs a value`);
    }
    if (Object.hasOwn(out.values, name)) throw new UsageError(`option '--${name}' given twice`);
    out.values[name] = value;
  }
  if (!out.help) {
    for (const [name, opt] of Object.entries(spec)) {
      if (opt.required && !Object.hasOwn(out.values, name)) throw new UsageError(`missing required option '--${name}'`);
    }
  }
  return out;
}

/** A non-negative number of seconds. */
export function secondsOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`option '--${name}' must be a number of seconds, got '${text}'`);
  return Number(text);
}

export function noPositionals(parsed: Parsed): void {
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
}
