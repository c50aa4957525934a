// Reads `adm -R` input (what `adm -S` or ipvsadm-save wrote): one command line per line, each
// parsed like a command line, the whole input checked before anything is applied.

import { AdmUsageError, EDIT_KINDS, type AdmCommand } from './commands.js';
import type { Names } from './names.js';
import { parseAdm } from './parse.js';

/** The words of one input line: '#' starts a comment, a leading "ipvsadm" is dropped as ipvsadm does. */
function lineWords(line: string): string[] {
  const words: string[] = [];
  for (const word of line.split(/[ \t\r]+/)) {
    if (word.startsWith('#')) break;
    if (word !== '') words.push(word);
  }
  return words[0] === 'ipvsadm' ? words.slice(1) : words;
}

/**
 * Every command of the input, in order. Blank and comment lines are skipped; a line that does not
 * parse, or that only reads (-L, -S) or restores again, fails the whole input naming its line.
 */
export function parseRestore(text: string, names: Names): AdmCommand[] {
  const commands: AdmCommand[] = [];
  text.split('\n').forEach((line, index) => {
    const words = lineWords(line);
    if (words.length === 0) return;
    let command: AdmCommand;
    try {
      command = parseAdm(words, names);
    } catch (err) {
      if (!(err instanceof AdmUsageError)) throw err;
      throw new AdmUsageError(`line ${index + 1}: ${err.message}`);
    }
    if (!EDIT_KINDS.has(command.kind)) {
      throw new AdmUsageError(`line ${index + 1}: ${words.join(' ')}: only commands that change the table can be restored`);
    }
    commands.push(command);
  });
  return commands;
}
