// Horizontal bar charts as standalone SVG (median bars with min-max whiskers) for the
// benchmark sections in docs/; no dependencies, deterministic output.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './cbuild.js';

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

/** Writes docs/NAME.svg and returns the Markdown image line for BENCHMARKS.md. */
export function writeChart(name: string, title: string, unit: string, bars: Bar[], digits = 3): string {
  writeFileSync(path.join(ROOT, 'docs', `${name}.svg`), barChartSvg(title, unit, bars, digits));
  return `![${title}](docs/${name}.svg)`;
}
