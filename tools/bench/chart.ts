// Horizontal bar charts as standalone SVG (median bars with min-max whiskers) for the
// benchmark sections in docs/; no dependencies, deterministic output.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportFile } from './report.js';

export interface Bar {
  label: string;
  median: number;
  min: number;
  max: number;
}

const W = 720, ROW = 30, L = 250, R = 90, T = 44, B = 30;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function barChartSvg(title: string, unit: string, bars: Bar[], digits = 3): string {
  const H = T + B + ROW * bars.length;
  const top = Math.max(1e-9, ...bars.map((b) => (Number.isFinite(b.max) ? b.max : 0)));
  const x = (v: number): number => L + ((W - L - R) * v) / top;
  const rows = bars.map((b, i) => {
    const y = T + i * ROW;
    if (!Number.isFinite(b.median)) {
      return `<text x="${L - 8}" y="${y + 19}" text-anchor="end">${esc(b.label)}</text><text x="${L + 4}" y="${y + 19}" fill="#888">not measured</text>`;
    }
    return [
      `<text x="${L - 8}" y="${y + 19}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${L}" y="${y + 6}" width="${(x(b.median) - L).toFixed(1)}" height="18" fill="#4a7ab5"/>`,
      `<line x1="${x(b.min).toFixed(1)}" x2="${x(b.max).toFixed(1)}" y1="${y + 15}" y2="${y + 15}" stroke="#222" stroke-width="1.5"/>`,
      `<text x="${(x(b.max) + 6).toFixed(1)}" y="${y + 19}">${b.median.toFixed(digits)}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${esc(title)}</text>
${rows.join('\n')}
<text x="${W - 8}" y="${H - 8}" text-anchor="end" fill="#555">${esc(unit)}; bar = median, line = min-max</text>
</svg>
`;
}

/**
 * Writes NAME.svg into docs/ beside the report (the repository's docs/ for BENCHMARKS.md; a quick
 * or partial run's own folder, so it never replaces the full run's chart) and returns the
 * Markdown image line for that report.
 */
function writeSvg(name: string, title: string, svg: string): string {
  const dir = path.join(path.dirname(reportFile()), 'docs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.svg`), svg);
  return `![${title}](docs/${name}.svg)`;
}

/** A bar chart as docs/NAME.svg; returns the Markdown image line. */
export function writeChart(name: string, title: string, unit: string, bars: Bar[], digits = 3): string {
  return writeSvg(name, title, barChartSvg(title, unit, bars, digits));
}

export interface LineSeries {
  label: string;
  colour: string;
  /** [x, y] points in x order. */
  points: ReadonlyArray<readonly [number, number]>;
}

/** Lines over a shared x axis as standalone SVG; y from 0 to a round top, a legend row under the title. */
export function lineChartSvg(title: string, xUnit: string, yUnit: string, series: readonly LineSeries[]): string {
  const w = 720, h = 340, l = 70, r = 20, t = 56, b = 46;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1e-9, ...xs);
  const step = 10 ** Math.floor(Math.log10(Math.max(1e-9, ...ys)));
  const yMax = Math.ceil((Math.max(1e-9, ...ys) * 1.1) / step) * step;
  const x = (v: number): number => l + ((w - l - r) * v) / xMax;
  const y = (v: number): number => t + (h - t - b) * (1 - v / yMax);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => `<line x1="${l}" x2="${w - r}" y1="${y(f * yMax).toFixed(1)}" y2="${y(f * yMax).toFixed(1)}" stroke="#ddd"/>` +
    `<text x="${l - 6}" y="${(y(f * yMax) + 4).toFixed(1)}" text-anchor="end">${+(f * yMax).toPrecision(3)}</text>`).join('');
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(f * xMax).toFixed(1)}" y="${h - b + 16}" text-anchor="middle">${+(f * xMax).toPrecision(3)}</text>`).join('');
  const lines = series.map((s) => `<path d="${s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2"/>`).join('\n');
  const legend = series.map((s, i) => `<rect x="${l + i * 200}" y="32" width="14" height="4" fill="${s.colour}"/><text x="${l + i * 200 + 20}" y="38">${esc(s.label)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="${w}" height="${h}" fill="#fff"/>
<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>
${legend}
${grid}${xTicks}
${lines}
<text x="${(l + w - r) / 2}" y="${h - 10}" text-anchor="middle" fill="#555">${esc(xUnit)}</text>
<text x="14" y="${(t + h - b) / 2}" text-anchor="middle" fill="#555" transform="rotate(-90 14 ${(t + h - b) / 2})">${esc(yUnit)}</text>
</svg>
`;
}

/** A line chart as docs/NAME.svg; returns the Markdown image line. */
export function writeLineChart(name: string, title: string, xUnit: string, yUnit: string, series: readonly LineSeries[]): string {
  return writeSvg(name, title, lineChartSvg(title, xUnit, yUnit, series));
}
