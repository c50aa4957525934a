// Command-line parsing for every director command: one option table per command (with each
// option's help) is read by util.parseArgs into typed values and written out as its usage text.

import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionDef {
  /** Takes a value shown in help as this placeholder (FILE, N); without it (and choices), a flag. */
  readonly value?: string;
  /** The only values accepted; shown in help as a|b|c. */
  readonly choices?: readonly string[];
  readonly required?: boolean;
  /** A one-letter alias (-f for --config, as keepalived's -f). */
  readonly short?: string;
  /** What it does, for --help: one or more lines (wrapped by hand). */
  readonly help: string;
}

export type OptionDefs = Readonly<Record<string, OptionDef>>;

type ValueOf<D> = D extends { readonly choices: readonly (infer C)[] } ? C : string;
type Takes<D> = D extends { readonly value: string } | { readonly choices: readonly string[] } ? true : false;

/** Parsed options: a value (undefined when optional and absent) or a flag's presence. */
export type Values<O extends OptionDefs> = {
  -readonly [K in keyof O]: Takes<O[K]> extends true
    ? O[K] extends { readonly required: true } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined
    : boolean;
};

/** What parseCommand returns: Values<O> for the command's options, before its type is known. */
export type ParsedOptions = Record<string, string | boolean>;

export interface CommandDef<O extends OptionDefs = OptionDefs> {
  /** As typed after `director`: 'run', 'lab up'. */
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** The help's description, a few lines. */
  readonly about: string;
  readonly options: O;
  /**
   * The synopsis after the command name when it says more than the options do, for example
   * '--config FILE (--interface IF | --tap NAME) [options]'.
   */
  readonly synopsis?: string;
  /** Text after the options: exit status, notes. */
  readonly footer?: string;
}

function takesValue(def: OptionDef): boolean {
  return def.value !== undefined || def.choices !== undefined;
}

function placeholder(def: OptionDef): string {
  return def.value ?? def.choices?.join('|') ?? '';
}

function optionText(name: string, def: OptionDef): string {
  return takesValue(def) ? `--${name} ${placeholder(def)}` : `--${name}`;
}

/** The option as help lists it: with its one-letter alias in front when it has one. */
function helpOptionText(name: string, def: OptionDef): string {
  return def.short !== undefined ? `-${def.short}, ${optionText(name, def)}` : optionText(name, def);
}

/** Help lines stay within this many columns where the words allow. */
const WIDTH = 100;

/**
 * `director NAME ...` after a lead ('usage:' or its indent), built from the options unless the
 * command gives it, wrapped under the command's name.
 */
export function synopsisLines(def: CommandDef, lead: string): string[] {
  const head = `${lead} director ${def.name}`;
  const parts = def.synopsis !== undefined ? [def.synopsis]
    : Object.entries(def.options).map(([name, o]) => (o.required === true ? optionText(name, o) : `[${optionText(name, o)}]`));
  const lines: string[] = [];
  let line = head;
  for (const part of parts) {
    if (line.length + 1 + part.length > WIDTH && line !== head) {
      lines.push(line);
      line = ' '.repeat(head.length);
    }
    line += ` ${part}`;
  }
  return [...lines, line];
}

/** The full --help text: usage, description, one entry per option, footer. */
export function helpText(def: CommandDef): string {
  const rows: Array<[string, string]> = Object.entries(def.options).map(([name, o]) => [helpOptionText(name, o), o.help]);
  rows.push(['-h, --help', 'this text']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const options = rows.map(([left, help]) => `  ${left.padEnd(width)}${help.split('\n').join(`\n  ${' '.repeat(width)}`)}`);
  const parts = [synopsisLines(def, 'usage:').join('\n'), def.about, `options:\n${options.join('\n')}`];
  if (def.footer !== undefined) parts.push(def.footer);
  return parts.join('\n\n');
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

function tokenize(argv: readonly string[], defs: OptionDefs): Token[] {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, def] of Object.entries(defs)) {
    options[name] = { type: takesValue(def) ? 'string' : 'boolean', ...(def.short !== undefined ? { short: def.short } : {}) };
  }
  // Not strict: every token comes back, so the errors below can name the command's own terms.
  return parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true }).tokens;
}

/** Whether -h or --help appears among the options (it wins over any other problem). */
export function wantsHelp(argv: readonly string[]): boolean {
  return tokenize(argv, {}).some((t) => t.kind === 'option' && t.name === 'help');
}

/**
 * Parses argv against the command's options. Unknown options, options of other commands,
 * missing or extra values, repeats, values outside the choices, positionals and missing
 * required options are UsageErrors; `elsewhere` names the commands an unknown option belongs to.
 */
export function parseCommand(def: CommandDef, argv: readonly string[],
  elsewhere: (option: string) => string[] = () => []): ParsedOptions {
  const found: ParsedOptions = {};
  for (const token of tokenize(argv, def.options)) {
    if (token.kind === 'positional') throw new UsageError(`unexpected argument '${token.value}'`);
    if (token.kind !== 'option' || token.name === 'help') continue;
    const option = Object.hasOwn(def.options, token.name) ? def.options[token.name] : undefined;
    if (option === undefined) throw new UsageError(notAnOption(def.name, token.rawName, elsewhere(token.name)));
    if (Object.hasOwn(found, token.name)) throw new UsageError(`option '${token.rawName}' given twice`);
    found[token.name] = valueOf(token.rawName, option, token.value, token.inlineValue);
  }
  for (const [name, option] of Object.entries(def.options)) {
    if (option.required === true && !Object.hasOwn(found, name)) throw new UsageError(`missing required option '--${name}'`);
    if (!takesValue(option)) found[name] ??= false;
  }
  return found;
}

function notAnOption(command: string, raw: string, owners: string[]): string {
  if (owners.length === 0) return `unknown option '${raw}'`;
  return `option '${raw}' does not apply to '${command}' (it belongs to ${owners.join(', ')})`;
}

function valueOf(raw: string, option: OptionDef, value: string | undefined, inline: boolean | undefined): string | boolean {
  if (!takesValue(option)) {
    if (value !== undefined) throw new UsageError(`option '${raw}' takes no value`);
    return true;
  }
  // parseArgs would take the next option as the value; a missing value is the likelier mistake.
  if (value === undefined || value === '' || (inline === false && value.startsWith('-'))) {
    throw new UsageError(`option '${raw}' needs a value (${placeholder(option)})`);
  }
  if (option.choices !== undefined && !option.choices.includes(value)) {
    throw new UsageError(`option '${raw}' must be ${orList(option.choices)}, got '${value}'`);
  }
  return value;
}

function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** A non-negative number of seconds, or the fallback when absent. */
export function secondsOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`option '--${name}' must be a number of seconds, got '${text}'`);
  return Number(text);
}

/** An integer in min..max, or the fallback when absent. */
export function intOption(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`option '--${name}' must be an integer ${min}..${max}, got '${text}'`);
  return n;
}
