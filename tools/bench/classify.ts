// Benchmark case "classify": frames per second through a director on an in-memory port (native
// parse and rewrite, TypeScript classification, no syscalls), for established DR and NAT flows
// and for new connections; each measurement in a fresh node process, median of several.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { ROOT } from './cbuild.js';
import { fmtSpread, progress, spread, today, type BenchOptions } from './options.js';
import { machineLine, writeSection } from './report.js';

const SCRIPT = path.join(ROOT, 'dist/tools/bench/classify-proc.js');

const CASES = [
  { mode: 'dr', flows: 16_384, label: 'DR, established flows (one ACK per flow per round)' },
  { mode: 'nat', flows: 16_384, label: 'NAT, established flows (half client packets, half replies)' },
  { mode: 'new', flows: 131_072, label: 'DR, new connections (every frame a SYN of a new flow)' },
  { mode: 'newnat', flows: 131_072, label: 'NAT, new connections (every frame a SYN of a new flow)' },
] as const;

interface ProcResult {
  pps: number;
  cpuNsPerFrame: number;
  gcPerMFrames: number;
  window?: { frames: number; connPerSec: number; scavenges: number; markCompacts: number; gcMs: number };
}

function runProc(mode: string, flows: number): ProcResult {
  // New connections: the young generation held to 1 MiB, so that garbage made per connection
  // shows as scavenges within the window (at the default size a window this long can fit in it).
  const flags = mode.startsWith('new') ? ['--max-semi-space-size=1'] : [];
  const out = execFileSync(process.execPath, [...flags, SCRIPT, mode, String(flows)], { timeout: 300_000, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as ProcResult;
}

export async function runClassifyBench(o: BenchOptions): Promise<void> {
  const runs = o.quick ? 1 : 7;
  const rows: string[] = [];
  const windows: string[] = [];
  const loads: number[] = [];
  for (const c of CASES) {
    progress(`classify: ${c.mode}, ${c.flows} flows, ${runs} process(es)`);
    const rs: ProcResult[] = [];
    for (let i = 0; i < runs; i++) {
      rs.push(runProc(c.mode, o.quick ? c.flows / 8 : c.flows));
      loads.push(loadavg()[0]!);
    }
    const col = (f: (r: ProcResult) => number, digits: number, scale = 1): string => fmtSpread(spread(rs.map(f)), digits, scale);
    rows.push(`| ${c.label} | ${c.flows.toLocaleString('en')} | ${col((r) => r.pps, 3, 1e-6)} | ${col((r) => r.cpuNsPerFrame, 0)} | ${col((r) => r.gcPerMFrames, 1)} |`);
    const w = rs.flatMap((r) => (r.window ? [r.window] : []));
    if (w.length > 0) {
      const wc = (f: (x: NonNullable<ProcResult['window']>) => number, digits: number, scale = 1): string => fmtSpread(spread(w.map(f)), digits, scale);
      windows.push(`| ${c.label} | ${w[0]!.frames.toLocaleString('en')} | ${col((r) => r.pps, 0, 1e-3)} | ${wc((x) => x.connPerSec, 0, 1e-3)} | ${wc((x) => x.scavenges, 0)} | ${wc((x) => x.markCompacts, 0)} | ${wc((x) => x.gcMs, 1)} |`);
    }
  }
  const md = [
    `## Classifier throughput on a memory port (\`classify\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- classify${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}. Load average (1 min) during the run: ${fmtSpread(spread(loads), 1)}.`,
    '',
    'A data plane on an in-memory port (test/support/memory-plane.ts, composed as Director.start() does) gets prebuilt 64-byte TCP frames in',
    'batches of 256 through `inject()`: native parse, the TypeScript classifier, native rewrite and the',
    'memory port\'s transmit, no system calls. Established cases: the median of 20 rounds over all flows',
    'after one warm-up round; new connections: one pass after a warm-up pass over as many other flows.',
    `Median (min-max) of ${runs} fresh node processes; a run with any drop fails. Mfps: million frames per second`,
    '(wall clock); CPU ns: the process\'s user + system time per frame, steadier than wall clock on a shared machine;',
    'GC: garbage collections per million frames during the measurement (0 when nothing is allocated per frame).',
    '',
    '| case | flows | Mfps | CPU ns per frame | GC per M frames |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'New connections, GC over a fixed window: the window is the measured pass (every SYN a new flow, each making a',
    'connection; persistence off), with the clock at wall-clock magnitude and sequence numbers over all 32 bits, so',
    'a time or number boxed per connection would show, and the young generation held to 1 MiB',
    '(`--max-semi-space-size=1`), so that every MiB of garbage is a scavenge. Collections counted by kind',
    '(PerformanceObserver `gc`). test/unit/new-conn-alloc.test.ts asserts the same in bytes per connection.',
    '',
    '| case | SYNs in the window | SYN/s (k) | conn/s (k) | scavenges | mark-compacts | GC ms |',
    '|---|---|---|---|---|---|---|',
    ...windows,
  ].join('\n');
  writeSection('classify', md);
  progress('section classify written');
}
