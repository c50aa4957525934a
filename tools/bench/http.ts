// Benchmark case "http": new connections per second (Connection: close) and requests per
// second (keep-alive) with wrk against nginx on three real servers, straight to one backend,
// through HAProxy mode tcp and through the director (DR, NAT); 1 MB throughput; latency at
// half load. Every target in every round, side by side.
import { Cleanup } from '../../src/lab/cleanup.js';
import { median, progress, type BenchOptions } from './options.js';
import { createHttpLab, startDirectorHttp, startHaproxy, type Balancer, type HttpLab } from './http-lab.js';
import { writeHttpReport, type HttpRound, type LatencyRow } from './http-report.js';
import { runWrk, type WrkOptions } from './wrk.js';

export interface HttpTarget {
  name: string;
  title: string;
  lab: 'dr' | 'nat';
  start(h: HttpLab): Promise<Balancer>;
}

export const HTTP_TARGETS: HttpTarget[] = [
  { name: 'direct', title: 'direct to one backend', lab: 'dr', start: async (h) => ({ host: h.lab.realServers[0]!.address, stop: async () => {} }) },
  { name: 'haproxy', title: 'HAProxy mode tcp', lab: 'dr', start: startHaproxy },
  { name: 'dr', title: 'director DR', lab: 'dr', start: (h) => startDirectorHttp(h) },
  { name: 'dr-xdp', title: 'director DR, AF_XDP port', lab: 'dr', start: (h) => startDirectorHttp(h, [], ['--io', 'xdp']) },
  { name: 'dr-frame', title: 'director DR, per-frame ring', lab: 'dr', start: (h) => startDirectorHttp(h, [], ['--rx-ring', 'frame']) },
  { name: 'nat', title: 'director NAT', lab: 'nat', start: (h) => startDirectorHttp(h) },
];

export interface HttpSettings {
  rounds: number;
  seconds: number;
  connections: number;
  threads: number;
  largeConnections: number;
  quick: boolean;
}

export function httpSettings(o: BenchOptions): HttpSettings {
  return o.quick
    ? { rounds: 1, seconds: 1, connections: 50, threads: 2, largeConnections: 8, quick: true }
    : { rounds: 3, seconds: 10, connections: 50, threads: 2, largeConnections: 8, quick: false };
}

type Kind = 'ka' | 'close' | 'large';

async function measureTarget(h: HttpLab, t: HttpTarget, s: HttpSettings): Promise<Record<Kind, { rps: number; bytesPerSec: number; errors: number }>> {
  const b = await t.start(h);
  try {
    const base: WrkOptions = { connections: s.connections, threads: s.threads, seconds: s.seconds, dir: h.dir };
    const url = `http://${b.host}/`;
    if (!s.quick) await runWrk(h.lab.client.ns, url, { ...base, seconds: 1 }); // warm-up: ARP, caches, JIT
    const ka = await runWrk(h.lab.client.ns, url, base);
    const close = await runWrk(h.lab.client.ns, url, { ...base, close: true });
    const large = await runWrk(h.lab.client.ns, `${url}1m`, { ...base, connections: s.largeConnections });
    progress(`  ${t.name}: keep-alive ${ka.rps.toFixed(0)} req/s, close ${close.rps.toFixed(0)} conn/s, 1 MB ${(large.bytesPerSec / 2 ** 20).toFixed(0)} MiB/s`);
    return { ka, close, large };
  } finally {
    await b.stop();
  }
}

/** Paced wrk (delay() per request) at the same offered rate against every target. */
async function measureLatency(labs: Map<string, HttpLab>, s: HttpSettings, offered: number): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  const delayMs = (s.connections * 1000) / offered;
  for (const t of HTTP_TARGETS) {
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
      if (!s.quick) await runWrk(h.lab.client.ns, url, { connections: s.connections, threads: s.threads, seconds: 1, dir: h.dir, delayMs });
      const r = await runWrk(h.lab.client.ns, url, { connections: s.connections, threads: s.threads, seconds: s.seconds, dir: h.dir, delayMs });
      rows.push({ name: t.name, title: t.title, rps: r.rps, p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors });
      progress(`  latency ${t.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50ms.toFixed(3)} ms, p99 ${r.p99ms.toFixed(3)} ms`);
    } finally {
      await b.stop();
    }
  }
  return rows;
}

export async function runHttpBench(o: BenchOptions): Promise<void> {
  const s = httpSettings(o);
  const cleanup = new Cleanup();
  const rounds: HttpRound[] = [];
  let latency: LatencyRow[] = [];
  let offered = 0;
  try {
    const labs = new Map<string, HttpLab>();
    for (const mode of ['dr', 'nat'] as const) {
      labs.set(mode, await createHttpLab(cleanup, mode));
      progress(`http lab ${labs.get(mode)!.lab.prefix} (${mode}) with nginx on 3 real servers`);
    }
    for (let round = 0; round < s.rounds; round++) {
      const results: HttpRound = new Map();
      for (const t of HTTP_TARGETS) {
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
    const kaMedians = HTTP_TARGETS.map((t) => median(rounds.flatMap((r) => { const x = r.get(t.name); return x && !('error' in x) ? [x.ka.rps] : []; })));
    offered = 0.5 * Math.min(...kaMedians.filter(Number.isFinite));
    if (s.quick) progress('latency at half load: full runs only');
    else if (Number.isFinite(offered) && offered > 0) {
      progress(`latency at half load: ${offered.toFixed(0)} req/s offered to every target`);
      latency = await measureLatency(labs, s, offered).catch((e: unknown) => { progress(`  latency failed: ${String(e)}`); return []; });
    }
  } finally {
    await cleanup.run();
  }
  writeHttpReport(rounds, latency, offered, s, o);
  progress('section http written');
}
