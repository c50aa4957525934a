// Entry of `npm run bench -- CASE...`: runs the named benchmark cases (all when none is named).
// Adding a case is one line in CASES; each case writes its own section of BENCHMARKS.md.
import { runSchedBench } from './sched.js';

const CASES: Record<string, () => Promise<void>> = {
  sched: runSchedBench,
  // conntable: runConntableBench,  // connection-table lookup and insert cost (lead adds)
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const names = asked.length > 0 ? asked : Object.keys(CASES);
  const unknown = names.filter((n) => !(n in CASES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark case ${unknown.join(', ')}; valid: ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }
  for (const n of names) {
    console.log(`== bench ${n}`);
    await CASES[n]!();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
