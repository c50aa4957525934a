// Builds the benchmark's C programs (generator, sink, reference forwarders, tc drop program)
// with the system compiler into .bench-tmp/, once per source change.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
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
