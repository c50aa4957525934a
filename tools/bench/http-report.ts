// Renders the "http" section of BENCHMARKS.md: conn/s and req/s per target with paired ratios,
// 1 MB throughput, latency at half load, and the CPS targets.
import { fmtLoad, type LoadSample } from './load.js';
import { fmtSpread, median, spread, today, verdict, type BenchOptions } from './options.js';
import { writeChart } from './chart.js';
import { machineLine, writeSection } from './report.js';
import { HTTP_TARGETS, type HttpSettings } from './http.js';

type Measure = { rps: number; bytesPerSec: number; errors: number };
type Kind = 'ka' | 'close' | 'large';
type Good = Record<Kind, Measure> & { load: LoadSample };
export type HttpResult = Good | { error: string };
export type HttpRound = Map<string, HttpResult>;
export interface LatencyRow { name: string; title: string; round: number; rps: number; p50ms: number; p99ms: number; errors: number; load: LoadSample }

const good = (r: HttpResult | undefined): r is Good => r !== undefined && !('error' in r);

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

function loadOf(rounds: HttpRound[], name: string): string {
  return fmtLoad(rounds.map((r) => r.get(name)).filter(good).map((r) => r.load));
}

const present = (rounds: HttpRound[]) => HTTP_TARGETS.filter((t) => rounds.some((r) => r.has(t.name)));

function rateRows(rounds: HttpRound[]): string[] {
  return present(rounds).map((t) => {
    const ka = spread(values(rounds, t.name, 'ka', 'rps'));
    const cl = spread(values(rounds, t.name, 'close', 'rps'));
    return `| ${t.title} | ${fmtSpread(cl, 0)} | ${f2(paired(rounds, t.name, 'direct', 'close'))} | ${f2(paired(rounds, t.name, 'haproxy', 'close'))} | ` +
      `${fmtSpread(ka, 0)} | ${f2(paired(rounds, t.name, 'direct', 'ka'))} | ${f2(paired(rounds, t.name, 'haproxy', 'ka'))} | ${loadOf(rounds, t.name)} | ${errorsOf(rounds, t.name)} |`;
  });
}

function largeRows(rounds: HttpRound[]): string[] {
  return present(rounds).map((t) => {
    const b = spread(values(rounds, t.name, 'large', 'bytesPerSec'));
    return `| ${t.title} | ${fmtSpread(b, 0, 1 / 2 ** 20)} | ${fmtSpread(b, 2, 8 / 1e9)} | ${f2(paired(rounds, t.name, 'haproxy', 'large', 'bytesPerSec'))} |`;
  });
}

/** Per round, this target's p50 (or p99) minus direct's in the same round, in µs. */
function added(rows: LatencyRow[], name: string, field: 'p50ms' | 'p99ms'): number[] {
  return rows.filter((r) => r.name === name).flatMap((r) => {
    const d = rows.find((x) => x.name === 'direct' && x.round === r.round);
    return d ? [(r[field] - d[field]) * 1000] : [];
  });
}

function signedUs(xs: number[]): string {
  if (xs.length === 0) return 'n/a';
  const f = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(0)}`;
  const m = median(xs);
  return xs.length === 1 ? `${f(m)} µs` : `${f(m)} µs (${f(Math.min(...xs))} to ${f(Math.max(...xs))})`;
}

function latencyRows(rows: LatencyRow[]): string[] {
  return HTTP_TARGETS.filter((t) => rows.some((r) => r.name === t.name)).map((t) => {
    const mine = rows.filter((r) => r.name === t.name);
    const m = (f: (r: LatencyRow) => number): number => median(mine.map(f));
    const extra = t.name === 'direct' ? ['', ''] : [signedUs(added(rows, t.name, 'p50ms')), signedUs(added(rows, t.name, 'p99ms'))];
    return `| ${t.title} | ${m((r) => r.rps).toFixed(0)} | ${m((r) => r.p50ms).toFixed(3)} | ${m((r) => r.p99ms).toFixed(3)} | ${extra[0]} | ${extra[1]} | ${fmtLoad(mine.map((r) => r.load))} |`;
  });
}

/** Issue 13's targets for one director target: conn/s, keep-alive and 1 MB against the references. */
function natTargetRows(rounds: HttpRound[], name: string, label: string): string[] {
  if (!rounds.some((r) => r.has(name))) return [];
  const h = paired(rounds, name, 'haproxy', 'close');
  const k = paired(rounds, name, 'direct', 'ka');
  const l = paired(rounds, name, 'haproxy', 'large', 'bytesPerSec');
  return [
    `| ${label}: conn/s ≥ 1.3 × HAProxy mode tcp | ${f3(h)}× | ${verdict(h, 1.3)} |`,
    `| ${label}: keep-alive req/s ≥ 0.8 × direct | ${f3(k)}× | ${verdict(k, 0.8)} |`,
    `| ${label}: 1 MB throughput ≥ 1.0 × HAProxy | ${f3(l)}× | ${verdict(l, 1.0)} |`,
  ];
}

function latencyTargetRows(rows: LatencyRow[]): string[] {
  return (['dr', 'dr-adaptive', 'dr-block', 'nat', 'nat-adaptive', 'nat-block', 'fnat', 'fnat-adaptive', 'fnat-block'] as const).flatMap((name) => {
    const xs = added(rows, name, 'p50ms');
    if (xs.length === 0) return [];
    const v = median(xs);
    return [`| ${HTTP_TARGETS.find((t) => t.name === name)!.title}: added p50 at half load ≤ +50 µs | ${signedUs(xs)} | ${Number.isFinite(v) ? (v <= 50 ? 'met' : 'missed') : 'not measured'} |`];
  });
}

export function writeHttpReport(rounds: HttpRound[], latency: LatencyRow[], offered: number, s: HttpSettings, o: BenchOptions): void {
  const bars = (kind: Kind) => present(rounds).map((t) => { const x = spread(values(rounds, t.name, kind, 'rps')); return { label: t.title, median: x.median / 1000, min: x.min / 1000, max: x.max / 1000 }; });
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
    'address; the director in the same namespace on the VIP (DR lab), and in NAT and FULLNAT labs built the same way',
    '(NAT: the real servers route the clients\' network through the director; FULLNAT: the director\'s local',
    'addresses). All processes at nice -20.',
    `Median (min-max) of ${s.rounds} round(s); ratios are medians of per-round ratios.`,
    '',
    'The load column is the machine\'s 1-minute load average (range over the rounds, before and after each',
    'target\'s runs) and the median share of both CPUs busy during them (any process, this benchmark\'s',
    'own included; steal when the hypervisor took any).',
    '',
    '| target | conn/s (close) | × direct | × HAProxy | req/s (keep-alive) | × direct | × HAProxy | load | notes |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rateRows(rounds),
    '',
    ...charts.flatMap((c) => [c, '']),
    '| target (issues 5 and 13) | measured | |',
    '|---|---|---|',
    ...natTargetRows(rounds, 'nat', 'NAT (default I/O)'),
    ...natTargetRows(rounds, 'nat-adaptive', 'NAT (adaptive ring)'),
    ...natTargetRows(rounds, 'nat-block', 'NAT (block ring)'),
    ...natTargetRows(rounds, 'fnat', 'FULLNAT (default I/O)'),
    ...natTargetRows(rounds, 'fnat-adaptive', 'FULLNAT (adaptive ring)'),
    ...natTargetRows(rounds, 'fnat-block', 'FULLNAT (block ring)'),
    ...latencyTargetRows(latency),
    ...(['dr', 'dr-adaptive', 'dr-block', 'dr-xdp'] as const).filter((d) => rounds.some((r) => r.has(d))).flatMap((d) => {
      const port = { dr: 'default I/O, per-frame ring', 'dr-adaptive': 'adaptive ring', 'dr-block': 'block ring', 'dr-xdp': 'AF_XDP port' }[d];
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
    `paced by wrk's delay() (${s.connections} connections, each waiting ${((s.connections * 1000) / Math.max(offered, 1)).toFixed(2)} ms before each request), ${s.latencySeconds} s`,
    `after a 1 s warm-up, in each of ${s.rounds} round(s); wrk's latency excludes the delay. "Added" is the median`,
    '(min to max) over the rounds of the target\'s percentile minus direct\'s in the same round.',
    '',
    '| target | req/s achieved | p50 ms | p99 ms | added p50 | added p99 | load |',
    '|---|---|---|---|---|---|---|',
    ...(latency.length ? latencyRows(latency) : ['| not measured | | | | | | |']),
  ].join('\n');
  writeSection('http', md);
}
