// Benchmark case "ppscpu": CPU time per forwarded packet at one fixed offered rate, the C
// TPACKET_V3 reference against the director in each method, side by side in rounds. A no-drop
// search depends on how often other work steals the DUT CPU; the forwarder's own on-CPU time per
// packet at a rate every forwarder sustains depends much less on it, so it is the figure to
// decide optimisations by on a shared machine (the no-drop ratios of `pps` are the targets).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fmtSpread, median, progress, spread, today, type BenchOptions } from './options.js';
import { PPS_CASES, type PpsCase } from './pps-cases.js';
import { probe } from './pps-probe.js';
import { withPpsRig } from './pps.js';
import { machineLine, writeSection } from './report.js';

// The block-ring rows show what the per-frame default pays per packet for its latency.
const CASE_NAMES = ['c-tpacket', 'dr', 'nat', 'tun', 'fnat', 'dr-block', 'nat-block'] as const;

/** On-CPU nanoseconds of every thread of pid so far (schedstat: exact, unlike tick-based stat). */
export function taskCpuNs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch { /* thread ended meanwhile */ }
  }
  return ns;
}

interface Sample { nsPerPacket: number; loss: number }

export async function runPpsCpuBench(o: BenchOptions): Promise<void> {
  const rounds = o.quick ? 1 : 5;
  const seconds = o.quick ? 1 : 3;
  const rate = 150_000;
  // A directory to keep a perf record of the DUT CPU per case and round in (for reading the
  // kernel's share by symbol); unset: no perf.
  const perfDir = process.env.DIRECTOR_BENCH_PERF;
  const cases = CASE_NAMES.map((n) => PPS_CASES.find((c) => c.name === n)!) as PpsCase[];
  const samples = new Map<string, Sample[]>(CASE_NAMES.map((n) => [n, []]));
  const loads: number[] = [];
  await withPpsRig(async ({ lab, sink, env, gen }) => {
    for (let r = 0; r < rounds; r++) {
      for (const c of cases) {
        const running = await c.start(env);
        try {
          const ctx = { lab, gen, sink, target: running.target };
          await probe(ctx, 20_000, 0.3);
          const pid = running.pid!;
          const perf = perfDir ? spawn('perf', ['record', '-q', '-p', String(pid), '-g', '-o', path.join(perfDir, `${c.name}-${r}.data`), '--', 'sleep', String(seconds)], { stdio: 'ignore' }) : null;
          const t0 = taskCpuNs(pid);
          const p = await probe(ctx, rate, seconds);
          const cpu = taskCpuNs(pid) - t0;
          if (perf) await new Promise((res) => perf.once('exit', res));
          loads.push(loadavg()[0]!);
          samples.get(c.name)!.push({ nsPerPacket: cpu / Math.max(1, p.received), loss: p.loss });
          progress(`ppscpu round ${r + 1}/${rounds} ${c.name}: ${(cpu / Math.max(1, p.received)).toFixed(0)} ns/packet, loss ${(p.loss * 100).toFixed(2)}%`);
        } finally {
          await running.stop();
        }
      }
    }
  });
  const ref = samples.get('c-tpacket')!;
  const rows = cases.map((c) => {
    const s = samples.get(c.name)!;
    const ratios = s.map((x, i) => ref[i]!.nsPerPacket / x.nsPerPacket);
    return `| ${c.title} | ${fmtSpread(spread(s.map((x) => x.nsPerPacket)), 0)} | ${fmtSpread(spread(ratios), 2)} | ${(Math.max(...s.map((x) => x.loss)) * 100).toFixed(2)}% |`;
  });
  const md = [
    `## CPU per forwarded packet at a fixed rate (\`ppscpu\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- ppscpu${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}. Load average during the run: ${fmtSpread(spread(loads), 1)}.`,
    '',
    `The pps lab and placement; each forwarder in turn gets ${rate / 1000}k 64-byte UDP frames/s for ${seconds} s, ${rounds} round(s).`,
    'CPU: on-CPU time of all the forwarder process\'s threads (/proc/PID/task/*/schedstat; system calls included,',
    'the receive softirq not) per frame the sink received. "× C (CPU)": the C reference\'s CPU per packet over this',
    'one\'s, paired per round (1.00 = as cheap as the reference). Median (min-max) over rounds.',
    '',
    '| forwarder | CPU ns per packet | × C (CPU) | worst loss |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
  writeSection('ppscpu', md);
  progress(`section ppscpu written (median C ${median(ref.map((x) => x.nsPerPacket)).toFixed(0)} ns/packet)`);
}
