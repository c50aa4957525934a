// Reads a keepalived.conf and the files it includes into one stream of logical lines, each with
// the file and line it came from, applying keepalived's line language in reading order:
// comments, `@ID`/`@^ID` conditional lines (against the config id), `$NAME=` definitions and
// their substitution, `~SEQ`/`~LST` replication, and `include` (also when a definition or a
// condition produced it). Definitions made in an included file hold after it, as in keepalived.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './model.js';
import { Definitions, SubstitutionError } from './keepalived-definitions.js';
import { parseReplication, ReplicationError } from './keepalived-replicate.js';
import { expandInclude, hasWildcard } from './keepalived-include.js';
import { MAX_WORD_CHARS } from './keepalived-lexer.js';

/** A logical line, or the end of a file (so that the parser keeps blocks within their file). */
export type SourceItem =
  | { kind: 'line'; text: string; file: string; line: number }
  | { kind: 'end'; file: string; line: number };

export interface ReadOptions {
  /** keepalived's -i: the id `@ID` lines are compared with; default the host name up to its first dot. */
  configId: string;
  /** Told of a glob that matches no file. */
  warn(file: string, line: number, keyword: string, message: string): void;
}

/** Include nesting deeper than this is treated as a cycle. */
const MAX_INCLUDE_DEPTH = 16;
/** Lines replication and multiline definitions may produce in all (hostile input costs a message). */
const MAX_LINES = 1_000_000;
/** Lines read in all, rounds of replication included (nested ~SEQ that only define stop here). */
const MAX_WORK = 2_000_000;

/** Where lines come from: a file, the rounds of a ~SEQ/~LST, the rest of a multiline definition. */
interface Source {
  file: string;
  next(): { text: string; line: number } | null;
  /** A file's real path (cycle detection), null for the others. */
  real: string | null;
}

export class ConfigReader {
  private readonly stack: Source[] = [];
  private readonly out: SourceItem[] = [];
  private readonly defs: Definitions;
  /** A multiline definition being collected: its name, lines so far, where it started. */
  private collecting: { name: string; lines: string[] } | null = null;
  private work = 0;

  constructor(private readonly options: ReadOptions) {
    this.defs = new Definitions({ pwd: () => this.pwd(), instance: options.configId });
  }

  /** Reads `file` (and all it includes); `text` when it is already in memory. */
  read(file: string, text?: string): SourceItem[] {
    this.pushFile(file, text, null);
    for (;;) {
      const top = this.stack.at(-1);
      if (top === undefined) return this.out;
      const got = top.next();
      if (got === null) {
        this.stack.pop();
        if (top.real !== null) this.out.push({ kind: 'end', file: top.file, line: 1 });
        continue;
      }
      this.process(got.text, top.file, got.line);
    }
  }

  private process(raw: string, file: string, line: number): void {
    const fail = (detail: string, keyword = 'syntax'): never => {
      throw new ConfigError(file, line, keyword, detail);
    };
    if (++this.work > MAX_WORK) fail(`the configuration takes more than ${MAX_WORK} lines to read (replication too deep?)`);
    if (this.collect(raw)) return;
    let text = decomment(raw);
    for (let pass = 0; text !== ''; pass++) {
      if (pass > 100) fail('conditions and definitions keep producing each other');
      if (text.startsWith('@')) {
        text = selected(text, this.options.configId);
        continue;
      }
      const def = Definitions.parse(text);
      if (def !== null) return this.define(def);
      if (text.startsWith('~SEQ') || text.startsWith('~LST')) return this.replicate(text, file, line, fail);
      if (text.startsWith('~') || !text.includes('$')) break;
      let replaced;
      try {
        replaced = this.defs.replace(text);
      } catch (err) {
        if (err instanceof SubstitutionError) fail(err.message);
        throw err;
      }
      if (replaced.following.length > 0) this.pushLines(file, line, replaced.following);
      if (!replaced.changed) break;
      text = decomment(replaced.text);
      if (!/^(@|~SEQ|~LST)/.test(text) && !text.includes('$')) break;
    }
    if (text !== '') this.emit(text, file, line);
  }

  /** Adds a line to a multiline definition being collected; false when none is. */
  private collect(raw: string): boolean {
    const def = this.collecting;
    if (def === null) return false;
    const text = decomment(raw);
    // A blank line, or one without a trailing '\', ends the definition; a comment line is skipped (keepalived).
    if (text === '' && raw.trim() !== '') return true;
    const more = text.endsWith('\\');
    const body = more ? text.slice(0, -1).replace(/[ \t]+$/, '') : text;
    if (body !== '') def.lines.push(body);
    if (!more || raw.trim() === '') {
      this.defs.set(def.name, { lines: def.lines, multiline: def.lines.length > 1 });
      this.collecting = null;
    }
    return true;
  }

  private define(def: { name: string; value: string; multiline: boolean }): void {
    if (def.multiline) this.collecting = { name: def.name, lines: def.value === '' ? [] : [def.value] };
    else this.defs.set(def.name, { lines: [def.value], multiline: false });
  }

  private replicate(text: string, file: string, line: number, fail: (detail: string, keyword?: string) => never): void {
    let rep;
    try {
      rep = parseReplication(text, (s) => this.defs.replace(s).text);
    } catch (err) {
      if (err instanceof ReplicationError || err instanceof SubstitutionError) fail(err.message, text.slice(0, 4));
      throw err;
    }
    let round = 0;
    this.stack.push({
      file, real: null,
      next: () => {
        if (round >= rep.count) return null;
        for (const [name, value] of rep.round(round++)) this.defs.set(name, { lines: [value], multiline: false });
        return { text: rep.text, line };
      },
    });
  }

  private pushLines(file: string, line: number, lines: string[]): void {
    let i = 0;
    this.stack.push({ file, real: null, next: () => (i < lines.length ? { text: lines[i++]!, line } : null) });
  }

  private emit(text: string, file: string, line: number): void {
    if (this.out.length >= MAX_LINES) throw new ConfigError(file, line, 'syntax', `the configuration expands to more than ${MAX_LINES} lines`);
    const include = /^include(?:[ \t]+(.*))?$/.exec(text);
    if (include === null) {
      this.out.push({ kind: 'line', text, file, line });
      return;
    }
    const args = (include[1] ?? '').trim().split(/[ \t]+/).filter((a) => a !== '').map(unquote);
    if (args.length !== 1) throw new ConfigError(file, line, 'include', 'expects exactly one file name or glob pattern');
    if (args[0]!.length > MAX_WORD_CHARS) throw new ConfigError(file, line, 'include', `a pattern of ${args[0]!.length} characters (at most ${MAX_WORD_CHARS})`);
    this.include(args[0]!, file, line);
  }

  private include(pattern: string, from: string, line: number): void {
    const files = expandInclude(pattern, path.dirname(from));
    if (files.length === 0) {
      if (!pattern.split('/').some(hasWildcard)) throw new ConfigError(from, line, 'include', `'${pattern}' does not exist`);
      this.options.warn(from, line, 'include', `no file matches '${pattern}'`);
      return;
    }
    // Sorted matches are read first to last: pushed last to first.
    for (const f of [...files].reverse()) this.pushFile(f, undefined, { file: from, line });
  }

  private pushFile(file: string, text: string | undefined, from: { file: string; line: number } | null): void {
    let real: string;
    try {
      text ??= fs.readFileSync(file, 'utf8');
      real = from === null && !fs.existsSync(file) ? path.resolve(file) : fs.realpathSync(file);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? String(err);
      if (from) throw new ConfigError(from.file, from.line, 'include', `cannot read '${file}' (${reason})`);
      // Line 1: the position every message carries, here the file as a whole.
      throw new ConfigError(file, 1, 'file', `cannot read the configuration file (${reason})`);
    }
    const files = this.stack.filter((s) => s.real !== null);
    if (from && files.some((s) => s.real === real)) throw new ConfigError(from.file, from.line, 'include', `'${file}' includes itself (cycle)`);
    if (files.length >= MAX_INCLUDE_DEPTH) throw new ConfigError(from?.file ?? file, from?.line ?? 0, 'include', `nesting deeper than ${MAX_INCLUDE_DEPTH}`);
    // A UTF-8 byte order mark (editors on Windows write one) is not part of the first keyword.
    const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n/);
    let i = 0;
    this.stack.push({ file, real, next: () => (i < lines.length ? { text: lines[i]!, line: ++i } : null) });
  }

  /** _PWD: the directory of the file being read. */
  private pwd(): string {
    const file = [...this.stack].reverse().find((s) => s.real !== null);
    return file ? path.dirname(file.real!) : process.cwd();
  }
}

/**
 * keepalived's decomment: leading and trailing blanks and everything from a '#' or '!' outside
 * double quotes are removed; '\#' and '\!' stay escaped (the lexer takes the backslash off).
 */
function decomment(raw: string): string {
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\') i++;
    else if (!quoted && (ch === '#' || ch === '!')) return raw.slice(0, i).trim();
  }
  return raw.trim();
}

/** An `@ID` / `@^ID` line: the rest of it when selected for this config id, else ''. */
function selected(text: string, configId: string): string {
  const m = /^@(\^?)([^ \t]*)[ \t]+(.*)$/.exec(text);
  if (m === null) return '';
  const match = m[2] === configId;
  return match !== (m[1] === '^') ? m[3]! : '';
}

function unquote(word: string): string {
  return word.length >= 2 && word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1) : word;
}
