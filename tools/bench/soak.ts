// `npm run bench -- soak` (issue 12, part 6): a director under constant load for 10 minutes keeps
// its memory and handles flat. Two labs run side by side (NAT and DR, each a `director run`
// process): the client opens RATE new connections a second (GET, Connection: close) and keeps
// LONG_FLOWS rate-limited downloads going nearly all along; every SAMPLE_S seconds the
// director's RSS (/proc/PID/status VmRSS), open descriptors (/proc/PID/fd) and connection table
// size are sampled. Verdict: the least-squares slope of RSS over the last 8 minutes.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForwardMethod } from '../../src/config/model.js';
import { Cleanup, makePrefix } from '../../src/lab/cleanup.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { HTTP_PORT, labTool, startRealServers } from '../../src/lab/services.js';
import { buildLab } from '../../src/lab/topology.js';
import { haConfig, startDirector, statsOf } from '../../test/support/ha-lab.js';
import { TMP } from './cbuild.js';
import { writeLineChart } from './chart.js';
import { progress, today, type BenchOptions } from './options.js';
import { machineLine, writeSection } from './report.js';

const MODES: ForwardMethod[] = ['nat', 'dr'];
const RATE = 50;
const LONG_FLOWS = 4;
const FLOW_BYTES_PER_S = 25_000;
const SAMPLE_S = 10;
/** The verdict looks at the samples after this warm-up (the table fills for TIME_WAIT's life first). */
const WARM_S = 120;
const QUICK_WARM_S = 10;

interface Sample {
  t: number;
  rssKiB: number;
  fds: number;
  conns: number;
}

interface SoakResult {
  mode: ForwardMethod;
  samples: Sample[];
  generator: Record<string, unknown>;
  flows: string[];
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

const lastJson = (p: NsProcess): Record<string, unknown> => {
  const line = p.stdout.trim().split('\n').pop() ?? '';
  try { return JSON.parse(line) as Record<string, unknown>; } catch { return { ok: false, error: line || `no output; ${p.stderr.trim()}` }; }
};

async function soakOne(mode: ForwardMethod, seconds: number, dir: string, cleanup: Cleanup): Promise<SoakResult> {
  const lab = await buildLab({ prefix: makePrefix('soak'), mode, servers: 2, cleanup });
  await startRealServers(lab, cleanup);
  const own = path.join(dir, mode);
  mkdirSync(own);
  const director = await startDirector(lab, 0, haConfig(lab, own), [], cleanup);
  const target = `${lab.vip}:${HTTP_PORT}`;
  // The long flows end about 20 s before the soak does, so each one's bytes are checked whole.
  const flowBytes = FLOW_BYTES_PER_S * Math.max(10, seconds - 20);
  const flows = Array.from({ length: LONG_FLOWS }, (_, i) => spawnInNamespace(lab.client.ns, [process.execPath,
    labTool('http-client.js'), 'download', '--target', target, '--bytes', String(flowBytes), '--rate', String(FLOW_BYTES_PER_S),
    '--seed', String(i + 1), '--timeout', String((seconds + 60) * 1000)]));
  for (const f of flows) cleanup.process(f);
  const generator = spawnInNamespace(lab.client.ns, [process.execPath, labTool('http-client.js'), 'rate', '--target', target,
    '--per-second', String(RATE), '--seconds', String(seconds), '--request-timeout', '5000', '--timeout', String((seconds + 30) * 1000)]);
  cleanup.process(generator);
  const samples: Sample[] = [];
  const t0 = Date.now();
  const sample = (): void => {
    const s: Sample = { t: (Date.now() - t0) / 1000, rssKiB: rssKiB(director.pid), fds: fdCount(director.pid), conns: statsOf(director).connections ?? 0 };
    samples.push(s);
    if (samples.length % 6 === 1) progress(`soak ${mode}: ${s.t.toFixed(0)} s, RSS ${(s.rssKiB / 1024).toFixed(1)} MiB, ${s.fds} fds, ${s.conns} connections`);
  };
  sample();
  while (generator.running) {
    await Promise.race([generator.exited, new Promise((r) => setTimeout(r, SAMPLE_S * 1000 - ((Date.now() - t0) % (SAMPLE_S * 1000))))]);
    if (generator.running && director.running) sample();
  }
  await Promise.all(flows.map((f) => f.exited));
  if (!director.running) throw new Error(`soak ${mode}: the director exited: ${director.stderr.trim().slice(-500)}`);
  await director.stop(5000);
  return { mode, samples, generator: lastJson(generator), flows: flows.map((f) => JSON.stringify(lastJson(f))) };
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : NaN;
}

function summary(r: SoakResult, warm: number): { row: string; verdict: string } {
  const late = r.samples.filter((s) => s.t >= warm);
  const perMin = slope(late.map((s) => [s.t / 60, s.rssKiB])); // KiB per minute
  const mean = late.reduce((a, s) => a + s.rssKiB, 0) / Math.max(1, late.length);
  const fds = late.map((s) => s.fds);
  const conns = late.map((s) => s.conns);
  const spanMin = late.length > 1 ? (late[late.length - 1]!.t - late[0]!.t) / 60 : 0;
  const growth = perMin * spanMin;
  // Flat: what the slope adds over the window is under 2% of the RSS (V8's heap breathes by a
  // few MiB; a falling slope is no leak), and the descriptors stay put.
  const flat = Number.isFinite(perMin) && growth < 0.02 * mean && Math.max(...fds) - Math.min(...fds) <= 2;
  const g = r.generator;
  const flowsOk = r.flows.filter((f) => f.includes('"ok":true')).length;
  const row = `| ${r.mode.toUpperCase()} | ${g.started ?? '?'} / ${g.succeeded ?? '?'} / ${g.failed ?? '?'} | ${flowsOk} of ${LONG_FLOWS} | ` +
    `${Math.min(...conns)}-${Math.max(...conns)} | ${(Math.min(...late.map((s) => s.rssKiB)) / 1024).toFixed(1)}-${(Math.max(...late.map((s) => s.rssKiB)) / 1024).toFixed(1)} | ` +
    `${perMin >= 0 ? '+' : ''}${perMin.toFixed(1)} KiB/min (${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(2)} MiB over ${spanMin.toFixed(1)} min, ${((100 * growth) / mean).toFixed(2)}%) | ` +
    `${Math.min(...fds)}-${Math.max(...fds)} | ${flat ? 'flat' : 'GROWS'} |`;
  return { row, verdict: flat ? 'flat' : 'GROWS' };
}

export async function runSoakBench(o: BenchOptions): Promise<void> {
  const seconds = o.quick ? 40 : 600;
  const warm = o.quick ? QUICK_WARM_S : WARM_S;
  const cleanup = new Cleanup();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'director-bench-soak-'));
  const load0 = os.loadavg();
  let results: SoakResult[];
  try {
    progress(`soak: ${MODES.join(' and ')} side by side for ${seconds} s, ${RATE} new connections/s and ${LONG_FLOWS} long flows each`);
    results = await Promise.all(MODES.map((m) => soakOne(m, seconds, dir, cleanup)));
  } finally {
    await cleanup.run();
    rmSync(dir, { recursive: true, force: true });
  }
  const load1 = os.loadavg();
  // The raw samples first: the run is long, and a report that fails to format loses nothing.
  mkdirSync(TMP, { recursive: true });
  writeFileSync(path.join(TMP, 'soak-samples.json'), JSON.stringify({ seconds, load0, load1, results }));
  const colours = ['#c0392b', '#2471a3'];
  // A quick run's report goes to a scratch file; its chart would overwrite the full run's.
  const chart = o.quick ? '(chart: full runs only)' : writeLineChart('soak-rss', `director RSS under constant load (${RATE} new conn/s + ${LONG_FLOWS} long flows)`,
    'seconds', 'RSS, MiB', results.map((r, i) => ({ label: r.mode.toUpperCase(), colour: colours[i]!, points: r.samples.map((s) => [s.t, s.rssKiB / 1024] as const) })));
  const rows = results.map((r) => summary(r, warm).row);
  const curve = results[0]!.samples.map((s, i) => {
    const cells = results.map((r) => {
      const x = r.samples[i];
      return x ? `${(x.rssKiB / 1024).toFixed(1)} | ${x.fds} | ${x.conns}` : ' |  | ';
    });
    return `| ${s.t.toFixed(0)} | ${cells.join(' | ')} |`;
  });
  const md = [
    `## Soak: RSS and handles under constant load (\`soak\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- soak${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}; load average ` +
      `${load0.map((l) => l.toFixed(1)).join(' ')} at the start, ${load1.map((l) => l.toFixed(1)).join(' ')} at the end (other work shared the machine).`,
    '',
    `Two netns labs side by side, NAT and DR, two real servers each, one \`director run\` process each. For ${seconds} s the client`,
    `opens ${RATE} new connections a second (\`http-client.js rate\`: GET /, Connection: close, on a fixed schedule) and keeps`,
    `${LONG_FLOWS} downloads of ${FLOW_BYTES_PER_S / 1000} kB/s open until about 20 s before the end (their bytes checked). Every ${SAMPLE_S} s: the`,
    "director's VmRSS, its open descriptors (/proc/PID/fd) and its connection table size (stats line). Verdict: the least-squares",
    `slope of RSS over the samples after the first ${warm} s (the table fills for TIME_WAIT's life first); flat when the growth it`,
    'implies over that window is under 2% of the RSS (a falling RSS is flat too) and the descriptor count moves by at most 2.',
    '',
    chart,
    '',
    '| mode | connections started / answered / failed | long flows intact | table size (after warm-up) | RSS MiB (after warm-up) | RSS slope | fds | verdict |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '<details><summary>The curve (every sample)</summary>',
    '',
    `| s | ${results.map((r) => `${r.mode.toUpperCase()} RSS MiB | fds | conns`).join(' | ')} |`,
    `|---|${results.map(() => '---|---|---|').join('')}`,
    ...curve,
    '',
    '</details>',
  ].join('\n');
  writeSection('soak', md);
  progress(`section soak written: ${results.map((r) => `${r.mode} ${summary(r, warm).verdict}`).join(', ')}`);
}
