// Benchmark cases "conntable" (insert and lookup cost at 10k and 1M entries) and "memory"
// (resident bytes per connection at 1M and 10M entries): each measurement in a fresh node
// process running the compiled table code, median of several processes.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './cbuild.js';
import { fmtSpread, progress, spread, today, verdict, type BenchOptions } from './options.js';
import { machineLine, writeSection } from './report.js';

const SCRIPT = path.join(ROOT, 'dist/tools/bench/conntable-proc.js');

function runProc(args: string[], timeoutMs: number): Record<string, number> {
  const out = execFileSync(process.execPath, ['--expose-gc', SCRIPT, ...args], { timeout: timeoutMs, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

function collect(args: string[], runs: number, timeoutMs: number): Array<Record<string, number>> {
  const out: Array<Record<string, number>> = [];
  for (let i = 0; i < runs; i++) out.push(runProc(args, timeoutMs));
  return out;
}

const col = (rs: Array<Record<string, number>>, key: string): number[] => rs.map((r) => r[key]!);

export async function runConntableBench(o: BenchOptions): Promise<void> {
  const runs = o.quick ? 1 : 5;
  const sizes = [10_000, 1_000_000];
  const rows: string[] = [];
  for (const n of sizes) {
    progress(`conntable: ${n} entries, ${runs} process(es)`);
    const rs = collect(['cost', String(n)], runs, 120_000);
    for (const kind of ['dr', 'nat']) {
      const f = (k: string): string => fmtSpread(spread(col(rs, `${kind}${k}`)), 0);
      rows.push(`| ${n.toLocaleString('en')} | ${kind === 'dr' ? 'one key (DR, TUN)' : 'two keys (NAT, FULLNAT)'} | ${f('InsertNs')} | ${f('HitNs')} | ${f('MissNs')} | ${f('ExpireNs')} |`);
    }
  }
  const md = [
    `## Connection table cost (\`conntable\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- conntable${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}.`,
    '',
    `ns per operation, median (min-max) of ${runs} fresh node processes running \`dist/src/conntable/conn-table.js\`.`,
    'Insert: filling a table of exactly that capacity through `ConnTable.insert`, from empty to full (JIT warmed on',
    'a small table first). Lookups: as many lookups as entries (at least 1M) in a scattered order, so at 1M entries',
    'nearly every lookup misses the CPU caches (the worst case; a packet stream with few flows stays cached); each',
    'lookup gets its flow hash computed beforehand, as packets bring it (meta HASH, computed by parse in the addon).',
    'Expire: the whole table expiring at once, per entry (backward-shift deletion). Insert and expire compute the',
    'keyed flow hash (HalfSipHash-1-3) in TypeScript for every key they place or move.',
    '',
    '| entries | keys per connection | insert ns | lookup hit ns | lookup miss ns | expire ns |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  writeSection('conntable', md);
  progress('section conntable written');
}

export async function runMemoryBench(o: BenchOptions): Promise<void> {
  const sizes = o.quick ? [1_000_000] : [1_000_000, 10_000_000];
  const runs = o.quick ? 1 : 3;
  const rows: string[] = [];
  const per: Record<number, number> = {};
  const rssAt: Record<number, number> = {};
  for (const n of sizes) {
    progress(`memory: ${n} connections, ${runs} process(es)`);
    const rs = collect(['memory', String(n)], runs, 300_000);
    const b = spread(col(rs, 'bytesPerConn'));
    const rss = spread(col(rs, 'rssAfter'));
    per[n] = b.median;
    rssAt[n] = rss.median;
    rows.push(`| ${n.toLocaleString('en')} | ${fmtSpread(rss, 0, 1 / 2 ** 20)} | ${fmtSpread(b, 1)} | ${fmtSpread(spread(col(rs, 'seconds')), 2)} |`);
  }
  const big = sizes[sizes.length - 1]!;
  const md = [
    `## Memory per connection (\`memory\`)${o.quick ? ' — QUICK RUN' : ''}`,
    '',
    `Command: \`npm run bench -- memory${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}.`,
    '',
    `A fresh node process builds a \`ConnTable\` of exactly N entries and fills it through \`ConnTable.insert\``,
    '(NAT-style entries with both keys); bytes per connection = (RSS after - RSS before) / N, after a full GC.',
    `Median (min-max) of ${runs} process(es).`,
    '',
    '| connections | process RSS MiB | bytes per connection | fill time s |',
    '|---|---|---|---|',
    ...rows,
    '',
    '| target | measured | |',
    '|---|---|---|',
    `| ≤ 64 bytes per connection | ${per[big]!.toFixed(1)} B at ${big.toLocaleString('en')} | ${verdict(-per[big]!, -64)} |`,
    ...(big >= 10_000_000 ? [`| 10M connections in ≤ 1 GB | ${(rssAt[big]! / 2 ** 30).toFixed(2)} GiB process RSS | ${verdict(-rssAt[big]!, -(2 ** 30))} |`] : []),
  ].join('\n');
  writeSection('memory', md);
  progress('section memory written');
}
