// Renders the "http" section of BENCHMARKS.md: conn/s and req/s per target with paired ratios,
// 1 MB throughput, latency at half load, and the CPS targets.
import { fmtSpread, median, spread, today, verdict, type BenchOptions } from './options.js';
import { writeChart } from './chart.js';
import { machineLine, writeSection } from './report.js';
import { HTTP_TARGETS, type HttpSettings } from './http.js';

type Measure = { rps: number; bytesPerSec: number; errors: number };
export type HttpResult = Record<'ka' | 'close' | 'large', Measure> | { error: string };
export type HttpRound = Map<string, HttpResult>;
export interface LatencyRow { name: string; title: string; rps: number; p50ms: number; p99ms: number; errors: number }

type Kind = 'ka' | 'close' | 'large';
const good = (r: HttpResult | undefined): r is Record<Kind, Measure> => r !== undefined && !('error' in r);

function values(rounds: HttpRound[], name: string, kind: Kind, field: 'rps' | 'bytesPerSec'): number[] {
  return rounds.map((r) => r.get(name)).filter(good).map((r) => r[kind][field]);
}

function paired(rounds: HttpRound[], a: string, b: string, kind: Kind, field: 'rps' | 'bytesPerSec' = 'rps'): number {
  const xs = rounds.flatMap((r) => {
    const x = r.get(a);
    const y = r.get(b);
    return good(x) && good(y) && y[kind][field] > 0 ? [x[kind][field] / y[kind][field]] : [];
  });
  return xs.length ? median(xs) : NaN;
}

const f2 = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}` : 'n/a');
const f3 = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(3)}` : 'n/a');

function errorsOf(rounds: HttpRound[], name: string): string {
  const errs = rounds.map((r) => r.get(name));
  const failed = errs.filter((r): r is { error: string } => r !== undefined && 'error' in r).map((r) => r.error);
  const sockets = errs.filter(good).reduce((n, r) => n + r.ka.errors + r.close.errors + r.large.errors, 0);
  return [...new Set(failed)].map((e) => `failed: ${e}`).concat(sockets ? [`${sockets} wrk socket errors/non-2xx`] : []).join('; ');
}

function rateRows(rounds: HttpRound[]): string[] {
  return HTTP_TARGETS.map((t) => {
    const ka = spread(values(rounds, t.name, 'ka', 'rps'));
    const cl = spread(values(rounds, t.name, 'close', 'rps'));
    return `| ${t.title} | ${fmtSpread(cl, 0)} | ${f2(paired(rounds, t.name, 'direct', 'close'))} | ${f2(paired(rounds, t.name, 'haproxy', 'close'))} | ` +
      `${fmtSpread(ka, 0)} | ${f2(paired(rounds, t.name, 'direct', 'ka'))} | ${f2(paired(rounds, t.name, 'haproxy', 'ka'))} | ${errorsOf(rounds, t.name)} |`;
  });
}

function largeRows(rounds: HttpRound[]): string[] {
  return HTTP_TARGETS.map((t) => {
    const b = spread(values(rounds, t.name, 'large', 'bytesPerSec'));
    return `| ${t.title} | ${fmtSpread(b, 0, 1 / 2 ** 20)} | ${fmtSpread(b, 2, 8 / 1e9)} | ${f2(paired(rounds, t.name, 'haproxy', 'large', 'bytesPerSec'))} |`;
  });
}

function latencyRows(rows: LatencyRow[]): string[] {
  const direct = rows.find((r) => r.name === 'direct');
  return rows.map((r) => {
    const add = (a: number, b: number | undefined): string => (b !== undefined && r.name !== 'direct' ? `${(a - b >= 0 ? '+' : '')}${((a - b) * 1000).toFixed(0)} µs` : '');
    return `| ${r.title} | ${r.rps.toFixed(0)} | ${r.p50ms.toFixed(3)} | ${r.p99ms.toFixed(3)} | ${add(r.p50ms, direct?.p50ms)} | ${add(r.p99ms, direct?.p99ms)} |`;
  });
}

export function writeHttpReport(rounds: HttpRound[], latency: LatencyRow[], offered: number, s: HttpSettings, o: BenchOptions): void {
  const bars = (kind: Kind) => HTTP_TARGETS.map((t) => { const x = spread(values(rounds, t.name, kind, 'rps')); return { label: t.title, median: x.median / 1000, min: x.min / 1000, max: x.max / 1000 }; });
  const charts = o.quick ? [] : [
    writeChart('bench-http-close', 'New connections per second (Connection: close)', 'thousand conn/s', bars('close'), 1),
    writeChart('bench-http-keepalive', 'Requests per second (keep-alive)', 'thousand req/s', bars('ka'), 1),
  ];
  const md = [
    `## Connections and requests per second, HTTP (\`http\`)${o.quick ? ' — QUICK RUN (one short run, not for comparison)' : ''}`,
    '',
    `Command: \`npm run bench -- http${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}.`,
    '',
    `wrk -c ${s.connections} -t ${s.threads} -d ${s.seconds}s from the client namespace (behind the lab's router) against nginx`,
    '(nginx-light, one worker per real server, `return 200 "ok\\n"`, keepalive_requests 10M) on three real servers.',
    'conn/s: every request on a new connection (`Connection: close`); req/s: keep-alive. Tuned alike in client,',
    'balancer and real-server namespaces: tcp_tw_reuse=1, ip_local_port_range 1024-65535, somaxconn and SYN',
    'backlog 8192. HAProxy 2.6 `mode tcp`, roundrobin, default threads, in the balancer namespace on its own',
    'address; the director in the same namespace on the VIP (DR lab), and in a NAT lab built the same way whose',
    'real servers route the clients\' network through it. All processes at nice -20.',
    `Median (min-max) of ${s.rounds} round(s); ratios are medians of per-round ratios.`,
    '',
    '| target | conn/s (close) | × direct | × HAProxy | req/s (keep-alive) | × direct | × HAProxy | notes |',
    '|---|---|---|---|---|---|---|---|',
    ...rateRows(rounds),
    '',
    ...charts.flatMap((c) => [c, '']),
    '| target (issue 5) | measured | |',
    '|---|---|---|',
    ...(['dr', 'dr-frame', 'dr-xdp'] as const).flatMap((d) => {
      const port = { dr: 'TPACKET port', 'dr-frame': 'per-frame ring', 'dr-xdp': 'AF_XDP port' }[d];
      const h = paired(rounds, d, 'haproxy', 'close');
      const c = paired(rounds, d, 'direct', 'close');
      const k = paired(rounds, d, 'direct', 'ka');
      return [
        `| CPS in DR (${port}) ≥ 1.5 × HAProxy mode tcp | ${f3(h)}× | ${verdict(h, 1.5)} |`,
        `| CPS in DR (${port}) ≥ 0.8 × direct | ${f3(c)}× | ${verdict(c, 0.8)} |`,
        `| keep-alive req/s in DR (${port}) ≥ 0.9 × direct | ${f3(k)}× | ${verdict(k, 0.9)} |`,
      ];
    }),
    '',
    `### Throughput, 1 MB responses (keep-alive, wrk -c ${s.largeConnections})`,
    '',
    '| target | MiB/s | Gbit/s | × HAProxy |',
    '|---|---|---|---|',
    ...largeRows(rounds),
    '',
    '### Latency at half load',
    '',
    `Every target gets the same offered load, ${offered.toFixed(0)} req/s (half the lowest keep-alive rate above),`,
    `paced by wrk's delay() (${s.connections} connections, each waiting ${((s.connections * 1000) / Math.max(offered, 1)).toFixed(2)} ms before each request); wrk's`,
    'latency excludes the delay. "Added" is against going straight to one backend.',
    '',
    '| target | req/s achieved | p50 ms | p99 ms | added p50 | added p99 |',
    '|---|---|---|---|---|---|',
    ...(latency.length ? latencyRows(latency) : ['| not measured | | | | | |']),
  ].join('\n');
  writeSection('http', md);
}
