// wrk in the client namespace: one run against a URL, parsed into requests/s, bytes/s, latency
// percentiles and socket errors. An optional per-request delay (wrk's Lua delay()) paces it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runInNamespace } from '../../src/lab/process.js';

export interface WrkOptions {
  connections: number;
  threads: number;
  seconds: number;
  close?: boolean;
  /** ms each connection waits before each request (pacing for the latency case). */
  delayMs?: number;
  /** Directory for the generated Lua script. */
  dir: string;
}

export interface WrkResult {
  rps: number;
  bytesPerSec: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  requests: number;
}

const UNIT: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
const TIME: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

function script(o: WrkOptions): string | null {
  if (o.delayMs === undefined && !o.close) return null;
  const lines: string[] = [];
  if (o.close) lines.push('wrk.headers["Connection"] = "close"');
  if (o.delayMs !== undefined) lines.push(`function delay() return ${o.delayMs.toFixed(3)} end`);
  const file = path.join(o.dir, `wrk-${o.close ? 'close' : 'ka'}-${o.delayMs ?? 0}.lua`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp): number => { const m = re.exec(out); return m ? Number(m[1]) : NaN; };
  const tr = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? Number(m[1]) * TIME[m[2]!]! : NaN;
  };
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    bytesPerSec: tr ? Number(tr[1]) * UNIT[tr[2]!]! : NaN,
    p50ms: pct('50'),
    p99ms: pct('99'),
    errors: (errs ? Number(errs[1]) + Number(errs[2]) + Number(errs[3]) + Number(errs[4]) : 0) + (Number.isFinite(non2xx) ? non2xx : 0),
    requests: num(/(\d+) requests in/),
  };
}

export async function runWrk(ns: string, url: string, o: WrkOptions): Promise<WrkResult> {
  const s = script(o);
  const argv = ['nice', '-n', '-20', 'wrk', '-c', String(o.connections), '-t', String(o.threads), '-d', `${o.seconds}s`,
    '--latency', '--timeout', '5s', ...(s ? ['-s', s] : []), url];
  const r = await runInNamespace(ns, argv, (o.seconds + 20) * 1000);
  const parsed = parseWrk(r.stdout);
  if (!Number.isFinite(parsed.rps)) throw new Error(`wrk failed (${r.status.code ?? r.status.signal}): ${r.stderr.trim() || r.stdout.trim()}`);
  return parsed;
}
