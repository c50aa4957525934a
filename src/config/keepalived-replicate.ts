// keepalived's replicated lines: `~SEQ(VAR, START, STEP, END) TEXT` (also ~SEQx, hexadecimal)
// and `~LST(VAR, V1, V2 ...) TEXT` or `~LST({A, B}, {1, 2}, {3, 4}) TEXT` read as TEXT once per
// value with VAR (or A and B) defined to it. Several on one line nest, the first one outermost.

/** One replication: how many rounds, the definitions of round i, and the text each round reads. */
export interface Replication {
  count: number;
  round(i: number): Array<[string, string]>;
  text: string;
}

export class ReplicationError extends Error {}

/** Rounds one ~SEQ may have before it is refused (a typo in END would otherwise fill the memory). */
const MAX_ROUNDS = 1_000_000;

/** Parses a line starting ~SEQ or ~LST; `substitute` replaces definitions inside ~SEQ's numbers. */
export function parseReplication(line: string, substitute: (text: string) => string): Replication {
  if (line.startsWith('~SEQ')) return seq(line, substitute);
  return lst(line);
}

function seq(line: string, substitute: (text: string) => string): Replication {
  const hex = line[4] === 'x';
  const m = /^~SEQx?[ \t]*\([ \t]*([^ \t,)]+)[ \t]*,([^)]*)\)[ \t]*(.*)$/.exec(line);
  if (m === null || m[1]!.startsWith('{')) throw new ReplicationError('~SEQ expects (VAR, [START,] [STEP,] END) then the text');
  const numbers = substitute(m[2]!).split(',').map((n) => n.trim());
  if (numbers.length > 3 || numbers.some((n) => !/^[-+]?(0x[0-9a-f]+|\d+)$/i.test(n))) {
    throw new ReplicationError('~SEQ values must be 1 to 3 whole numbers (END, START END, or START STEP END)');
  }
  const [start, step, end] = seqValues(numbers.map(cNumber));
  if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) throw new ReplicationError('~SEQ step 0 or pointing away from END');
  if (hex && (start < 0 || end < 0)) throw new ReplicationError('~SEQx is only valid for positive numbers');
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_ROUNDS) throw new ReplicationError(`~SEQ of ${count} rounds (at most ${MAX_ROUNDS})`);
  // Rounds are made as they are read: a nested ~SEQ is parsed again in every outer round.
  const round = (i: number): Array<[string, string]> => {
    const v = start + i * step;
    return [[m[1]!, hex ? v.toString(16) : String(v)]];
  };
  return { count, round, text: m[3]! };
}

/** keepalived's defaults: END alone counts from 1 (or -1); START END steps by 1 towards END. */
function seqValues(n: number[]): [number, number, number] {
  if (n.length === 1) {
    const end = n[0]!;
    return [end < 0 ? -1 : 1, end < 1 ? -1 : 1, end];
  }
  if (n.length === 2) return [n[0]!, n[0]! <= n[1]! ? 1 : -1, n[1]!];
  return [n[0]!, n[1]!, n[2]!];
}

/** strtol with base 0: 0x.. hexadecimal, a leading 0 octal, else decimal. */
function cNumber(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.replace(/^[-+]/, '');
  if (/^0x/i.test(digits)) return sign * parseInt(digits.slice(2), 16);
  if (/^0[0-7]+$/.test(digits)) return sign * parseInt(digits, 8);
  return sign * parseInt(digits, 10);
}

function lst(line: string): Replication {
  const open = /^~LST[ \t]*\(/.exec(line);
  if (open === null) throw new ReplicationError('~LST expects (VAR, V1, V2 ...) or ({A, B}, {1, 2} ...) then the text');
  const body = splitGroups(line, open[0].length);
  const [vars, ...sets] = body.groups;
  if (vars === undefined || sets.length === 0 || vars.some((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) {
    throw new ReplicationError('~LST needs variable names and at least one value');
  }
  const rounds = sets.map((values) => {
    if (values.length > vars.length) throw new ReplicationError('~LST has more values in a set than variables');
    return vars.map((name, i): [string, string] => [name, values[i] ?? '']);
  });
  return { count: rounds.length, round: (i) => rounds[i]!, text: line.slice(body.end).replace(/^[ \t]+/, '') };
}

/**
 * The comma-separated items after '(' up to ')': each a bare word or a '{...}' set of words.
 * Without braces, the variable is the first item and each value after it a set of one.
 */
function splitGroups(line: string, from: number): { groups: string[][]; end: number } {
  const close = line.indexOf(')', from);
  if (close < 0) throw new ReplicationError("~LST misses its ')'");
  const inner = line.slice(from, close);
  const groups: string[][] = [];
  const re = /[ \t]*(?:\{([^}]*)\}|([^,{}]*))[ \t]*(,|$)/y;
  let match: RegExpExecArray | null;
  while (re.lastIndex < inner.length && (match = re.exec(inner)) !== null) {
    const words = (match[1] ?? match[2] ?? '').split(',').map((w) => w.trim());
    if (match[1] === undefined && words.some((w) => w === '' || /[ \t]/.test(w))) throw new ReplicationError('~LST values are single words');
    groups.push(words);
    if (match[3] === '') break;
  }
  if (re.lastIndex < inner.length) throw new ReplicationError('~LST items must be words or {words}');
  return { groups, end: close + 1 };
}
