// The machine's load while a figure was measured: this 2-CPU machine is shared, and a number
// taken while other work held a CPU means less. Each figure keeps the 1-minute load average
// before and after it, and the CPU time the whole machine spent busy and stolen in between
// (/proc/stat), so a reader can tell a quiet run from a crowded one.
import { readFileSync } from 'node:fs';
import os from 'node:os';

interface CpuTimes {
  busy: number;
  steal: number;
  total: number;
}

/** Load while one figure was measured. */
export interface LoadSample {
  loadBefore: number;
  loadAfter: number;
  /** Share of all CPUs busy in the interval (any process, the benchmark's own included), 0..1. */
  busy: number;
  /** Share of all CPUs stolen by the hypervisor in the interval, 0..1. */
  steal: number;
}

function cpuTimes(): CpuTimes {
  // First line: cpu user nice system idle iowait irq softirq steal guest guest_nice.
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/** Starts watching; the returned function ends the interval and gives its load. */
export function watchLoad(): () => LoadSample {
  const loadBefore = os.loadavg()[0]!;
  const a = cpuTimes();
  return () => {
    const b = cpuTimes();
    const total = Math.max(1, b.total - a.total);
    return { loadBefore, loadAfter: os.loadavg()[0]!, busy: (b.busy - a.busy) / total, steal: (b.steal - a.steal) / total };
  };
}

/** Several samples in one cell: load average range, median busy and the highest steal. */
export function fmtLoad(samples: readonly LoadSample[]): string {
  if (samples.length === 0) return 'n/a';
  const loads = samples.flatMap((s) => [s.loadBefore, s.loadAfter]);
  const busy = samples.map((s) => s.busy).sort((x, y) => x - y);
  const steal = Math.max(...samples.map((s) => s.steal));
  const mid = busy[Math.floor(busy.length / 2)]!;
  return `load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}, busy ${(mid * 100).toFixed(0)}%` +
    (steal >= 0.005 ? `, steal ${(steal * 100).toFixed(0)}%` : '');
}
