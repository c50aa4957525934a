// keepalived's parameter substitution: `$NAME=VALUE` definitions (one line, or several joined by a
// trailing '\'), `$NAME` (followed by a blank, ',', ')' or the end) and `${NAME}` references
// replaced at use time, recursively, and the predefined _PWD, _INSTANCE, _RANDOM, _ENV, _HASH,
// _BANG. An undefined name is left as written.

/** A definition's text: one line, or the lines of a multiline definition. */
export interface Definition {
  lines: string[];
  multiline: boolean;
}

/** What a replacement pass made of a line. */
export interface Replaced {
  text: string;
  /** Lines still to read after `text` (the rest of a multiline definition used on this line). */
  following: string[];
  changed: boolean;
}

/** Where the predefined values come from (the reader knows the file being read). */
export interface DefinitionContext {
  /** Directory of the file being read (_PWD). */
  pwd(): string;
  /** The config id (_INSTANCE). */
  instance: string;
}

/** A line longer than this after substitution is refused (recursive definitions grow forever). */
const MAX_LINE_CHARS = 65536;
const RANDOM_MAX = 32767;
/** Replacements in one pass past this mean a definition that refers to itself. */
const MAX_REPLACEMENTS = 10000;

export class SubstitutionError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export class Definitions {
  private readonly defs = new Map<string, Definition>();

  constructor(private readonly ctx: DefinitionContext) {}

  set(name: string, def: Definition): void {
    this.defs.set(name, def);
  }

  /**
   * `$NAME=VALUE` at the start of a line: the name and the value (a trailing '\' starts a
   * multiline definition, its blank-trimmed text before the '\' being the first line), or null.
   */
  static parse(line: string): { name: string; value: string; multiline: boolean } | null {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)=[ \t]*(.*)$/.exec(line);
    if (m === null) return null;
    const raw = m[2]!;
    if (!raw.endsWith('\\')) return { name: m[1]!, value: raw, multiline: false };
    return { name: m[1]!, value: raw.slice(0, -1).replace(/[ \t]+$/, ''), multiline: true };
  }

  /** One pass over the line: every reference to a defined name replaced, left to right. */
  replace(line: string): Replaced {
    let text = line;
    let following: string[] = [];
    let changed = false;
    let count = 0;
    for (let at = text.indexOf('$'); at >= 0 && at < text.length - 1; at = text.indexOf('$', at)) {
      const ref = this.reference(text, at + 1);
      if (ref === null) {
        at++;
        continue;
      }
      changed = true;
      if (++count > MAX_REPLACEMENTS) throw new SubstitutionError('parameter substitution does not end (a definition that refers to itself?)');
      const def = ref.def;
      const value = def.lines[0] ?? '';
      if (def.multiline) following = def.lines.slice(1).concat(following);
      text = text.slice(0, at) + value + text.slice(ref.end);
      if (text.length > MAX_LINE_CHARS) throw new SubstitutionError(`parameter substitution makes the line longer than ${MAX_LINE_CHARS} characters`);
      // keepalived stops at a value that starts a ~SEQ/~LST: the rest is the block's to expand.
      if (value.trimStart().startsWith('~')) break;
    }
    return { text, following, changed };
  }

  /** The definition referenced at `start` (just after a '$') and where the reference ends, or null. */
  private reference(text: string, start: number): { def: Definition; end: number } | null {
    const braced = text[start] === '{';
    const nameAt = braced ? start + 1 : start;
    const name = NAME.exec(text.slice(nameAt, nameAt + MAX_LINE_CHARS))?.[0];
    if (name === undefined) return null;
    let end = nameAt + name.length;
    let params: string[] = [];
    if (braced) {
      const close = /^([ \t]+[A-Za-z0-9_]+)*\}/.exec(text.slice(end));
      if (close === null) return null;
      params = close[0].slice(0, -1).trim().split(/[ \t]+/).filter((p) => p !== '');
      end += close[0].length;
    } else if (end < text.length && !/[ \t,)]/.test(text[end]!)) return null;
    // A multiline definition can only stand at the end of a line (keepalived's rule).
    const atEnd = end === text.length;
    const def = this.predefined(name, params) ?? (params.length === 0 ? this.defs.get(name) : undefined);
    if (def === undefined || (def.multiline && !atEnd)) return null;
    return { def, end };
  }

  /** The predefined names, unless the configuration has redefined them. */
  private predefined(name: string, params: string[]): Definition | undefined {
    if (this.defs.has(name)) return undefined;
    const one = (text: string): Definition => ({ lines: [text], multiline: false });
    switch (name) {
      case '_PWD': return params.length === 0 ? one(this.ctx.pwd()) : undefined;
      case '_INSTANCE': return params.length === 0 ? one(this.ctx.instance) : undefined;
      case '_HASH': return params.length === 0 ? one('\\#') : undefined;
      case '_BANG': return params.length === 0 ? one('\\!') : undefined;
      case '_ENV': return params.length === 1 ? one(process.env[params[0]!] ?? '') : undefined;
      case '_RANDOM': return random(params);
      default: return undefined;
    }
  }
}

/** ${_RANDOM [MIN [MAX]]}: an integer in [MIN, MAX], defaults 0 and 32767; numbers only. */
function random(params: string[]): Definition | undefined {
  if (params.length > 2 || params.some((p) => !/^\d+$/.test(p))) return undefined;
  const min = params.length > 0 ? Number(params[0]) : 0;
  const max = params.length > 1 ? Number(params[1]) : RANDOM_MAX;
  const value = max <= min ? min : min + Math.floor(Math.random() * (max - min + 1));
  return { lines: [String(value)], multiline: false };
}
