// Splits an adm command line into options and leftover arguments the way popt does for ipvsadm:
// combined short options (-Ln), attached values (-w5, --weight=5), and -p's optional timeout.
// util.parseArgs cannot express an optional value, hence this small dedicated scanner.

import { AdmUsageError } from './commands.js';
import { longOption, shortOption, type OptionDef } from './options.js';

export interface OptionToken {
  def: OptionDef;
  /** The value, or null for a flag (or -p given without a timeout). */
  value: string | null;
  /** How the user wrote it, for messages: "-p", "--weight". */
  spelled: string;
}

export interface ScannedArgv {
  options: OptionToken[];
  /** Words that are not options or their values, in order (--set's timeouts). */
  leftovers: string[];
}

/** Scans argv (without the program name). Unknown options and missing values are usage errors. */
export function scanArgv(argv: readonly string[]): ScannedArgv {
  const out: ScannedArgv = { options: [], leftovers: [] };
  let i = 0;
  while (i < argv.length) {
    const word = argv[i++] as string;
    if (word === '--') {
      out.leftovers.push(...argv.slice(i));
      break;
    }
    if (word.startsWith('--')) {
      i = scanLong(word, argv, i, out);
    } else if (word.startsWith('-') && word.length > 1) {
      i = scanShortCluster(word, argv, i, out);
    } else {
      out.leftovers.push(word);
    }
  }
  return out;
}

function scanLong(word: string, argv: readonly string[], next: number, out: ScannedArgv): number {
  const eq = word.indexOf('=');
  const name = word.slice(2, eq < 0 ? undefined : eq);
  const def = longOption(name);
  const spelled = `--${name}`;
  if (def === undefined) throw new AdmUsageError(`${spelled}: unknown option`);
  if (eq >= 0) {
    if (def.arg === 'none') throw new AdmUsageError(`${spelled}: option does not take an argument`);
    out.options.push({ def, value: word.slice(eq + 1), spelled });
    return next;
  }
  return takeValue(def, spelled, argv, next, out);
}

/** `-Lnc` is -L -n -c; an option with a value takes the rest of the word (-w5) or the next word. */
function scanShortCluster(word: string, argv: readonly string[], next: number, out: ScannedArgv): number {
  for (let k = 1; k < word.length; k++) {
    const letter = word[k] as string;
    const def = shortOption(letter);
    const spelled = `-${letter}`;
    if (def === undefined) throw new AdmUsageError(`${spelled}: unknown option`);
    const rest = word.slice(k + 1);
    if (def.arg !== 'none' && rest !== '') {
      out.options.push({ def, value: rest, spelled });
      return next;
    }
    if (def.arg !== 'none') return takeValue(def, spelled, argv, next, out);
    out.options.push({ def, value: null, spelled });
  }
  return next;
}

/**
 * The value from the next word. A required value takes it whatever it is (popt does); an
 * optional one (-p) only when it does not start with '-', so `-p -s rr` is -p without timeout.
 */
function takeValue(def: OptionDef, spelled: string, argv: readonly string[], next: number, out: ScannedArgv): number {
  const candidate = argv[next];
  if (def.arg === 'none' || (def.arg === 'optional' && (candidate === undefined || candidate.startsWith('-')))) {
    out.options.push({ def, value: null, spelled });
    return next;
  }
  if (candidate === undefined) throw new AdmUsageError(`${spelled}: missing argument`);
  out.options.push({ def, value: candidate, spelled });
  return next + 1;
}
