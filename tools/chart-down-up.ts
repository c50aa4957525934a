// Writes docs/sched-down-up.svg: the recovered server's share of new connections per second
// after Down->Up under wlc, with and without slow start (from tools/sim-down-up.ts), and
// prints the same numbers as a Markdown table. Run: npx tsx tools/chart-down-up.ts
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DOWN_UP, simulateDownUp, type SecondShare } from './sim-down-up.js';

const W = 720, H = 340, L = 60, R = 20, T = 40, B = 50;
const RAMP_MS = 30_000;

function linePath(rows: SecondShare[], n: number): string {
  const x = (s: number) => L + ((W - L - R) * s) / (n - 1);
  const y = (v: number) => T + (H - T - B) * (1 - v);
  return rows.map((r, i) => `${i ? 'L' : 'M'}${x(r.second).toFixed(1)},${y(r.share).toFixed(1)}`).join(' ');
}

function svg(off: SecondShare[], on: SecondShare[], fair: number): string {
  const n = off.length;
  const y = (v: number) => T + (H - T - B) * (1 - v);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) =>
    `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>` +
    `<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v * 100}%</text>`).join('');
  const xt = Array.from({ length: Math.floor((n - 1) / 5) + 1 }, (_, k) => k * 5).map((s) => {
    const x = L + ((W - L - R) * s) / (n - 1);
    return `<text x="${x}" y="${H - B + 18}" text-anchor="middle">${s}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">Recovered server's share of new connections after Down→Up (wlc, 4 servers, 1000 conn/s)</text>
${grid}${xt}
<text x="${(W + L) / 2}" y="${H - 12}" text-anchor="middle">seconds after the server came back</text>
<line x1="${L}" x2="${W - R}" y1="${y(fair)}" y2="${y(fair)}" stroke="#888" stroke-dasharray="4 4"/>
<path d="${linePath(off, n)}" fill="none" stroke="#c0392b" stroke-width="2"/>
<path d="${linePath(on, n)}" fill="none" stroke="#2471a3" stroke-width="2"/>
<rect x="${W - 250}" y="${T + 6}" width="226" height="58" fill="#fff" stroke="#ccc"/>
<line x1="${W - 240}" x2="${W - 215}" y1="${T + 22}" y2="${T + 22}" stroke="#c0392b" stroke-width="2"/><text x="${W - 208}" y="${T + 26}">no slow start</text>
<line x1="${W - 240}" x2="${W - 215}" y1="${T + 40}" y2="${T + 40}" stroke="#2471a3" stroke-width="2"/><text x="${W - 208}" y="${T + 44}">slowstart 30 s</text>
<line x1="${W - 240}" x2="${W - 215}" y1="${T + 56}" y2="${T + 56}" stroke="#888" stroke-dasharray="4 4"/><text x="${W - 208}" y="${T + 60}">fair share (25%)</text>
</svg>
`;
}

const off = simulateDownUp({ ...DEFAULT_DOWN_UP, rampMs: 0 });
const on = simulateDownUp({ ...DEFAULT_DOWN_UP, rampMs: RAMP_MS });
writeFileSync(path.resolve(__dirname, '../docs/sched-down-up.svg'), svg(off, on, 1 / DEFAULT_DOWN_UP.servers));
const pct = (v: number) => `${Math.round(v * 100)}%`;
console.log('| second | 0 | 1 | 2 | 3 | 5 | 10 | 15 | 20 | 25 | 30 | 40 |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [label, rows] of [['no slow start', off], ['slowstart 30 s', on]] as const) {
  console.log(`| ${label} | ${[0, 1, 2, 3, 5, 10, 15, 20, 25, 30, 40].map((s) => pct(rows[s]!.share)).join(' | ')} |`);
}
