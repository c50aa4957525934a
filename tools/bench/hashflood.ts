// Benchmark case "hashflood" (issue 12, part 2): do chosen tuples lengthen the connection
// table's probe sequences? Each fresh process (hashflood-proc.ts) measures probes and ns per
// lookup for random tuples and for tuples crafted against the old unkeyed hash and against a
// guessed key, all in the real keyed table, and the crafted ones in a table whose key the
// attacker knows; crafted/random ratios per process, median (min-max) over processes.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './cbuild.js';
import { fmtSpread, progress, spread, today, type BenchOptions } from './options.js';
import { machineLine, writeSection } from './report.js';

const SCRIPT = path.join(ROOT, 'dist/tools/bench/hashflood-proc.js');

const SETS: ReadonlyArray<[string, string]> = [
  ['random', 'random tuples, real (random) key'],
  ['unkeyed', 'crafted against the old unkeyed hash, real key'],
  ['guessed', 'crafted against a guessed key (0, 0), real key'],
  ['known', 'crafted against the key the table uses (what the secret key prevents)'],
];

export async function runHashfloodBench(o: BenchOptions): Promise<void> {
  const runs = o.quick ? 1 : 5;
  const rs: Array<Record<string, number>> = [];
  for (let i = 0; i < runs; i++) {
    progress(`hashflood: process ${i + 1} of ${runs}`);
    const text = execFileSync(process.execPath, [SCRIPT], { timeout: 300_000, encoding: 'utf8' });
    rs.push(JSON.parse(text.trim().split('\n').pop()!) as Record<string, number>);
  }
  const col = (k: string): number[] => rs.map((r) => r[k]!);
  const rows = SETS.map(([k, what]) => {
    const ratio = rs.map((r) => r[`${k}Ns`]! / r.randomNs!);
    return `| ${what} | ${fmtSpread(spread(col(`${k}Mean`)), 3)} | ${fmtSpread(spread(col(`${k}P99`)), 0)} | ` +
      `${fmtSpread(spread(col(`${k}Max`)), 0)} | ${fmtSpread(spread(col(`${k}Ns`)), 0)} | ${k === 'random' ? '1' : fmtSpread(spread(ratio), 2)} |`;
  });
  const md = [
    `## Hash flooding: lookup cost of crafted tuples (\`hashflood\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- hashflood${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}.`,
    '',
    'A `ConnTable` of 65,536 entries (196,608 index slots) holds 30,000 random connections, then 4,000 more whose',
    'tuples (TCP to one VIP:80 from 198.18.0.0/15) are random, or crafted to fall within 64 slots of each other',
    'under a hash the attacker can compute: the unkeyed hash the table used before the keyed one, or the keyed',
    'hash under a guessed key. Probes: slots the real table examines per lookup of those 4,000 (its key',
    'comparisons, counted). ns: per lookup of the same 4,000, each given its flow hash as packets bring it,',
    `median of 9 interleaved rounds of 60 ms (each round in another order), in another table instance (counting changes V8's view of it).`,
    `Median (min-max) over ${runs} fresh process(es), each with its own random key; ratio: ns per lookup over`,
    'random tuples\' ns in the same process.',
    '',
    '| 4,000 tuples | mean probes | p99 probes | longest | ns per lookup | vs random |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Under the real key the crafted sets probe like random ones: their slots are a keyed PRF of the tuple',
    '(HalfSipHash-1-3, 64-bit key drawn per engine), so crafting without the key is guessing. The last row',
    'is the attack when it works: one cluster of 4,000 keys that every lookup in it walks.',
  ].join('\n');
  writeSection('hashflood', md);
  progress('section hashflood written');
}
