// Turns keepalived.conf text into tokens with line numbers, following keepalived's own rules for
// comments ('#' or '!' anywhere outside quotes), escapes ('\#', '\!'), quotes and line continuation.

export type TokenKind = 'word' | 'open' | 'close' | 'eol';

export interface Token {
  kind: TokenKind;
  /** The word without quotes; '{', '}' or '' for eol. */
  text: string;
  /** 1-based line of the token's first character. */
  line: number;
  /** True when the word was written in double quotes (so '{' inside is a word, not a block). */
  quoted: boolean;
}

/** A lexical error (unterminated quote), positioned; the loader turns it into a ConfigError. */
export class LexError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'LexError';
  }
}

/** Longest word accepted (PATH_MAX): longer ones are refused, never echoed whole in a message. */
export const MAX_WORD_CHARS = 4096;
/** How much of an unterminated quoted string its error message shows. */
const QUOTE_ECHO_CHARS = 40;

/** Splits text into words, braces and end-of-line markers (one 'eol' per logical line). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  // A UTF-8 byte order mark (editors on Windows write one) is not part of the first keyword.
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n/);
  let pending = '';
  let pendingLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    // A line ending in an unescaped backslash continues on the next (keepalived does the same).
    if (/(^|[^\\])\\$/.test(raw) && i + 1 < lines.length) {
      if (pending === '') pendingLine = i + 1;
      pending += raw.slice(0, -1) + ' ';
      continue;
    }
    const startLine = pending === '' ? i + 1 : pendingLine;
    tokenizeLine(pending + raw, startLine, tokens);
    pending = '';
  }
  return tokens;
}

function tokenizeLine(line: string, lineNo: number, out: Token[]): void {
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
      out.push({ kind: ch === '{' ? 'open' : 'close', text: ch, line: lineNo, quoted: false });
      emitted = true;
      pos++;
      continue;
    }
    const word = readWord(line, pos, lineNo);
    out.push({ kind: 'word', text: word.text, line: lineNo, quoted: word.quoted });
    emitted = true;
    pos = word.end;
  }
  if (emitted) out.push({ kind: 'eol', text: '', line: lineNo, quoted: false });
}

/** Reads one word starting at pos: a run of non-blank, non-brace characters, or a quoted string. */
function readWord(line: string, start: number, lineNo: number): { text: string; end: number; quoted: boolean } {
  if (line[start] === '"') {
    const close = line.indexOf('"', start + 1);
    if (close < 0) throw new LexError(lineNo, `unterminated quote: ${shorten(line.slice(start))}`);
    checkLength(close - start - 1, lineNo);
    return { text: line.slice(start + 1, close), end: close + 1, quoted: true };
  }
  let text = '';
  let pos = start;
  while (pos < line.length) {
    if (pos - start > MAX_WORD_CHARS) checkLength(wordEnd(line, pos) - start, lineNo);
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

function checkLength(chars: number, lineNo: number): void {
  if (chars > MAX_WORD_CHARS) throw new LexError(lineNo, `a word of ${chars} characters (at most ${MAX_WORD_CHARS})`);
}

function shorten(text: string): string {
  const keep = QUOTE_ECHO_CHARS + 1; // the quote and what follows it
  return text.length <= keep ? text : `${text.slice(0, keep)}... (${text.length} characters)`;
}
