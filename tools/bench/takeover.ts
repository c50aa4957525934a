// Benchmark case "takeover": how long a VRRP backup takes to become master after the master
// crashes (SIGKILL) or stops cleanly (SIGTERM: priority-0 advert), for a pair of directors and,
// side by side in the same run and lab, a pair of keepalived (the reference), with advert_int 1
// (VRRPv2) and 0.1 (VRRPv3). Measured from the signal to the backup logging MASTER.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cleanup, makePrefix } from '../../src/lab/cleanup.js';
import { HaPair, waitFor } from '../../src/lab/ha.js';
import { labVrrpInstance } from '../../src/lab/keepalived.js';
import { KeepalivedPeer } from '../../src/lab/keepalived-peer.js';
import { buildLab, type LabHandle } from '../../src/lab/topology.js';
import { fmtSpread, progress, spread, today, type BenchOptions } from './options.js';
import { machineLine, writeSection } from './report.js';

/** The two nodes of a VRRP pair: node 0 at priority 150, node 1 at 100. */
interface Pair {
  start(index: number): Promise<void>;
  state(index: number): string | null;
  entered(index: number, state: string): number;
  crash(index: number): Promise<void>;
  stop(index: number): Promise<void>;
  /** director: how long node index held its last preemption for the table (ms), from its log. */
  heldMs?(index: number): number | null;
}

type Event = 'crash' | 'clean stop';
interface Row { impl: string; advertInt: number; event: Event; ms: number[]; held: number[] }

function directorPair(lab: LabHandle, cleanup: Cleanup, advertInt: number): Pair {
  const ha = new HaPair(lab, cleanup, { udp: false, advertInt });
  return {
    start: async (i) => { ha.start(i); },
    state: (i) => (ha.directors[i]?.director.process?.running === true ? ha.directors[i]!.state() : null),
    entered: (i, s) => ha.directors[i]?.entered(s) ?? 0,
    crash: (i) => ha.crash(i),
    stop: (i) => ha.stop(i),
    heldMs: (i) => {
      const all = [...(ha.directors[i]?.director.process?.stderr ?? '').matchAll(/has the connection table of \S+ after (\d+) ms/g)];
      return all.length === 0 ? null : Number(all.at(-1)![1]);
    },
  };
}

function keepalivedPair(lab: LabHandle, cleanup: Cleanup, advertInt: number): Pair {
  const dir = mkdtempSync(path.join(os.tmpdir(), `director-bench-ka-${lab.prefix}-`));
  cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
  const peers = lab.directors.map((h, i) => {
    const own = path.join(dir, `node${i}`); // a peer's file names repeat per run: one directory each
    mkdirSync(own);
    const p = new KeepalivedPeer(h.ns, own, cleanup);
    cleanup.first(() => p.stop());
    return { p, conf: labVrrpInstance(lab, { ifname: h.ifname, priority: i === 0 ? 150 : 100, advertInt }), i };
  });
  return {
    start: (i) => peers[i]!.p.start(peers[i]!.conf),
    state: (i) => peers[i]!.p.state,
    entered: (i, s) => peers[i]!.p.entered(s),
    crash: (i) => peers[i]!.p.crash(),
    stop: (i) => peers[i]!.p.stop(),
  };
}

async function settled(pair: Pair): Promise<void> {
  await waitFor('node 0 MASTER and node 1 BACKUP', () => pair.state(0) === 'MASTER' && pair.state(1) === 'BACKUP', 30_000);
}

/**
 * One takeover. `phaseMs` after the pair settled (the master has just advertised) the master goes:
 * a crash is seen master-down after the last advert heard, so the phase is spread evenly over
 * one interval across the runs, as crashes fall at any point of it.
 */
async function measure(pair: Pair, event: Event, phaseMs: number, row: Row): Promise<number> {
  await new Promise((r) => setTimeout(r, phaseMs));
  const before = pair.entered(1, 'MASTER');
  const t0 = performance.now();
  const ending = event === 'crash' ? pair.crash(0) : pair.stop(0);
  await waitFor('node 1 MASTER', () => pair.entered(1, 'MASTER') > before, 15_000);
  const ms = performance.now() - t0;
  await ending;
  await pair.start(0); // node 0 returns at 150 and preempts back (a director once it has node 1's table)
  await settled(pair);
  const held = pair.heldMs?.(0);
  if (held !== undefined && held !== null) row.held.push(held);
  return ms;
}

async function runPair(impl: string, advertInt: number, runs: number): Promise<Row[]> {
  const cleanup = new Cleanup();
  try {
    const lab = await buildLab({ prefix: makePrefix('db'), mode: 'dr', servers: 1, directors: 2, cleanup });
    const pair = impl === 'director' ? directorPair(lab, cleanup, advertInt) : keepalivedPair(lab, cleanup, advertInt);
    await pair.start(0);
    await pair.start(1);
    await settled(pair);
    const rows: Row[] = (['crash', 'clean stop'] as Event[]).map((event) => ({ impl, advertInt, event, ms: [], held: [] }));
    for (let k = 0; k < runs; k++) {
      for (const row of rows) row.ms.push(await measure(pair, row.event, ((k + 0.5) / runs) * advertInt * 1000, row));
    }
    for (const r of rows) progress(`  ${impl} advert_int ${advertInt} ${r.event}: ${r.ms.map((m) => m.toFixed(0)).join(', ')} ms`);
    return rows;
  } finally {
    await cleanup.run();
  }
}

export async function runTakeoverBench(o: BenchOptions): Promise<void> {
  const runs = o.quick ? 1 : 5;
  const rows: Row[] = [];
  for (const advertInt of [1, 0.1]) {
    for (const impl of ['director', 'keepalived']) rows.push(...await runPair(impl, advertInt, runs));
  }
  writeSection('takeover', report(rows, runs));
}

const TARGET: Record<Event, number> = { crash: 4000, 'clean stop': 1000 };

function report(rows: Row[], runs: number): string {
  const find = (impl: string, a: number, e: Event): Row | undefined => rows.find((r) => r.impl === impl && r.advertInt === a && r.event === e);
  const lines = [
    '## VRRP takeover time (`takeover`)',
    '',
    `Command: \`sudo npm run bench -- takeover\`. Machine: ${machineLine()}. Date: ${today()}.`,
    `Two nodes on one lab LAN, priorities 150 (master) and 100 (backup), one VIP; ${runs} runs of each event, the`,
    'master restarted between runs (it preempts back); run k stops the master (k + 0.5)/runs of an interval',
    'after its last advert, so the runs cover the phases a crash can fall on. Time from the signal to the',
    'backup logging MASTER (it has then sent its first advert and its first gratuitous ARPs). keepalived 2.2.7',
    'runs in the same lab, in the same run, as the reference. The directors run connection sync (lvs_sync_daemon on',
    'the instance), so a returning director holds its preemption until it has the master\'s table; keepalived runs',
    'without (the lab kernel has no IPVS). Median (min-max), seconds.',
    '',
    '| advert_int | event | director | keepalived 2.2.7 | ratio | target (advert_int 1) |',
    '|---|---|---|---|---|---|',
  ];
  for (const a of [1, 0.1]) {
    for (const e of ['crash', 'clean stop'] as Event[]) {
      const d = spread(find('director', a, e)?.ms ?? []);
      const k = spread(find('keepalived', a, e)?.ms ?? []);
      const target = a === 1 ? `< ${TARGET[e] / 1000} s: ${d.max < TARGET[e] ? 'met (every run)' : 'missed'}` : '';
      lines.push(`| ${a} s | ${e === 'crash' ? 'crash (SIGKILL)' : 'clean stop (SIGTERM)'} | ${fmtSpread(d, 2, 0.001)} | ${fmtSpread(k, 2, 0.001)} | ${(d.median / k.median).toFixed(2)}× | ${target} |`);
    }
  }
  lines.push('', '| advert_int | director\'s preemption back: held for the table after its master-down ran out (ms) |', '|---|---|');
  for (const a of [1, 0.1]) {
    const held = rows.filter((r) => r.impl === 'director' && r.advertInt === a).flatMap((r) => r.held);
    lines.push(`| ${a} s | ${held.length > 0 ? `${fmtSpread(spread(held), 0, 1)} (${held.length} preemptions)` : 'none logged'} |`);
  }
  lines.push('', 'Expected from the timers: after a crash, Master_Down_Interval = 3 × advert_int + (256 - 100)/256 × (v2: 1 s;',
    'v3: advert_int) minus the time since the last advert; after a clean stop, the skew time alone.');
  return lines.join('\n');
}
