// Builds the benchmark's C programs (generator, sink, reference forwarders, tc drop program)
// with the system compiler into .bench-tmp/, once per source change.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const TMP = path.join(ROOT, '.bench-tmp');
const SRC = path.join(__dirname, 'c');

interface Program {
  name: string;
  source: string;
  argv: (src: string, out: string) => string[];
  /** What the program needs that may be missing (a Debian package name). */
  needs?: string;
}

const cc = (libs: string[] = []) => (src: string, out: string): string[] =>
  ['cc', '-O2', '-Wall', '-o', out, src, ...libs];

const PROGRAMS: Program[] = [
  { name: 'gen', source: 'gen.c', argv: cc() },
  { name: 'sink', source: 'sink.c', argv: cc() },
  { name: 'fwd_tpacket', source: 'fwd_tpacket.c', argv: cc() },
  { name: 'fwd_xdp', source: 'fwd_xdp.c', argv: cc(['-lxdp', '-lbpf']), needs: 'libxdp-dev libbpf-dev' },
  {
    name: 'tc_drop.o', source: 'tc_drop.bpf.c', needs: 'clang',
    argv: (src, out) => ['clang', '-O2', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', out],
  },
];

/** Builds what is stale; returns the path of each program, or the reason it could not be built. */
export function buildPrograms(): Map<string, { path: string } | { error: string }> {
  mkdirSync(TMP, { recursive: true });
  const out = new Map<string, { path: string } | { error: string }>();
  for (const p of PROGRAMS) {
    const src = path.join(SRC, p.source);
    const bin = path.join(TMP, p.name);
    const stale = !existsSync(bin) || statSync(bin).mtimeMs < Math.max(statSync(src).mtimeMs, statSync(path.join(SRC, 'common.h')).mtimeMs);
    if (!stale) { out.set(p.name, { path: bin }); continue; }
    const [file, ...args] = p.argv(src, bin);
    try {
      execFileSync(file!, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      out.set(p.name, { path: bin });
    } catch (e) {
      const msg = String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').slice(0, 3).join(' ');
      out.set(p.name, { error: `${p.name} did not build${p.needs ? ` (needs ${p.needs})` : ''}: ${msg}` });
    }
  }
  return out;
}

export function programPath(built: Map<string, { path: string } | { error: string }>, name: string): string {
  const b = built.get(name);
  if (!b) throw new Error(`no program ${name}`);
  if ('error' in b) throw new Error(b.error);
  return b.path;
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The director and table processes run compiled code from dist/ (plain node, no tsx in the
 * loop); recompiles when a source under src/ or tools/bench/ is newer than the compiled bench.
 */
export function ensureDist(log: (line: string) => void): void {
  const marker = path.join(ROOT, 'dist/tools/bench/director-proc.js');
  const newest = Math.max(newestTs(path.join(ROOT, 'src')), newestTs(__dirname));
  if (existsSync(marker) && statSync(marker).mtimeMs >= newest) return;
  log('compiling TypeScript into dist/ (tsc -p tsconfig.json)');
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'ignore', timeout: 180_000 });
  } catch {
    // tsc exits non-zero on type errors anywhere in the tree but still emits; only a missing
    // output is fatal.
  }
  if (!existsSync(marker)) throw new Error('dist/tools/bench/director-proc.js was not produced; run npm run build');
}

/**
 * The addon can be missing for a moment while someone rebuilds it in this shared tree; wait
 * (bounded) rather than fail a case that runs the director.
 */
export async function waitForAddon(timeoutMs = 120_000): Promise<void> {
  const addon = path.join(ROOT, 'build/Release/director_native.node');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(addon)) {
    if (Date.now() > deadline) throw new Error(`${addon} is missing; run npm run build`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
