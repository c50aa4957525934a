// Entry of `npm run bench -- CASE...`: runs the named benchmark cases (all when none is named).
// Adding a case is one line in CASES; each case writes its own section of BENCHMARKS.md.
import path from 'node:path';
import { ensureDist, TMP } from './cbuild.js';
import { runClassifyBench } from './classify.js';
import { runConntableBench, runMemoryBench } from './conntable.js';
import { runHashfloodBench } from './hashflood.js';
import { runHttpBench } from './http.js';
import { progress, type BenchOptions } from './options.js';
import { runPpsBench } from './pps.js';
import { runPpsCpuBench } from './pps-cpu.js';
import { runProfileBench } from './profile.js';
import { runRestartBench } from './restart.js';
import { reportFile, useReportFile } from './report.js';
import { runSchedBench } from './sched.js';
import { runSoakBench } from './soak.js';
import { runTakeoverBench } from './takeover.js';
import { runXdpBench } from './xdp.js';
import { runWorkersBench } from './workers.js';
import { runPpsWorkersBench } from './pps-workers.js';

const CASES: Record<string, (o: BenchOptions) => Promise<void>> = {
  sched: runSchedBench,
  pps: runPpsBench,
  ppscpu: runPpsCpuBench,
  http: runHttpBench,
  conntable: runConntableBench,
  memory: runMemoryBench,
  classify: runClassifyBench,
  profile: runProfileBench,
  takeover: runTakeoverBench,
  restart: runRestartBench,
  hashflood: runHashfloodBench,
  soak: runSoakBench,
  xdp: runXdpBench,
  workers: runWorkersBench,
  'pps-workers': runPpsWorkersBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined;
  if (only !== undefined && only.length === 0) {
    console.error('--only needs a comma-separated list of target or case names');
    process.exit(2);
  }
  const opts: BenchOptions = { quick: args.includes('--quick'), ...(only ? { only } : {}) };
  const asked = args.filter((a, i) => a !== '--quick' && a !== '--only' && !(onlyAt >= 0 && i === onlyAt + 1));
  const names = asked.length > 0 ? asked : Object.keys(CASES);
  const unknown = names.filter((n) => !(n in CASES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark case ${unknown.join(', ')}; valid: ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }
  // A quick or partial run must not overwrite the full run's numbers.
  if (opts.quick || opts.only) useReportFile(path.join(TMP, opts.quick ? 'BENCHMARKS.quick.md' : 'BENCHMARKS.partial.md'));
  if (names.some((n) => n !== 'sched')) ensureDist(progress);
  const t0 = Date.now();
  for (const n of names) {
    console.log(`== bench ${n}${opts.quick ? ' (quick)' : ''}`);
    await CASES[n]!(opts);
  }
  progress(`bench done in ${((Date.now() - t0) / 1000).toFixed(0)} s${opts.quick ? ' (quick: one short run per case, not for comparison)' : ''}; results in ${reportFile()}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
