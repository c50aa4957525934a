// Benchmark case "pps-workers": the no-drop rate of 64-byte UDP through the director in DR, one
// worker against two, side by side in one lab (rounds alternate). The generator sends 4,096 flows
// from 16 client addresses, so the fanout steering (by client address) has something to split.
// On a 2-CPU machine the second worker shares CPU 0 with the generator and the sink: the figure
// says what two workers give here, not on a machine with cores to spare (docs/workers.md).
import { Cleanup } from '../../src/lab/cleanup.js';
import { buildPrograms, programPath } from './cbuild.js';
import { fmtSpread, progress, spread, today, type BenchOptions } from './options.js';
import { startDirector, type CaseEnv } from './pps-cases.js';
import { createPpsLab, CPU } from './pps-lab.js';
import { noDropRate, probe, Sink, type ProbeContext } from './pps-probe.js';
import { caseEnv, ppsSettings } from './pps.js';
import { machineLine, writeSection } from './report.js';
import os from 'node:os';

const FLOWS = 4096;

interface Variant { name: string; args: string[]; cpus?: string }

const VARIANTS: Variant[] = [
  { name: '1 worker (CPU 1)', args: [] },
  { name: '2 workers (CPUs 0-1)', args: ['--workers', '2'], cpus: '0,1' },
];

async function measure(env: CaseEnv, sink: Sink, gen: string, v: Variant, guess: number, o: BenchOptions): Promise<{ rate: number; genLimited: boolean; shares: string }> {
  const s = ppsSettings(o);
  const running = await startDirector(env, 'DR', v.args, { flows: FLOWS, ...(v.cpus ? { cpus: v.cpus } : {}) });
  try {
    const ctx: ProbeContext = { lab: env.lab, gen, sink, target: running.target };
    await probe(ctx, 20_000, 0.3);
    const r = await noDropRate(ctx, { guess, max: s.max, seconds: s.seconds, maxProbes: s.maxProbes, resolution: s.resolution, confirm: s.confirm, log: progress });
    const stats = running.stats ? await running.stats() : undefined;
    const workers = (stats?.workers ?? []) as Array<{ rxFrames: number }>;
    return { rate: r.rate, genLimited: r.genLimited, shares: workers.map((w) => w.rxFrames).join('/') };
  } finally {
    await running.stop();
  }
}

export async function runPpsWorkersBench(o: BenchOptions): Promise<void> {
  const rounds = o.quick ? 1 : 3;
  const built = buildPrograms();
  const cleanup = new Cleanup();
  const results = VARIANTS.map(() => [] as number[]);
  const notes: string[] = [];
  const loads: number[] = [];
  try {
    const lab = await createPpsLab(cleanup);
    const sink = await Sink.start(lab, programPath(built, 'sink'));
    const env = caseEnv(lab, built);
    const gen = programPath(built, 'gen');
    for (let round = 0; round < rounds; round++) {
      for (const [i, v] of VARIANTS.entries()) {
        loads.push(os.loadavg()[0]!);
        progress(`pps-workers round ${round + 1}/${rounds}: ${v.name}`);
        const r = await measure(env, sink, gen, v, results[i]!.at(-1) ?? 250_000, o);
        results[i]!.push(r.rate);
        if (r.genLimited) notes.push(`${v.name} round ${round + 1} generator-limited`);
        if (r.shares) notes.push(`${v.name} round ${round + 1}: frames per worker ${r.shares}`);
        progress(`  ${(r.rate / 1e6).toFixed(3)} Mpps no-drop${r.genLimited ? ' (generator-limited)' : ''}`);
      }
    }
    await sink.stop();
  } finally {
    await cleanup.run();
  }
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
    '| director | no-drop Mpps |',
    '|---|---|',
    ...VARIANTS.map((v, i) => `| ${v.name} | ${fmtSpread(spread(results[i]!), 3, 1e-6)} |`),
    '',
    `Two workers over one: ${fmtSpread(ratio, 2)}×.${notes.length ? ` Notes: ${notes.join('; ')}.` : ''}`,
  ].join('\n');
  writeSection('pps-workers', md);
  progress('section pps-workers written');
}
