// Benchmark case "http": new connections per second (Connection: close) and requests per
// second (keep-alive) with wrk against nginx on three real servers, straight to one backend,
// through HAProxy mode tcp and through the director (DR, NAT); 1 MB throughput; latency at
// half load. Every target in every round, side by side.
import { Cleanup } from '../../src/lab/cleanup.js';
import { fmtLoad, watchLoad, type LoadSample } from './load.js';
import { median, progress, selected, type BenchOptions } from './options.js';
import { createHttpLab, startDirectorHttp, startHaproxy, type Balancer, type HttpLab } from './http-lab.js';
import { writeHttpReport, type HttpRound, type LatencyRow } from './http-report.js';
import { runWrk, type WrkOptions } from './wrk.js';

export interface HttpTarget {
  name: string;
  title: string;
  lab: LabMode;
  start(h: HttpLab): Promise<Balancer>;
}

type LabMode = 'dr' | 'nat' | 'fnat';

const director = (name: string, title: string, lab: LabMode, args: string[] = []): HttpTarget =>
  ({ name, title, lab, start: (h) => startDirectorHttp(h, [], args) });

/** The director's default I/O (what a user gets without options) and each I/O choice beside it. */
export const HTTP_TARGETS: HttpTarget[] = [
  { name: 'direct', title: 'direct to one backend', lab: 'dr', start: async (h) => ({ host: h.lab.realServers[0]!.address, stop: async () => {} }) },
  { name: 'haproxy', title: 'HAProxy mode tcp', lab: 'dr', start: startHaproxy },
  director('dr', 'director DR, default I/O (per-frame ring)', 'dr'),
  director('dr-adaptive', 'director DR, adaptive ring', 'dr', ['--rx-ring', 'adaptive']),
  director('dr-block', 'director DR, block ring', 'dr', ['--rx-ring', 'block']),
  director('dr-xdp', 'director DR, AF_XDP port', 'dr', ['--io', 'xdp']),
  director('nat', 'director NAT, default I/O (per-frame ring)', 'nat'),
  director('nat-adaptive', 'director NAT, adaptive ring', 'nat', ['--rx-ring', 'adaptive']),
  director('nat-block', 'director NAT, block ring', 'nat', ['--rx-ring', 'block']),
  director('fnat', 'director FULLNAT, default I/O (per-frame ring)', 'fnat'),
  director('fnat-adaptive', 'director FULLNAT, adaptive ring', 'fnat', ['--rx-ring', 'adaptive']),
  director('fnat-block', 'director FULLNAT, block ring', 'fnat', ['--rx-ring', 'block']),
];

export interface HttpSettings {
  rounds: number;
  seconds: number;
  connections: number;
  threads: number;
  largeConnections: number;
  /** Seconds of each paced latency run (after a 1 s warm-up). */
  latencySeconds: number;
  quick: boolean;
}

export function httpSettings(o: BenchOptions): HttpSettings {
  return o.quick
    ? { rounds: 1, seconds: 1, connections: 50, threads: 2, largeConnections: 8, latencySeconds: 2, quick: true }
    : { rounds: 3, seconds: 10, connections: 50, threads: 2, largeConnections: 8, latencySeconds: 5, quick: false };
}

type Kind = 'ka' | 'close' | 'large';

async function measureTarget(h: HttpLab, t: HttpTarget, s: HttpSettings): Promise<Record<Kind, { rps: number; bytesPerSec: number; errors: number }> & { load: LoadSample }> {
  const b = await t.start(h);
  try {
    const base: WrkOptions = { connections: s.connections, threads: s.threads, seconds: s.seconds, dir: h.dir };
    const url = `http://${b.host}/`;
    if (!s.quick) await runWrk(h.lab.client.ns, url, { ...base, seconds: 1 }); // warm-up: ARP, caches, JIT
    const done = watchLoad();
    const ka = await runWrk(h.lab.client.ns, url, base);
    const close = await runWrk(h.lab.client.ns, url, { ...base, close: true });
    const large = await runWrk(h.lab.client.ns, `${url}1m`, { ...base, connections: s.largeConnections });
    const load = done();
    progress(`  ${t.name}: keep-alive ${ka.rps.toFixed(0)} req/s, close ${close.rps.toFixed(0)} conn/s, 1 MB ${(large.bytesPerSec / 2 ** 20).toFixed(0)} MiB/s (${fmtLoad([load])})`);
    return { ka, close, large, load };
  } finally {
    await b.stop();
  }
}

/** Paced wrk (delay() per request) at the same offered rate against every target, round after round. */
async function measureLatency(labs: Map<string, HttpLab>, targets: HttpTarget[], s: HttpSettings, offered: number): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  const delayMs = (s.connections * 1000) / offered;
  for (let round = 0; round < s.rounds; round++) {
    for (const t of targets) {
      const h = labs.get(t.lab)!;
      let b: Balancer;
      try {
        b = await t.start(h);
      } catch (e) {
        progress(`  latency ${t.name}: failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      try {
        const url = `http://${b.host}/`;
        const o = { connections: s.connections, threads: s.threads, dir: h.dir, delayMs };
        await runWrk(h.lab.client.ns, url, { ...o, seconds: 1 }); // warm-up: ARP, connections, JIT
        const done = watchLoad();
        const r = await runWrk(h.lab.client.ns, url, { ...o, seconds: s.latencySeconds });
        const load = done();
        rows.push({ name: t.name, title: t.title, round, rps: r.rps, p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors, load });
        progress(`  latency ${t.name} (round ${round + 1}/${s.rounds}): ${r.rps.toFixed(0)} req/s, p50 ${r.p50ms.toFixed(3)} ms, p99 ${r.p99ms.toFixed(3)} ms (${fmtLoad([load])})`);
      } finally {
        await b.stop();
      }
    }
  }
  return rows;
}

export async function runHttpBench(o: BenchOptions): Promise<void> {
  const s = httpSettings(o);
  const targets = selected(HTTP_TARGETS, o);
  const cleanup = new Cleanup();
  const rounds: HttpRound[] = [];
  let latency: LatencyRow[] = [];
  let offered = 0;
  try {
    const labs = new Map<string, HttpLab>();
    for (const mode of new Set(targets.map((t) => t.lab))) {
      labs.set(mode, await createHttpLab(cleanup, mode));
      progress(`http lab ${labs.get(mode)!.lab.prefix} (${mode}) with nginx on 3 real servers`);
    }
    for (let round = 0; round < s.rounds; round++) {
      const results: HttpRound = new Map();
      for (const t of targets) {
        progress(`http round ${round + 1}/${s.rounds}: ${t.title}`);
        try {
          results.set(t.name, await measureTarget(labs.get(t.lab)!, t, s));
        } catch (e) {
          results.set(t.name, { error: e instanceof Error ? e.message : String(e) });
          progress(`  ${t.name}: failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      rounds.push(results);
    }
    // Half of the slowest target's keep-alive rate: every target can carry it, so the latency
    // added is queueing in the balancer, not overload.
    const kaMedians = targets.map((t) => median(rounds.flatMap((r) => { const x = r.get(t.name); return x && !('error' in x) ? [x.ka.rps] : []; })));
    offered = 0.5 * Math.min(...kaMedians.filter(Number.isFinite));
    if (Number.isFinite(offered) && offered > 0) {
      progress(`latency at half load: ${offered.toFixed(0)} req/s offered to every target`);
      latency = await measureLatency(labs, targets, s, offered).catch((e: unknown) => { progress(`  latency failed: ${String(e)}`); return []; });
    }
  } finally {
    await cleanup.run();
  }
  writeHttpReport(rounds, latency, offered, s, o);
  progress('section http written');
}
