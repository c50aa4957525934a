// Turns the logical lines of a keepalived.conf (as the reader gives them) into tokens with file and
// line, following keepalived's own rules for comments ('#' or '!' anywhere outside quotes), escapes
// ('\#', '\!'), quotes, and director's line continuation (a trailing '\' within one file).

import type { SourceItem } from './keepalived-reader.js';

/** 'end': the end of a file, so that a block cannot run from one file into the next. */
export type TokenKind = 'word' | 'open' | 'close' | 'eol' | 'end';

export interface Token {
  kind: TokenKind;
  /** The word without quotes; '{', '}' or '' for eol and end. */
  text: string;
  file: string;
  /** 1-based line of the token's first character. */
  line: number;
  /** True when the word was written in double quotes (so '{' inside is a word, not a block). */
  quoted: boolean;
}

/** A lexical error (unterminated quote), positioned; the loader turns it into a ConfigError. */
export class LexError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'LexError';
  }
}

/** Longest word accepted (PATH_MAX): longer ones are refused, never echoed whole in a message. */
export const MAX_WORD_CHARS = 4096;
/** How much of an unterminated quoted string its error message shows. */
const QUOTE_ECHO_CHARS = 40;

/** Splits lines into words, braces and end-of-line markers (one 'eol' per logical line). */
export function tokenize(items: readonly SourceItem[]): Token[] {
  const tokens: Token[] = [];
  let pending = '';
  let pendingLine = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === 'end') {
      tokens.push({ kind: 'end', text: '', file: item.file, line: item.line, quoted: false });
      continue;
    }
    const next = items[i + 1];
    // A line ending in an unescaped backslash continues on the next line of the same file.
    if (/(^|[^\\])\\$/.test(item.text) && next?.kind === 'line' && next.file === item.file) {
      if (pending === '') pendingLine = item.line;
      pending += item.text.slice(0, -1) + ' ';
      continue;
    }
    const startLine = pending === '' ? item.line : pendingLine;
    tokenizeLine(pending + item.text, item.file, startLine, tokens);
    pending = '';
  }
  return tokens;
}

function tokenizeLine(line: string, file: string, lineNo: number, out: Token[]): void {
  let pos = 0;
  let emitted = false;
  while (pos < line.length) {
    const ch = line[pos] as string;
    if (ch === ' ' || ch === '\t') {
      pos++;
      continue;
    }
    if (ch === '#' || ch === '!') break;
    if (ch === '{' || ch === '}') {
      out.push({ kind: ch === '{' ? 'open' : 'close', text: ch, file, line: lineNo, quoted: false });
      emitted = true;
      pos++;
      continue;
    }
    const word = readWord(line, pos, file, lineNo);
    out.push({ kind: 'word', text: word.text, file, line: lineNo, quoted: word.quoted });
    emitted = true;
    pos = word.end;
  }
  if (emitted) out.push({ kind: 'eol', text: '', file, line: lineNo, quoted: false });
}

/** Reads one word starting at pos: a run of non-blank, non-brace characters, or a quoted string. */
function readWord(line: string, start: number, file: string, lineNo: number): { text: string; end: number; quoted: boolean } {
  if (line[start] === '"') {
    const close = line.indexOf('"', start + 1);
    if (close < 0) throw new LexError(file, lineNo, `unterminated quote: ${shorten(line.slice(start))}`);
    checkLength(close - start - 1, file, lineNo);
    return { text: line.slice(start + 1, close), end: close + 1, quoted: true };
  }
  let text = '';
  let pos = start;
  while (pos < line.length) {
    if (pos - start > MAX_WORD_CHARS) checkLength(wordEnd(line, pos) - start, file, lineNo);
    const ch = line[pos] as string;
    if (ch === ' ' || ch === '\t' || ch === '{' || ch === '}' || ch === '#' || ch === '!') break;
    if (ch === '"') break;
    if (ch === '\\' && (line[pos + 1] === '#' || line[pos + 1] === '!')) {
      text += line[pos + 1];
      pos += 2;
      continue;
    }
    text += ch;
    pos++;
  }
  return { text, end: pos, quoted: false };
}

/** End of an unquoted word that starts before pos (only its length matters, for the message). */
function wordEnd(line: string, pos: number): number {
  const rest = line.slice(pos).search(/[ \t{}#!"]/);
  return rest < 0 ? line.length : pos + rest;
}

function checkLength(chars: number, file: string, lineNo: number): void {
  if (chars > MAX_WORD_CHARS) throw new LexError(file, lineNo, `a word of ${chars} characters (at most ${MAX_WORD_CHARS})`);
}

function shorten(text: string): string {
  const keep = QUOTE_ECHO_CHARS + 1; // the quote and what follows it
  return text.length <= keep ? text : `${text.slice(0, keep)}... (${text.length} characters)`;
}
