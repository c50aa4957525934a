// Builds the statement tree of a keepalived.conf (keyword, arguments, optional `{ }` block) from
// the reader's lines, in which includes, conditions, definitions and replication are already
// applied; a block opens and closes within one file.

import * as os from 'node:os';
import { ConfigError, type ConfigWarning } from './model.js';
import { LexError, tokenize, type Token } from './keepalived-lexer.js';
import { ConfigReader, type SourceItem } from './keepalived-reader.js';

export interface Statement {
  keyword: string;
  args: string[];
  file: string;
  line: number;
  /** Statements inside `{ }`, or null when the keyword had no block. */
  block: Statement[] | null;
}

export interface ParseOptions {
  /** keepalived's -i (`@ID` lines); default: the host name up to its first dot, as keepalived. */
  configId?: string;
}

/**
 * Blocks nested deeper than this are refused (keepalived's own deepest is 4: virtual_server,
 * real_server, HTTP_GET, url), so hostile nesting meets a positioned error, not the stack limit.
 */
const MAX_BLOCK_DEPTH = 32;

/** keepalived's default config id: the node name up to its first dot. */
function defaultConfigId(): string {
  return os.hostname().split('.')[0] ?? '';
}

/** Reads a file (and everything it includes) into statements; warnings go to `warnings`. */
export function parseFile(file: string, warnings: ConfigWarning[], options: ParseOptions = {}): Statement[] {
  return parseItems(reader(warnings, options).read(file));
}

/** Parses text already in memory; `include` resolves relative to the directory of `file`. */
export function parseText(text: string, file: string, warnings: ConfigWarning[], options: ParseOptions = {}): Statement[] {
  return parseItems(reader(warnings, options).read(file, text));
}

function reader(warnings: ConfigWarning[], options: ParseOptions): ConfigReader {
  return new ConfigReader({
    configId: options.configId ?? defaultConfigId(),
    warn: (file, line, keyword, message) => warnings.push({ file, line, keyword, message: `${file}:${line}: ${keyword}: ${message}` }),
  });
}

function parseItems(items: SourceItem[]): Statement[] {
  let tokens: Token[];
  try {
    tokens = tokenize(items);
  } catch (err) {
    if (err instanceof LexError) throw new ConfigError(err.file, err.line, 'syntax', err.detail);
    throw err;
  }
  return parseBlockBody(new Cursor(tokens), null, 0);
}

/** A cursor over the tokens. */
class Cursor {
  pos = 0;
  constructor(readonly tokens: Token[]) {}
  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  next(): Token | undefined {
    return this.tokens[this.pos++];
  }
  skipEol(): void {
    while (this.peek()?.kind === 'eol') this.pos++;
  }
}

/** Parses statements until the matching '}' (opener given), or the end of the opener's file. */
function parseBlockBody(cursor: Cursor, opener: Statement | null, depth: number): Statement[] {
  const out: Statement[] = [];
  for (;;) {
    cursor.skipEol();
    const tok = cursor.next();
    if (tok === undefined || (tok.kind === 'end' && opener !== null && tok.file === opener.file)) {
      if (opener) throw new ConfigError(opener.file, opener.line, opener.keyword, "block opened here is never closed ('}' missing)");
      return out;
    }
    if (tok.kind === 'end') continue;
    if (tok.kind === 'close') {
      if (opener && tok.file === opener.file) return out;
      throw new ConfigError(tok.file, tok.line, '}', "unexpected '}' with no open block");
    }
    if (tok.kind === 'open') throw new ConfigError(tok.file, tok.line, '{', "'{' without a keyword before it");
    out.push(parseStatement(tok, cursor, depth));
  }
}

function parseStatement(first: Token, cursor: Cursor, depth: number): Statement {
  const stmt: Statement = { keyword: first.text, args: [], file: first.file, line: first.line, block: null };
  for (let tok = cursor.peek(); tok && tok.kind === 'word'; tok = cursor.peek()) {
    stmt.args.push(tok.text);
    cursor.next();
  }
  // A '{' on the same line, or alone on the following line of the same file, opens this statement's block.
  let look = cursor.pos;
  if (cursor.tokens[look]?.kind === 'eol') look++;
  const open = cursor.tokens[look];
  if (open?.kind === 'open' && open.file === stmt.file) {
    if (depth >= MAX_BLOCK_DEPTH) throw new ConfigError(stmt.file, stmt.line, stmt.keyword, `blocks nested deeper than ${MAX_BLOCK_DEPTH}`);
    cursor.pos = look + 1;
    stmt.block = parseBlockBody(cursor, stmt, depth + 1);
  }
  return stmt;
}
