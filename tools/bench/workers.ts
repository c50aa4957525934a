// Benchmark case "workers": the data path on one worker against two, side by side, on memory
// ports (tools/bench/workers-proc.ts: one data plane per thread, clients split by the fanout
// steering). Pairs alternate (1 then 2 workers) in fresh processes; each pair gives a ratio.
// Two ratios: wall clock (what this shared machine gave) and capacity (each thread's frames
// per CPU second, summed: what the threads forward with a core each).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './cbuild.js';
import { fmtSpread, progress, spread, today, type BenchOptions } from './options.js';
import { machineLine, writeSection } from './report.js';

const SCRIPT = path.join(ROOT, 'dist/tools/bench/workers-proc.js');
const MODES = [
  { mode: 'dr', label: 'DR, established flows' },
  { mode: 'nat', label: 'NAT, established flows (half replies)' },
  { mode: 'fnat', label: 'FULLNAT, established flows (half replies)' },
] as const;

interface Run { pps: number; capacity: number; cpuNsPerFrame: number[]; blocked: number }

function runProc(mode: string, workers: number, flows: number, rounds: number): Run {
  const out = execFileSync(process.execPath, [SCRIPT, mode, String(workers), String(flows), String(rounds)], { timeout: 300_000, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

export async function runWorkersBench(o: BenchOptions): Promise<void> {
  const pairs = o.quick ? 1 : 5;
  const flows = o.quick ? 4096 : 16_384;
  const rounds = o.quick ? 10 : 40;
  const rows: string[] = [];
  const loads: number[] = [];
  for (const m of MODES) {
    progress(`workers: ${m.mode}, ${pairs} pairs of 1 and 2 workers`);
    const one: Run[] = [];
    const two: Run[] = [];
    for (let p = 0; p < pairs; p++) {
      loads.push(os.loadavg()[0]!);
      one.push(runProc(m.mode, 1, flows, rounds));
      two.push(runProc(m.mode, 2, flows, rounds));
    }
    const wall = spread(two.map((t, i) => t.pps / one[i]!.pps));
    const capacity = spread(two.map((t, i) => t.capacity / one[i]!.capacity));
    const ns = (rs: Run[]): string => fmtSpread(spread(rs.flatMap((r) => r.cpuNsPerFrame)), 0);
    const blocked = fmtSpread(spread(two.map((r) => r.blocked * 100)), 1);
    rows.push(`| ${m.label} | ${fmtSpread(spread(one.map((r) => r.pps)), 3, 1e-6)} | ${fmtSpread(spread(two.map((r) => r.pps)), 3, 1e-6)} | ${fmtSpread(wall, 2)} | ${ns(one)} | ${ns(two)} | ${blocked} | ${fmtSpread(capacity, 2)} |`);
  }
  loads.push(os.loadavg()[0]!);
  const load = spread(loads);
  const md = [
    `## One worker against two, memory ports (\`workers\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- workers${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}; load average (1 min) during the run ${fmtSpread(load, 1)}.`,
    '',
    `Each thread runs a data plane on its own memory port (as a worker does: own engine, connection table, scheduler,`,
    `FULLNAT port share) over the clients the fanout steering gives it; ${flows.toLocaleString('en')} established flows, one client address each,`,
    `${rounds} rounds of 64-byte TCP frames in batches of 256, all threads released at once (tools/bench/workers-proc.ts).`,
    `${pairs} pairs, 1 then 2 workers, each in a fresh process; ratios are per pair, median (min-max). Mfps: frames per second over all threads,`,
    'wall clock. CPU ns: each thread\'s own CPU time per frame (/proc/thread-self/schedstat). Blocked: the largest share of a thread\'s wall time',
    'it was neither running nor waiting for a CPU (2 workers; 0 means the threads never wait on each other). Capacity ratio: the sum of each thread\'s frames per',
    'CPU second, 2 workers over 1: the speed-up with a core per worker, which this shared machine cannot give when other work runs.',
    '',
    '| case | 1 worker Mfps | 2 workers Mfps | wall ratio | 1 worker CPU ns/frame | 2 workers CPU ns/frame | 2 workers blocked % | capacity ratio |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  writeSection('workers', md);
  progress('section workers written');
}
