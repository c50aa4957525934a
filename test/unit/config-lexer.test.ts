// Tokenizer tests: keepalived's comment, quote, escape and continuation rules.
import { strict as assert } from 'node:assert';
import { tokenize as tokenizeItems, LexError } from '../../src/config/keepalived-lexer.js';

/** The lexer over the lines of one file, as the reader hands them over. */
function tokenize(text: string) {
  return tokenizeItems(text.split('\n').map((t, i) => ({ kind: 'line' as const, text: t, file: 'f.conf', line: i + 1 })));
}

function words(text: string): string[] {
  return tokenize(text).map((t) => (t.kind === 'eol' ? '\\n' : t.text));
}

describe('keepalived lexer', () => {
  const cases: Array<[string, string, string[]]> = [
    ['words and braces', 'virtual_server 198.19.0.100 80 {\n}', ['virtual_server', '198.19.0.100', '80', '{', '\\n', '}', '\\n']],
    ['# comment to end of line', 'weight 3 # three\n', ['weight', '3', '\\n']],
    ['! comment to end of line', '! whole line\nweight 2 ! two', ['weight', '2', '\\n']],
    ['comment starts mid-word', 'abc#def ghi', ['abc', '\\n']],
    ['escaped comment characters', 'a\\#b c\\!d', ['a#b', 'c!d', '\\n']],
    ['quoted string keeps blanks and comment chars', 'notify "/bin/x # y { }"', ['notify', '/bin/x # y { }', '\\n']],
    ['braces glued to words', 'a{b}c', ['a', '{', 'b', '}', 'c', '\\n']],
    ['blank and comment-only lines give no tokens', '\n   \n# x\n! y\n', []],
    ['continuation joins lines', 'a b \\\n c', ['a', 'b', 'c', '\\n']],
    ['tabs separate', 'a\tb', ['a', 'b', '\\n']],
  ];
  for (const [title, text, expected] of cases) {
    it(title, () => assert.deepEqual(words(text), expected));
  }

  it('numbers lines from 1, continuation lines from their first line', () => {
    const lines = tokenize('a\n\nb \\\nc\nd').filter((t) => t.kind === 'word').map((t) => [t.text, t.line]);
    assert.deepEqual(lines, [['a', 1], ['b', 3], ['c', 3], ['d', 5]]);
  });

  it('marks quoted words so "{" in quotes is not a block', () => {
    const toks = tokenize('x "{"');
    assert.equal(toks[1]?.kind, 'word');
    assert.equal(toks[1]?.quoted, true);
  });

  it('rejects an unterminated quote with its line', () => {
    assert.throws(() => tokenize('a\nb "open'), (e: unknown) => e instanceof LexError && e.line === 2 && /unterminated quote/.test(e.message));
  });
});
