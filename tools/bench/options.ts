// Run-wide benchmark options (full or --quick) and the small statistics every case reports.

export interface BenchOptions {
  /** One short run per case, marked as quick in the output. */
  quick: boolean;
  /** Only these targets/cases of a bench (by name); the run then writes to a side file. */
  only?: readonly string[];
}

/** The items of a bench the run asked for (all when no --only was given). */
export function selected<T extends { name: string }>(all: readonly T[], o: BenchOptions): T[] {
  return o.only ? all.filter((x) => o.only!.includes(x.name)) : [...all];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length };
}

/** "0.412 (0.398-0.430)" with the given digits. */
export function fmtSpread(s: Spread, digits = 3, scale = 1): string {
  if (s.runs === 0 || !Number.isFinite(s.median)) return 'n/a';
  const f = (x: number): string => (x * scale).toFixed(digits);
  return s.runs === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

/** "met" / "missed" for a target of at least want. */
export function verdict(value: number, want: number): string {
  if (!Number.isFinite(value)) return 'not measured';
  return value >= want ? 'met' : 'missed';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Progress lines go to stderr-free stdout with a timestamp, so a long run shows where it is. */
export function progress(line: string): void {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[${t}] ${line}`);
}
