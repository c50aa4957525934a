// Writes one benchmark case's results into BENCHMARKS.md between its own markers, leaving
// every other case's section alone, and describes the machine the numbers came from.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let FILE = path.resolve(__dirname, '../../BENCHMARKS.md');

/** Sends every section to another file (quick runs must not overwrite the full run's numbers). */
export function useReportFile(file: string): void {
  FILE = file;
}

export function reportFile(): string {
  return FILE;
}
const HEADER = '# Benchmarks\n\nNumbers measured on this project\'s machines; each section says how to reproduce it.\n';

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} CPUs (nproc), ${cpu}; Linux ${os.release()}; Node ${process.version}`;
}

/** Replaces (or appends) the section between <!-- bench:NAME --> and <!-- /bench:NAME -->. */
export function writeSection(name: string, markdown: string): void {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${markdown.trimEnd()}\n${close}`;
  mkdirSync(path.dirname(FILE), { recursive: true });
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + close.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, text.endsWith('\n') ? text : `${text}\n`);
}
