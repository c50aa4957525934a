// Benchmark case "profile": where the DR director's time goes at its no-drop rate. The
// director runs with --cpu-prof while the generator drives it for a fixed time, and perf
// samples both CPUs meanwhile (when perf works here); both are summarised into BENCHMARKS.md.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, TMP } from './cbuild.js';
import { progress, today, type BenchOptions } from './options.js';
import { FWD_CPU, startDirector } from './pps-cases.js';
import { noDropRate, probe } from './pps-probe.js';
import { withPpsRig } from './pps.js';
import { machineLine, writeSection } from './report.js';

interface ProfNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface CpuProfile { nodes: ProfNode[]; startTime: number; endTime: number; samples: number[] }

/** Self time per function, as a share of all samples. */
export function summariseCpuProfile(p: CpuProfile, top = 15): Array<{ name: string; share: number }> {
  const total = p.samples.length || 1;
  const byName = new Map<string, number>();
  const count = new Map<number, number>();
  for (const s of p.samples) count.set(s, (count.get(s) ?? 0) + 1);
  for (const n of p.nodes) {
    const hits = count.get(n.id) ?? 0;
    if (hits === 0) continue;
    const file = n.callFrame.url ? path.basename(n.callFrame.url) : '';
    const name = `${n.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${n.callFrame.lineNumber + 1}` : ''}`;
    byName.set(name, (byName.get(name) ?? 0) + hits);
  }
  return [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, hits]) => ({ name, share: hits / total }));
}

function perfWorks(): boolean {
  try {
    execFileSync('perf', ['record', '-o', '/dev/null', '-q', '--', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function perfReport(file: string, args: string[], keep: (line: string) => boolean = () => true): string[] {
  const out = execFileSync('perf', ['report', '-i', file, '--stdio', '--no-children', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  // JIT symbols carry the script's absolute path: shown relative to the checkout.
  return out.split('\n').filter((l) => /^\s+\d+\.\d+%/.test(l) && keep(l)).slice(0, 15)
    .map((l) => l.trim().replace(/\s+/g, ' ').replaceAll(`${ROOT}/`, ''));
}

export async function runProfileBench(o: BenchOptions): Promise<void> {
  const seconds = o.quick ? 1 : 10;
  const dir = path.join(TMP, `profile-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let cpu: Array<{ name: string; share: number }> = [];
  let perfLines: PerfLines | null = null;
  let rate = 0;
  let pid = 0;
  const perfFile = path.join(dir, 'perf.data');
  await withPpsRig(async ({ lab, sink, env, gen }) => {
    // --perf-basic-prof: node writes /tmp/perf-PID.map, so perf names the JIT-compiled functions.
    const running = await startDirector({ ...env, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--perf-basic-prof'] }, 'DR');
    pid = running.pid ?? 0;
    try {
      const ctx = { lab, gen, sink, target: running.target };
      await probe(ctx, 20_000, 0.3);
      // Quick runs skip the search and profile at a fixed moderate rate.
      const r = o.quick ? { rate: 100_000 } : await noDropRate(ctx, { guess: 150_000, max: 1.6e6, seconds: 1, maxProbes: 5, step: 20_000, log: progress });
      rate = r.rate || 100_000;
      progress(`profile: ${seconds} s of DR at ${(rate / 1e6).toFixed(3)} Mpps with --cpu-prof${perfWorks() ? ' and perf' : ''}`);
      const perf = perfWorks() ? spawn('perf', ['record', '-a', '-g', '-o', perfFile, '--', 'sleep', String(seconds)], { stdio: 'ignore' }) : null;
      await probe(ctx, rate, seconds);
      if (perf) await new Promise((res) => perf.once('exit', res));
    } finally {
      await running.stop(); // the profile is written when the process exits
    }
  });
  const prof = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (prof) cpu = summariseCpuProfile(JSON.parse(readFileSync(path.join(dir, prof), 'utf8')) as CpuProfile);
  if (existsSync(perfFile)) {
    perfLines = {
      byComm: perfReport(perfFile, ['--sort', 'comm,dso']), byDso: perfReport(perfFile, ['--pid', String(pid), '--sort', 'dso']),
      bySym: perfReport(perfFile, ['--pid', String(pid), '--sort', 'dso,sym']),
      userSym: perfReport(perfFile, ['--pid', String(pid), '--sort', 'dso,sym'], (l) => !l.includes('[kernel.kallsyms]')),
    };
  }
  rmSync(`/tmp/perf-${pid}.map`, { force: true });
  writeProfile(o, rate, seconds, cpu, perfLines);
  rmSync(dir, { recursive: true, force: true });
  progress('section profile written');
}

/** perf's summaries: all processes by command and object; the director by object, by symbol, and its user-space symbols only. */
interface PerfLines { byComm: string[]; byDso: string[]; bySym: string[]; userSym: string[] }

function writeProfile(o: BenchOptions, rate: number, seconds: number, cpu: Array<{ name: string; share: number }>, perf: PerfLines | null): void {
  const md = [
    `## Profile of the DR director under load (\`profile\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- profile${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}.`,
    '',
    `The pps lab's DR director on its TPACKET port (same placement as the pps case: director on CPU ${FWD_CPU.director}, receive softirq on CPU 1) at ${(rate / 1e6).toFixed(3)} Mpps for ${seconds} s.`,
    'Note: --cpu-prof counts the addon\'s uv_poll callback, the batch handler it calls included, as "(idle)"; perf sees it, and names the JIT-compiled',
    'functions too (the director runs with --perf-basic-prof): see the user-space list at the end.',
    '',
    '### node --cpu-prof, self time of the director process (top functions)',
    '',
    '| share | function |',
    '|---|---|',
    ...(cpu.length ? cpu.map((c) => `| ${(c.share * 100).toFixed(1)}% | \`${c.name}\` |`) : ['| | no profile written |']),
    '',
    '### perf record -a -g (both CPUs, all processes on the machine), by command and object',
    '',
    ...(perf ? ['```', ...perf.byComm, '```', '', 'The director process alone (its pid), by object (kernel vs JIT-compiled JavaScript vs addon vs node):', '', '```', ...perf.byDso, '```', '', 'and by symbol:', '', '```', ...perf.bySym, '```',
      '', 'and by symbol in user space only (JavaScript as `JS:*name file:line`, the addon as `director::...`):', '', '```', ...perf.userSym, '```']
      : ['perf is not usable here (perf record failed).']),
  ].join('\n');
  writeSection('profile', md);
}
