// Reads the small C++ subset native/core/records.h is written in (namespaces, uint32_t enums,
// constexpr uint32_t constants, integer expressions) into named groups of values; anything else
// in the header is an error naming its line, so the header cannot outgrow what is generated.

export interface Entry {
  name: string;
  value: number;
  /** The comment on the entry's line (and comment-only lines after it), if any. */
  doc: string;
}

export interface Group {
  /** Name of the TypeScript table (Meta, Action, FragBits, Limits, ...). */
  tsName: string;
  /** How records.h names it (meta::Word, enum class Action, namespace frag_bits, ...). */
  cppName: string;
  /** Prefix that names an entry in C++ ("meta::", "Action::", "frag_bits::", ""). */
  qualifier: string;
  /** The comment above the declaration. */
  doc: string;
  entries: Entry[];
}

interface Token {
  text: string;
  line: number;
}

class Source {
  readonly tokens: Token[] = [];
  /** Comment text by line number. */
  readonly comments = new Map<number, string>();
  private at = 0;

  constructor(text: string) {
    text.split('\n').forEach((raw, i) => this.scanLine(raw, i + 1));
  }

  private scanLine(raw: string, line: number): void {
    if (/^\s*#(pragma once|include\s*<cstdint>)\s*$/.test(raw)) return;
    const slash = raw.indexOf('//');
    const code = slash >= 0 ? raw.slice(0, slash) : raw;
    if (slash >= 0) this.comments.set(line, raw.slice(slash + 2).trim());
    for (const m of code.matchAll(/0x[0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|::|[{}();:=,+*|()-]|\S/g)) {
      this.tokens.push({ text: m[0], line });
    }
  }

  peek(k = 0): string {
    return this.tokens[this.at + k]?.text ?? '';
  }

  line(): number {
    return this.tokens[Math.min(this.at, this.tokens.length - 1)]?.line ?? 0;
  }

  next(): string {
    const t = this.tokens[this.at++];
    if (t === undefined) throw new Error('records.h: unexpected end of file');
    return t.text;
  }

  expect(...texts: string[]): void {
    for (const want of texts) {
      const line = this.line();
      const got = this.next();
      if (got !== want) throw new Error(`records.h line ${line}: expected "${want}", found "${got}"`);
    }
  }

  name(): string {
    const line = this.line();
    const t = this.next();
    if (!/^[A-Za-z_]\w*$/.test(t)) throw new Error(`records.h line ${line}: expected a name, found "${t}"`);
    return t;
  }

  done(): boolean {
    return this.at >= this.tokens.length;
  }

  /** The comment on line and on the comment-only lines that follow it. */
  trailing(line: number): string {
    const parts: string[] = [];
    for (let l = line; this.comments.has(l) && (l === line || !this.tokens.some((t) => t.line === l)); l++) {
      parts.push(this.comments.get(l)!);
    }
    return parts.join(' ');
  }

  /** The block of comment-only lines right above line (a "---- title ----" rule trimmed). */
  above(line: number): string {
    const parts: string[] = [];
    for (let l = line - 1; this.comments.has(l) && !this.tokens.some((t) => t.line === l); l--) {
      parts.unshift(this.comments.get(l)!);
    }
    return parts.join(' ').replace(/^-+\s*|\s*-+$/g, '');
  }
}

/** Integer expression: literals, names defined earlier in the group, + - * << | and parentheses. */
function expression(src: Source, known: Map<string, number>): number {
  const BINARY: Record<string, [number, (a: number, b: number) => number]> = {
    '|': [1, (a, b) => (a | b) >>> 0], '<<': [2, (a, b) => (a << b) >>> 0],
    '+': [3, (a, b) => a + b], '-': [3, (a, b) => a - b], '*': [4, (a, b) => a * b],
  };
  const operand = (): number => {
    const line = src.line();
    const t = src.next();
    if (t === '(') {
      const v = climb(0);
      src.expect(')');
      return v;
    }
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) return Number(t);
    const v = known.get(t);
    if (v === undefined) throw new Error(`records.h line ${line}: "${t}" is not a number or an earlier name`);
    return v;
  };
  const climb = (min: number): number => {
    let left = operand();
    for (let op = BINARY[src.peek()]; op !== undefined && op[0] > min; op = BINARY[src.peek()]) {
      src.next();
      left = op[1](left, climb(op[0]));
    }
    return left;
  };
  const value = climb(0);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`records.h line ${src.line()}: value ${value} is not a uint32`);
  }
  return value;
}

function pascal(snake: string): string {
  return snake.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** `enum [class] Name : uint32_t { A = 0, B, ... };` */
function enumGroup(src: Source, namespace: string | null, namespaceDoc: string): Group {
  const line = src.line();
  src.expect('enum');
  const scoped = src.peek() === 'class';
  if (scoped) src.next();
  const name = src.name();
  src.expect(':', 'uint32_t', '{');
  const entries: Entry[] = [];
  const known = new Map<string, number>();
  let nextValue = 0;
  while (src.peek() !== '}') {
    const entryLine = src.line();
    const entry = src.name();
    let value = nextValue;
    if (src.peek() === '=') {
      src.next();
      value = expression(src, known);
    }
    if (src.peek() === ',') src.next();
    entries.push({ name: entry, value, doc: src.trailing(entryLine) });
    known.set(entry, value);
    nextValue = value + 1;
  }
  src.expect('}', ';');
  // An unscoped enum in its own namespace (meta::Word) is named by the namespace.
  const byNamespace = !scoped && namespace !== null;
  return {
    tsName: byNamespace ? pascal(namespace) : name,
    cppName: byNamespace ? `${namespace}::${name}` : `enum ${scoped ? 'class ' : ''}${name}`,
    qualifier: `${namespace !== null ? `${namespace}::` : ''}${scoped ? `${name}::` : ''}`,
    doc: src.above(line) || namespaceDoc,
    entries,
  };
}

/** `constexpr uint32_t NAME = expr;` */
function constant(src: Source, known: Map<string, number>): Entry {
  const line = src.line();
  src.expect('constexpr', 'uint32_t');
  const name = src.name();
  src.expect('=');
  const value = expression(src, known);
  src.expect(';');
  known.set(name, value);
  return { name, value, doc: src.trailing(line) || src.above(line) };
}

/** The declarations of one namespace body, up to its closing brace. */
function declarations(src: Source, namespace: string, doc: string, groups: Group[]): void {
  const top = namespace === 'director';
  const constants: Group = {
    tsName: top ? 'Limits' : pascal(namespace),
    cppName: top ? 'constants of namespace director' : `namespace ${namespace}`,
    qualifier: top ? '' : `${namespace}::`,
    doc: doc || (top ? 'Fixed sizes of the boundary.' : `Values of namespace ${namespace}.`),
    entries: [],
  };
  const known = new Map<string, number>();
  while (!src.done() && src.peek() !== '}') {
    const line = src.line();
    const t = src.peek();
    if (t === 'namespace') {
      src.next();
      const name = src.name();
      src.expect('{');
      declarations(src, name, src.above(line), groups);
      src.expect('}');
    } else if (t === 'enum') {
      groups.push(enumGroup(src, top ? null : namespace, doc));
    } else if (t === 'constexpr') {
      if (constants.entries.length === 0) groups.push(constants);
      constants.entries.push(constant(src, known));
    } else {
      throw new Error(`records.h line ${line}: "${t}" is outside the subset tools/records-parser.ts reads`);
    }
  }
}

/** Every group of records.h, in the order it declares them. */
export function parseRecords(text: string): Group[] {
  const src = new Source(text);
  const groups: Group[] = [];
  src.expect('namespace', 'director', '{');
  declarations(src, 'director', '', groups);
  src.expect('}');
  if (!src.done()) throw new Error(`records.h line ${src.line()}: text after namespace director`);
  return groups;
}
