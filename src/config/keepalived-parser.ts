// Builds the statement tree of a keepalived.conf (keyword, arguments, optional `{ }` block), with
// `include` directives replaced by the statements of the files they match.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, type ConfigWarning } from './model.js';
import { LexError, tokenize, type Token } from './keepalived-lexer.js';
import { expandInclude, hasWildcard } from './keepalived-include.js';

export interface Statement {
  keyword: string;
  args: string[];
  file: string;
  line: number;
  /** Statements inside `{ }`, or null when the keyword had no block. */
  block: Statement[] | null;
}

/** Include nesting deeper than this is treated as a cycle. */
const MAX_INCLUDE_DEPTH = 16;
/**
 * Blocks nested deeper than this are refused (keepalived's own deepest is 4: virtual_server,
 * real_server, HTTP_GET, url), so hostile nesting meets a positioned error, not the stack limit.
 */
const MAX_BLOCK_DEPTH = 32;

interface ParseContext {
  warnings: ConfigWarning[];
  /** Real paths of the files being read, outermost first (cycle detection). */
  stack: string[];
}

/** Reads a file (and everything it includes) into statements; warnings go to `warnings`. */
export function parseFile(file: string, warnings: ConfigWarning[]): Statement[] {
  return readFileStatements(file, { warnings, stack: [] }, null);
}

/** Parses text already in memory; `include` resolves relative to the directory of `file`. */
export function parseText(text: string, file: string, warnings: ConfigWarning[]): Statement[] {
  return parseTokens(lex(text, file), file, { warnings, stack: [path.resolve(file)] });
}

function readFileStatements(file: string, ctx: ParseContext, from: Statement | null): Statement[] {
  let text: string;
  let real: string;
  try {
    text = fs.readFileSync(file, 'utf8');
    real = fs.realpathSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    if (from) throw new ConfigError(from.file, from.line, 'include', `cannot read '${file}' (${reason})`);
    // Line 1: the position every message carries, here the file as a whole.
    throw new ConfigError(file, 1, 'file', `cannot read the configuration file (${reason})`);
  }
  if (from && ctx.stack.includes(real)) {
    throw new ConfigError(from.file, from.line, 'include', `'${file}' includes itself (cycle)`);
  }
  if (ctx.stack.length >= MAX_INCLUDE_DEPTH) {
    throw new ConfigError(from?.file ?? file, from?.line ?? 0, 'include', `nesting deeper than ${MAX_INCLUDE_DEPTH}`);
  }
  ctx.stack.push(real);
  try {
    return parseTokens(lex(text, file), file, ctx);
  } finally {
    ctx.stack.pop();
  }
}

function lex(text: string, file: string): Token[] {
  try {
    return tokenize(text);
  } catch (err) {
    if (err instanceof LexError) throw new ConfigError(file, err.line, 'syntax', err.detail);
    throw err;
  }
}

/** A cursor over one file's tokens. */
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

function parseTokens(tokens: Token[], file: string, ctx: ParseContext): Statement[] {
  const cursor = new Cursor(tokens);
  return parseBlockBody(cursor, file, ctx, null, 0);
}

/** Parses statements until the matching '}' (opener given) or the end of the tokens. */
function parseBlockBody(cursor: Cursor, file: string, ctx: ParseContext, opener: Statement | null, depth: number): Statement[] {
  const out: Statement[] = [];
  for (;;) {
    cursor.skipEol();
    const tok = cursor.next();
    if (!tok) {
      if (opener) throw new ConfigError(file, opener.line, opener.keyword, "block opened here is never closed ('}' missing)");
      return out;
    }
    if (tok.kind === 'close') {
      if (opener) return out;
      throw new ConfigError(file, tok.line, '}', "unexpected '}' with no open block");
    }
    if (tok.kind === 'open') throw new ConfigError(file, tok.line, '{', "'{' without a keyword before it");
    const stmt = parseStatement(tok, cursor, file, ctx, depth);
    if (stmt.keyword === 'include' && !stmt.block) out.push(...includeStatements(stmt, ctx));
    else out.push(stmt);
  }
}

function parseStatement(first: Token, cursor: Cursor, file: string, ctx: ParseContext, depth: number): Statement {
  const stmt: Statement = { keyword: first.text, args: [], file, line: first.line, block: null };
  for (let tok = cursor.peek(); tok && tok.kind === 'word'; tok = cursor.peek()) {
    stmt.args.push(tok.text);
    cursor.next();
  }
  // A '{' on the same line, or alone on the following line, opens this statement's block.
  let look = cursor.pos;
  if (cursor.tokens[look]?.kind === 'eol') look++;
  if (cursor.tokens[look]?.kind === 'open') {
    if (depth >= MAX_BLOCK_DEPTH) throw new ConfigError(file, stmt.line, stmt.keyword, `blocks nested deeper than ${MAX_BLOCK_DEPTH}`);
    cursor.pos = look + 1;
    stmt.block = parseBlockBody(cursor, file, ctx, stmt, depth + 1);
  }
  return stmt;
}

function includeStatements(stmt: Statement, ctx: ParseContext): Statement[] {
  const pattern = stmt.args[0];
  if (!pattern || stmt.args.length > 1) {
    throw new ConfigError(stmt.file, stmt.line, 'include', 'expects exactly one file name or glob pattern');
  }
  const files = expandInclude(pattern, path.dirname(stmt.file));
  if (files.length === 0) {
    if (!pattern.split('/').some(hasWildcard)) {
      throw new ConfigError(stmt.file, stmt.line, 'include', `'${pattern}' does not exist`);
    }
    ctx.warnings.push({
      file: stmt.file,
      line: stmt.line,
      keyword: 'include',
      message: `${stmt.file}:${stmt.line}: include: no file matches '${pattern}'`,
    });
    return [];
  }
  return files.flatMap((f) => readFileStatements(f, ctx, stmt));
}
