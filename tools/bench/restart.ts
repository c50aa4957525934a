// `npm run bench -- restart`: how many established flows survive a restart of one director
// (NAT lab, `director run` processes): FLOWS downloads held open (stalled, window closed) while
// the director gets SIGTERM and a new one starts, with --state-file, without it, and with
// --sloppy-tcp under rr and sh; ROUNDS rounds each, survivors as median (min-max).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cleanup, makePrefix } from '../../src/lab/cleanup.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { HTTP_PORT, labTool, startRealServers } from '../../src/lab/services.js';
import { buildLab, type LabHandle } from '../../src/lab/topology.js';
import { activeByServer, haConfig, startDirector, until, untilStalled } from '../../test/support/ha-lab.js';
import { fmtSpread, progress, spread, type BenchOptions } from './options.js';
import { machineLine, writeSection } from './report.js';

const FLOWS = 10;
const BYTES = 24_000_000;
/** A flow the new director cannot carry stalls: one not done this long after the release failed. */
const AFTER_RELEASE_MS = 60_000;

interface Variant {
  name: string;
  scheduler: string;
  args: (stateFile: string) => string[];
}

const VARIANTS: Variant[] = [
  { name: 'with --state-file (rr)', scheduler: 'rr', args: (f) => ['--state-file', f] },
  { name: 'without (rr)', scheduler: 'rr', args: () => [] },
  { name: '--sloppy-tcp, rr', scheduler: 'rr', args: () => ['--sloppy-tcp'] },
  { name: '--sloppy-tcp, sh', scheduler: 'sh', args: () => ['--sloppy-tcp'] },
];

/** One restart with FLOWS stalled downloads; returns how many completed intact, and why the others did not. */
async function round(lab: LabHandle, dir: string, cleanup: Cleanup, v: Variant, n: number): Promise<{ ok: number; errors: string[] }> {
  const config = haConfig(lab, dir, { scheduler: v.scheduler });
  const args = v.args(path.join(dir, `state-${n}`));
  const hold = path.join(dir, `release-${n}`);
  const first = await startDirector(lab, 0, config, args, cleanup);
  const flows = Array.from({ length: FLOWS }, (_, i) => spawnInNamespace(lab.client.ns, [process.execPath, labTool('http-client.js'),
    'download', '--target', `${lab.vip}:${HTTP_PORT}`, '--bytes', String(BYTES), '--seed', String(n * 100 + i), '--hold', hold,
    '--hold-at', '1000000', '--timeout', '300000']));
  for (const f of flows) cleanup.process(f);
  await until(`${FLOWS} established connections`,
    () => Object.values(activeByServer(first)).reduce((a, b) => a + b, 0) === FLOWS, 30_000);
  await untilStalled(first);
  await first.stop(5000);
  const second = await startDirector(lab, 0, config, args, cleanup);
  writeFileSync(hold, '');
  const deadline = setTimeout(() => { for (const f of flows) void f.stop(500); }, AFTER_RELEASE_MS);
  await Promise.all(flows.map((f) => f.exited));
  clearTimeout(deadline);
  await second.stop(5000);
  const results = flows.map((f) => f.stdout.trim().split('\n').pop() ?? '');
  const ok = results.filter((line) => line.includes('"ok":true') && line.includes(`"bytes":${BYTES}`)).length;
  const errors = [...new Set(results.filter((line) => !line.includes('"ok":true')).map((line) => line || 'stopped at the deadline'))];
  return { ok, errors };
}

export async function runRestartBench(o: BenchOptions): Promise<void> {
  const rounds = o.quick ? 1 : 3;
  const cleanup = new Cleanup();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'director-bench-restart-'));
  const rows: string[] = [];
  try {
    const lab = await buildLab({ prefix: makePrefix('bnch'), mode: 'nat', servers: 2, cleanup });
    await startRealServers(lab, cleanup);
    let n = 0;
    for (const v of VARIANTS) {
      const survived: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const { ok, errors } = await round(lab, dir, cleanup, v, ++n);
        survived.push(ok);
        progress(`restart ${v.name}: round ${r + 1}: ${ok}/${FLOWS} flows survived${errors.length ? ` (others: ${errors.join('; ')})` : ''}`);
      }
      rows.push(`| ${v.name} | ${fmtSpread(spread(survived), 0)} of ${FLOWS} | ${survived.join(', ')} |`);
    }
  } finally {
    await cleanup.run();
    rmSync(dir, { recursive: true, force: true });
  }
  writeSection('restart', [
    '## Flows surviving a restart (issue 10, item 5)',
    '',
    `\`npm run bench -- restart\`${o.quick ? ' --quick' : ''}, ${new Date().toISOString().slice(0, 10)}; ${machineLine()}.`,
    `NAT lab, two real servers; ${FLOWS} HTTP downloads of ${BYTES / 1e6} MB held open (the client stops reading`,
    'after 1 MB, the window closes), then SIGTERM to `director run` and a new one started with the same',
    `options; a flow survives when it then completes byte for byte within ${AFTER_RELEASE_MS / 1000} s of the release. ${rounds} round(s) each.`,
    '',
    '| restart | flows surviving, median (min-max) | per round |',
    '|---|---|---|',
    ...rows,
  ].join('\n'));
}
