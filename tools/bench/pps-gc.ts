// GC activity of the director under load: the DR director runs with --trace-gc, and the
// collections it logs in an idle window are compared with those in an equally long window at
// its no-drop rate (the data path should allocate nothing per packet).
import { median, progress, sleep, type BenchOptions } from './options.js';
import { startDirector, type CaseEnv } from './pps-cases.js';
import { probe, type Sink } from './pps-probe.js';
import type { PpsRound } from './pps-report.js';

export type GcResult = {
  seconds: number;
  rate: number;
  idle: { scavenge: number; markCompact: number };
  load: { scavenge: number; markCompact: number };
  loss: number;
  packets: number;
} | { error: string };

function countGc(text: string): { scavenge: number; markCompact: number } {
  return {
    scavenge: (text.match(/Scavenge/g) ?? []).length,
    markCompact: (text.match(/Mark-Compact|Mark-sweep/g) ?? []).length,
  };
}

function diff(a: { scavenge: number; markCompact: number }, b: { scavenge: number; markCompact: number }) {
  return { scavenge: b.scavenge - a.scavenge, markCompact: b.markCompact - a.markCompact };
}

export async function measureGc(env: CaseEnv, sink: Sink, gen: string, o: BenchOptions, rounds: PpsRound[]): Promise<GcResult> {
  const drRates = rounds.map((r) => r.get('dr')).flatMap((r) => (r && 'rate' in r && r.rate > 0 ? [r.rate] : []));
  const rate = drRates.length > 0 ? median(drRates) : 100_000;
  const seconds = o.quick ? 0.5 : 10;
  progress(`gc: director DR with --trace-gc, ${seconds} s idle then ${seconds} s at ${(rate / 1e6).toFixed(3)} Mpps`);
  const running = await startDirector({ ...env, nodeFlags: ['--trace-gc'] }, 'DR');
  try {
    const ctx = { lab: env.lab, gen, sink, target: running.target };
    await probe(ctx, 20_000, 0.3);
    await sleep(500);
    const text = async (): Promise<string> => running.stdout!();
    const t0 = await text();
    await sleep(seconds * 1000);
    const t1 = await text();
    const p = await probe(ctx, rate, seconds);
    const t2 = await text();
    const idle = diff(countGc(t0), countGc(t1));
    const load = diff(countGc(t1), countGc(t2));
    progress(`  idle: ${idle.scavenge} scavenges, ${idle.markCompact} mark-compacts; load: ${load.scavenge} scavenges, ${load.markCompact} mark-compacts; loss ${(p.loss * 100).toFixed(2)}%`);
    return { seconds, rate: p.offered, idle, load, loss: p.loss, packets: p.sent };
  } finally {
    await running.stop();
  }
}
