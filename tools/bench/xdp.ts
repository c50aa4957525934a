// Benchmark case "xdp": the director's AF_XDP port against the C AF_XDP forwarder on one lab,
// round after round. Two figures per forwarder and round: the no-drop rate (as in "pps"), and
// the CPU time spent per forwarded packet at one fixed rate both keep up with. The second is the
// one to trust on a shared machine: a stall from other work costs a no-drop search a whole
// probe, but barely moves CPU per packet.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { run } from '../../src/lab/netns.js';
import { fmtSpread, median, progress, spread, today, verdict, type BenchOptions } from './options.js';
import { PPS_CASES, type CaseEnv, type PpsCase } from './pps-cases.js';
import type { PpsLab } from './pps-lab.js';
import { MAX_LOSS, noDropRate, probe, Sink, type ProbeContext } from './pps-probe.js';
import { ppsSettings, withPpsRig } from './pps.js';
import { machineLine, writeSection } from './report.js';

/** Offered rate of the CPU-per-packet probe: below both forwarders' no-drop rates here. */
const CPU_RATE = 60_000;
const NAMES = ['c-xdp', 'dr-xdp'] as const;

interface XdpResult {
  rate: number;
  genLimited: boolean;
  /** CPU ns per packet the sink received, forwarder process plus the DUT's NAPI threads. */
  cpuNs: number;
  cpuLoss: number;
  load: [number, number];
  note?: string;
  /** The failing probe at the lowest rate, which bounded the search: frames lost, and how many of them the DUT's veth refused. */
  bound?: { rate: number; lost: number; refused: number };
}
type Round = Map<string, XdpResult | { error: string }>;

/** Run time of every thread of pid, in ns (schedstat's first field). */
function taskNs(pid: number): number {
  let sum = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try { sum += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
    }
  } catch { /* process gone */ }
  return sum;
}

/** The DUT interface's NAPI kernel threads (threaded NAPI, set up by the AF_XDP cases). */
async function napiPids(lab: PpsLab): Promise<number[]> {
  const want = `napi/${lab.dutIf}-`.slice(0, 15);
  const ps = await run('ps', ['-eo', 'pid=,comm=']);
  return ps.split('\n').map((l) => l.trim().split(/\s+/)).filter(([, c]) => c?.startsWith(want)).map(([p]) => Number(p));
}

async function runOne(env: CaseEnv, sink: Sink, gen: string, c: PpsCase, o: BenchOptions, guess: number): Promise<XdpResult> {
  const s = ppsSettings(o);
  const load0 = os.loadavg()[0]!;
  const running = await c.start(env);
  try {
    if (!running.pid) throw new Error('no pid for the forwarder');
    const ctx: ProbeContext = { lab: env.lab, gen, sink, target: running.target };
    await probe(ctx, 20_000, 0.3);
    const pids = [running.pid, ...(await napiPids(env.lab))];
    const cpu0 = pids.reduce((a, p) => a + taskNs(p), 0);
    const fixed = await probe(ctx, CPU_RATE, o.quick ? 1 : 3);
    const cpu1 = pids.reduce((a, p) => a + taskNs(p), 0);
    if (fixed.loss > 0.5 && running.stats) progress(`  ${c.name} lost ${(fixed.loss * 100).toFixed(0)}% at ${CPU_RATE / 1e3}k pps; its port: ${JSON.stringify((await running.stats()).port)}`);
    const r = await noDropRate(ctx, { guess, max: s.max, seconds: s.seconds, maxProbes: s.maxProbes, step: s.step, confirm: s.confirm, log: progress });
    const failed = r.probes.filter((p) => p.loss > MAX_LOSS).sort((a, b) => a.offered - b.offered)[0];
    return {
      ...(failed ? { bound: { rate: failed.offered, lost: Math.max(0, failed.sent - failed.received), refused: failed.dutRingDrops } } : {}),
      rate: r.rate, genLimited: r.genLimited, cpuNs: fixed.received > 0 ? (cpu1 - cpu0) / fixed.received : NaN,
      cpuLoss: fixed.loss, load: [load0, os.loadavg()[0]!], ...(running.note ? { note: running.note } : {}),
    };
  } finally {
    await running.stop();
  }
}

export async function runXdpBench(o: BenchOptions): Promise<void> {
  const rounds: Round[] = [];
  const cases = NAMES.map((n) => PPS_CASES.find((c) => c.name === n)!);
  await withPpsRig(async ({ sink, env, gen }) => {
    const guesses = new Map<string, number>();
    for (let round = 0; round < ppsSettings(o).rounds; round++) {
      const results: Round = new Map();
      for (const c of cases) {
        progress(`xdp round ${round + 1}: ${c.title}`);
        try {
          const r = await runOne(env, sink, gen, c, o, guesses.get(c.name) ?? 250_000);
          if (r.rate > 0) guesses.set(c.name, r.rate);
          results.set(c.name, r);
          progress(`  ${c.name}: ${(r.rate / 1e6).toFixed(3)} Mpps no-drop, ${(r.cpuNs / 1000).toFixed(2)} µs CPU/packet at ${CPU_RATE / 1e3}k pps, load ${r.load.map((x) => x.toFixed(1)).join('->')}`);
        } catch (e) {
          results.set(c.name, { error: e instanceof Error ? e.message : String(e) });
          progress(`  ${c.name}: failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      rounds.push(results);
    }
  });
  writeXdpReport(rounds, o);
  progress('section xdp written');
}

const ok = (r: XdpResult | { error: string } | undefined): r is XdpResult => r !== undefined && 'rate' in r;

function paired(rounds: Round[], f: (a: XdpResult, b: XdpResult) => number): number[] {
  return rounds.flatMap((r) => {
    const d = r.get('dr-xdp');
    const c = r.get('c-xdp');
    return ok(d) && ok(c) ? [f(d, c)] : [];
  }).filter(Number.isFinite);
}

function writeXdpReport(rounds: Round[], o: BenchOptions): void {
  const rows = rounds.flatMap((r, i) => NAMES.map((n) => {
    const x = r.get(n);
    if (!ok(x)) return `| ${i + 1} | ${n} | failed: ${x?.error ?? 'not run'} | | | | |`;
    const bound = x.bound ? `lost ${x.bound.lost} at ${(x.bound.rate / 1e6).toFixed(3)} Mpps, ${x.bound.refused} of them refused by the DUT's veth` : '';
    return `| ${i + 1} | ${n} | ${(x.rate / 1e6).toFixed(3)}${x.genLimited ? ' (generator-limited)' : ''} | ${(x.cpuNs / 1000).toFixed(2)} (loss ${(x.cpuLoss * 100).toFixed(2)}%) | ${bound} | ${x.load.map((l) => l.toFixed(1)).join('-')} | ${x.note ?? ''} |`;
  }));
  const rate = spread(paired(rounds, (d, c) => d.rate / c.rate));
  const cpu = spread(paired(rounds, (d, c) => d.cpuNs / c.cpuNs));
  const loads = rounds.flatMap((r) => NAMES.map((n) => r.get(n)).filter(ok).flatMap((x) => x.load));
  // Where the reference cannot hold the fixed CPU rate without loss, stalls from other work on
  // the machine decide the no-drop search, not the forwarders: no verdict is given then.
  const cMedian = median(rounds.map((r) => r.get('c-xdp')).filter(ok).map((x) => x.rate));
  const resolved = cMedian >= CPU_RATE;
  const rateVerdict = resolved ? verdict(rate.median, 0.9) : `not resolved: the C reference's median no-drop rate is below ${CPU_RATE / 1e3}k pps (machine load)`;
  const md = [
    `## The AF_XDP port against the C AF_XDP forwarder (\`xdp\`)${o.quick ? ' — QUICK RUN (one short run, not for comparison)' : ''}`,
    '',
    `Command: \`npm run bench -- xdp${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}.`,
    `Load average (1 min) during the run: ${loads.length ? `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}` : 'n/a'}.`,
    '',
    'The pps lab and placement (see `pps`): per round the C forwarder (`tools/bench/c/fwd_xdp.c`) then the director (DR,',
    '`--io xdp`), each with the veth\'s NAPI threaded and pinned to the DUT CPU. Per forwarder: CPU time per packet the sink',
    `received while offered ${CPU_RATE / 1e3}k pps for ${o.quick ? 1 : 3} s (the forwarder's threads plus the NAPI threads, from`,
    '/proc schedstat; includes the kernel work done on their behalf), then the no-drop search of the `pps` case.',
    '',
    '| round | forwarder | no-drop Mpps | CPU µs/packet | where the search stopped | load | notes |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| target (issue 13, item 3) | median (min-max) of per-round ratios | |',
    '|---|---|---|',
    `| director AF_XDP no-drop ≥ 0.9 × C AF_XDP | ${fmtSpread(rate, 2)} | ${rateVerdict} |`,
    `| CPU per packet, director / C (lower is better) | ${fmtSpread(cpu, 2)} | |`,
    '',
    `Median no-drop: C ${(cMedian / 1e6).toFixed(3)} Mpps, director ${(median(rounds.map((r) => r.get('dr-xdp')).filter(ok).map((x) => x.rate)) / 1e6).toFixed(3)} Mpps.`,
  ].join('\n');
  writeSection('xdp', md);
}
