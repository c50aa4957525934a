// Puts warnings in the order their lines are read: file by file as includes splice them in, line
// by line within a file, whatever order the converters that found them ran in.

import type { ConfigWarning } from './model.js';
import type { Statement } from './keepalived-parser.js';

/** Statement lines of one file: [line, position in the whole read], sorted by line then position. */
type FileLines = Array<[number, number]>;

/** Sorts warnings in place by where their line stands in the read (stable for equal places). */
export function sortWarnings(statements: readonly Statement[], warnings: ConfigWarning[]): void {
  const byFile = new Map<string, FileLines>();
  let position = 0;
  const walk = (list: readonly Statement[]): void => {
    for (const s of list) {
      let lines = byFile.get(s.file);
      if (lines === undefined) byFile.set(s.file, (lines = []));
      lines.push([s.line, position++]);
      if (s.block) walk(s.block);
    }
  };
  walk(statements);
  for (const lines of byFile.values()) lines.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const keyed = warnings.map((w, i) => ({ w, i, at: placeOf(byFile.get(w.file), w.line) }));
  keyed.sort((a, b) => a.at - b.at || a.i - b.i);
  keyed.forEach((k, i) => (warnings[i] = k.w));
}

/**
 * Where a file:line stands: at the first statement read from that line, else just after the
 * nearest statement above it (a closing brace follows what it closes), else just before the
 * file's first statement.
 */
function placeOf(lines: FileLines | undefined, line: number): number {
  if (lines === undefined || lines.length === 0) return Number.MAX_SAFE_INTEGER;
  const sorted = lines;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]![0] <= line) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return sorted[0]![1] - 0.5;
  const [found, pos] = sorted[lo - 1]!;
  if (found !== line) return pos + 0.5;
  let first = lo - 1;
  while (first > 0 && sorted[first - 1]![0] === line) first--;
  return sorted[first]![1];
}
