// Benchmark case "pps": the no-drop rate of 64-byte UDP through each forwarder of PPS_CASES,
// all measured in one run on one lab, round after round (side by side), median of the rounds.
import { Cleanup } from '../../src/lab/cleanup.js';
import { buildPrograms, programPath } from './cbuild.js';
import { fmtLoad, watchLoad, type LoadSample } from './load.js';
import { progress, selected, type BenchOptions } from './options.js';
import { PPS_CASES, type CaseEnv, type PpsCase } from './pps-cases.js';
import { createPpsLab, type PpsLab } from './pps-lab.js';
import { noDropRate, probe, Sink, type ProbeContext, type SearchResult } from './pps-probe.js';
import { writePpsReport, type PpsRound } from './pps-report.js';
import { measureGc, type GcResult } from './pps-gc.js';

export interface PpsSettings {
  rounds: number;
  seconds: number;
  maxProbes: number;
  /** The search stops when passing and failing rates are this close (pps). */
  step: number;
  max: number;
  confirm: boolean;
}

export function ppsSettings(o: BenchOptions): PpsSettings {
  return o.quick
    ? { rounds: 1, seconds: 0.3, maxProbes: 9, step: 20_000, max: 1.6e6, confirm: false }
    : { rounds: 3, seconds: 2, maxProbes: 14, step: 20_000, max: 1.6e6, confirm: true };
}

export function caseEnv(lab: PpsLab, built: ReturnType<typeof buildPrograms>): CaseEnv {
  const opt = (name: string): string | null => {
    const b = built.get(name);
    return b && 'path' in b ? b.path : null;
  };
  return { lab, programs: { fwdTpacket: programPath(built, 'fwd_tpacket'), fwdXdp: opt('fwd_xdp'), tcDrop: opt('tc_drop.o') } };
}

/** What a packet-rate case measures in: the lab, its sink, the case environment, the generator. */
export interface PpsRig {
  lab: PpsLab;
  sink: Sink;
  env: CaseEnv;
  gen: string;
}

/**
 * Builds the C programs, the pps lab and its sink, runs fn in them, and removes everything
 * afterwards, also on failure or Ctrl-C (the lab's cleanup).
 */
export async function withPpsRig(fn: (rig: PpsRig) => Promise<void>): Promise<void> {
  const built = buildPrograms();
  for (const [name, b] of built) if ('error' in b) progress(`  ${name}: ${b.error}`);
  const cleanup = new Cleanup();
  try {
    const lab = await createPpsLab(cleanup);
    progress(`pps lab ${lab.prefix}: edge ${lab.edge}, dut ${lab.dut}`);
    const sink = await Sink.start(lab, programPath(built, 'sink'));
    await fn({ lab, sink, env: caseEnv(lab, built), gen: programPath(built, 'gen') });
    await sink.stop();
  } finally {
    await cleanup.run();
  }
}

/** Runs one case once: start, warm up (ARP, connections), search, stop. */
async function runCase(env: CaseEnv, sink: Sink, gen: string, c: PpsCase, s: PpsSettings, guess: number): Promise<SearchResult & { note?: string; stats?: Record<string, unknown>; load: LoadSample }> {
  const running = await c.start(env);
  try {
    const ctx: ProbeContext = { lab: env.lab, gen, sink, target: running.target, ...(running.stats ? { forwarder: running.stats } : {}) };
    const before = await sink.count();
    const warm = await probe(ctx, 20_000, 0.3); // warm-up: resolves neighbours and creates connections
    const seen = warm.sinkAfter.ipip > before.ipip ? `sink saw IPIP ${warm.sinkAfter.last}` : `sink saw UDP ${warm.sinkAfter.last}`;
    const done = watchLoad();
    const r = await noDropRate(ctx, { guess, max: s.max, seconds: s.seconds, maxProbes: s.maxProbes, step: s.step, confirm: s.confirm, log: progress });
    const load = done();
    const stats = running.stats ? await running.stats() : undefined;
    return { ...r, load, note: [running.note, seen].filter(Boolean).join(', '), ...(stats ? { stats } : {}) };
  } finally {
    await running.stop();
  }
}

export async function runPpsBench(o: BenchOptions): Promise<void> {
  const s = ppsSettings(o);
  const rounds: PpsRound[] = [];
  let gc: GcResult | null = null;
  await withPpsRig(async ({ sink, env, gen }) => {
    const guesses = new Map<string, number>();
    for (let round = 0; round < s.rounds; round++) {
      const results: PpsRound = new Map();
      for (const c of selected(PPS_CASES, o)) {
        progress(`pps round ${round + 1}/${s.rounds}: ${c.title}`);
        try {
          const r = await runCase(env, sink, gen, c, s, guesses.get(c.name) ?? 250_000);
          results.set(c.name, r);
          if (r.rate > 0) guesses.set(c.name, r.rate);
          progress(`  ${c.name}: ${(r.rate / 1e6).toFixed(3)} Mpps no-drop${r.genLimited ? ' (generator-limited)' : ''} (${fmtLoad([r.load])})`);
        } catch (e) {
          results.set(c.name, { error: e instanceof Error ? e.message : String(e) });
          progress(`  ${c.name}: failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      rounds.push(results);
    }
    gc = await measureGc(env, sink, gen, o, rounds).catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
  });
  writePpsReport(rounds, s, o, gc);
  progress('section pps written');
}
