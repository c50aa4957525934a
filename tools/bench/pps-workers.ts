// Benchmark case "pps-workers": the no-drop rate of 64-byte UDP through the director in DR, one
// worker against two, side by side in one lab (rounds alternate). The generator sends 4,096 flows
// from 16 client addresses, so the fanout steering (by client address) has something to split.
// On a 2-CPU machine the second worker shares CPU 0 with the generator and the sink: the figure
// says what two workers give here, not on a machine with cores to spare (docs/workers.md).
import { fmtSpread, progress, spread, today, type BenchOptions } from './options.js';
import { startDirector, type CaseEnv } from './pps-cases.js';
import { CPU } from './pps-lab.js';
import { noDropRate, probe, Sink, type ProbeContext } from './pps-probe.js';
import { ppsSettings, withPpsRig } from './pps.js';
import { machineLine, writeSection } from './report.js';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const FLOWS = 4096;
/** The fixed rate at which each director's CPU per packet is measured (well below any no-drop rate seen here). */
const CPU_RATE = 20_000;
const CPU_SECONDS = 4;

/** utime + stime of a process (all its threads), in ns; /proc counts hundredths of a second. */
function processCpuNs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e7;
}

interface Variant { name: string; args: string[]; cpus?: string }

const VARIANTS: Variant[] = [
  { name: '1 worker (CPU 1)', args: [] },
  { name: '2 workers (CPUs 0-1)', args: ['--workers', '2'], cpus: '0,1' },
];

interface Measured { rate: number; genLimited: boolean; shares: string; cpuNsPerPacket: number }

async function measure(env: CaseEnv, sink: Sink, gen: string, v: Variant, guess: number, o: BenchOptions): Promise<Measured> {
  const s = ppsSettings(o);
  const running = await startDirector(env, 'DR', v.args, { flows: FLOWS, ...(v.cpus ? { cpus: v.cpus } : {}) });
  try {
    const ctx: ProbeContext = { lab: env.lab, gen, sink, target: running.target };
    await probe(ctx, 20_000, 0.3);
    // The director's own CPU (every thread; the receive softirq is charged to whichever task it
    // interrupts, mostly not ours) per packet forwarded at a rate both placements carry.
    const cpu0 = processCpuNs(running.pid!);
    const fixed = await probe(ctx, CPU_RATE, CPU_SECONDS);
    const cpuNsPerPacket = (processCpuNs(running.pid!) - cpu0) / Math.max(1, fixed.received);
    const r = await noDropRate(ctx, { guess, max: s.max, seconds: s.seconds, maxProbes: s.maxProbes, step: s.step, confirm: s.confirm, log: progress });
    const stats = running.stats ? await running.stats() : undefined;
    const workers = (stats?.workers ?? []) as Array<{ rxFrames: number }>;
    return { rate: r.rate, genLimited: r.genLimited, shares: workers.map((w) => w.rxFrames).join('/'), cpuNsPerPacket };
  } finally {
    await running.stop();
  }
}

export async function runPpsWorkersBench(o: BenchOptions): Promise<void> {
  const rounds = o.quick ? 1 : 3;
  const results = VARIANTS.map(() => [] as number[]);
  const cpu = VARIANTS.map(() => [] as number[]);
  const notes: string[] = [];
  const loads: number[] = [];
  await withPpsRig(async ({ sink, env, gen }) => {
    for (let round = 0; round < rounds; round++) {
      for (const [i, v] of VARIANTS.entries()) {
        loads.push(os.loadavg()[0]!);
        progress(`pps-workers round ${round + 1}/${rounds}: ${v.name}`);
        const r = await measure(env, sink, gen, v, results[i]!.at(-1) ?? 250_000, o);
        results[i]!.push(r.rate);
        cpu[i]!.push(r.cpuNsPerPacket);
        if (r.genLimited) notes.push(`${v.name} round ${round + 1} generator-limited`);
        if (r.shares) notes.push(`${v.name} round ${round + 1}: frames per worker ${r.shares}`);
        progress(`  ${(r.rate / 1e6).toFixed(3)} Mpps no-drop${r.genLimited ? ' (generator-limited)' : ''}`);
      }
    }
  });
  const ratio = spread(results[1]!.map((two, k) => two / results[0]![k]!));
  const md = [
    `## Packets per second, one worker against two (\`pps-workers\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- pps-workers${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}; load average (1 min) ${fmtSpread(spread(loads), 1)}.`,
    '',
    `The pps lab (generator and sink on CPU ${CPU.gen}, the DUT's receive softirq on CPU ${CPU.dutRx}), director DR on AF_PACKET, ${FLOWS} flows`,
    'from 16 client addresses; no-drop rate (loss <= 0.1%), rounds alternating, median (min-max). With two workers the',
    'director may use both CPUs; its second worker then competes with the generator and the sink on CPU 0.',
    '',
    `CPU per packet: the director process's CPU time (all threads) over the packets forwarded at ${CPU_RATE / 1000} kpps for ${CPU_SECONDS} s.`,
    '',
    '| director | no-drop Mpps | CPU µs per packet |',
    '|---|---|---|',
    ...VARIANTS.map((v, i) => `| ${v.name} | ${fmtSpread(spread(results[i]!), 3, 1e-6)} | ${fmtSpread(spread(cpu[i]!), 2, 1e-3)} |`),
    '',
    `Two workers over one: ${fmtSpread(ratio, 2)}×.${notes.length ? ` Notes: ${notes.join('; ')}.` : ''}`,
  ].join('\n');
  writeSection('pps-workers', md);
  progress('section pps-workers written');
}
