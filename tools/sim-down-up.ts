// A pure simulation of one server coming back from Down under a scheduler (wlc by default), with
// and without slow start: Poisson-free steady arrivals, exponential connection lifetimes from a
// seeded PRNG, an injected clock. Reports the recovered server's share of new connections per
// second: the numbers behind the chart tools/chart-down-up.ts draws, and the slow start tests.
import { getScheduler } from '../src/sched/registry.js';
import { createSlowStart } from '../src/sched/slow-start.js';
import { DestFlags, type Clock, type Dest, type SchedPacket, type SchedService } from '../src/sched/types.js';

export interface DownUpParams {
  servers: number;
  weight: number;
  ratePerSec: number;
  meanLifetimeMs: number;
  /** Time a closed connection still counts as inactive (FIN_WAIT/TIME_WAIT tail). */
  closeMs: number;
  upAtMs: number;
  observeSec: number;
  /** Slow start ramp; 0 = off. */
  rampMs: number;
  seed: number;
  scheduler?: string;
}

export const DEFAULT_DOWN_UP: DownUpParams = {
  servers: 4, weight: 100, ratePerSec: 1000, meanLifetimeMs: 10_000, closeMs: 2_000,
  upAtMs: 60_000, observeSec: 45, rampMs: 0, seed: 1,
};

export interface SecondShare {
  second: number;
  newConns: number;
  toRecovered: number;
  share: number;
}

/** Min-heap of (time, dest, phase) events in parallel arrays. */
class EventHeap {
  t: number[] = [];
  d: number[] = [];
  ph: number[] = [];
  push(t: number, d: number, ph: number): void {
    let i = this.t.length;
    this.t.push(t); this.d.push(d); this.ph.push(ph);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.t[p]! <= t) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): void {
    const last = this.t.length - 1;
    this.swap(0, last);
    this.t.pop(); this.d.pop(); this.ph.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.t.length && this.t[l]! < this.t[m]!) m = l;
      if (r < this.t.length && this.t[r]! < this.t[m]!) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
  private swap(a: number, b: number): void {
    for (const arr of [this.t, this.d, this.ph]) [arr[a], arr[b]] = [arr[b]!, arr[a]!];
  }
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every simulated client connects to one IPv4 VIP; the IPv6 words stay zero. */
const V4_PACKET: SchedPacket = {
  proto: 6, family: 4, srcAddr: 0, srcPort: 0, dstAddr: 0xc6130064, dstPort: 80,
  srcAddr6: new Uint32Array(4), dstAddr6: new Uint32Array(4),
};

export function simulateDownUp(p: DownUpParams): SecondShare[] {
  const sched = getScheduler(p.scheduler ?? 'wlc');
  const all: Dest[] = Array.from({ length: p.servers }, (_, i) => ({
    id: i, addr: 0xc613000b + i, addr6: null, port: 80, weight: p.weight,
    activeConns: 0, inactConns: 0, persistConns: 0, flags: DestFlags.AVAILABLE,
  }));
  const recovered = all[p.servers - 1]!;
  let svc: SchedService = { dests: all.slice(0, -1), schedFlags: new Set(), schedOptions: {} };
  let now = 0;
  const clock: Clock = { now: () => now };
  let state = sched.init(svc, clock);
  const ss = createSlowStart({ rampMs: p.rampMs });
  const heap = new EventHeap();
  const rnd = mulberry(p.seed);
  const out: SecondShare[] = [];
  const step = 1000 / p.ratePerSec;
  const end = p.upAtMs + p.observeSec * 1000;
  for (let i = 0; (now = i * step) < end; i++) {
    while (heap.t.length > 0 && heap.t[0]! <= now) {
      const d = all[heap.d[0]!]!;
      if (heap.ph[0] === 0) { d.activeConns--; d.inactConns++; heap.push(heap.t[0]! + p.closeMs, d.id, 1); }
      else d.inactConns--;
      heap.pop();
    }
    if (now >= p.upAtMs && !svc.dests.includes(recovered)) {
      svc = { ...svc, dests: all };
      ss.begin(recovered, p.weight, now);
      state = sched.update(state, svc, clock);
    } else if (ss.tick(now)) state = sched.update(state, svc, clock);
    const d = sched.schedule(state, svc, { ...V4_PACKET, srcAddr: i, srcPort: 1024 + (i % 60000) }, clock);
    if (d === null) continue;
    d.activeConns++;
    heap.push(now - p.meanLifetimeMs * Math.log(1 - rnd()), d.id, 0);
    if (now < p.upAtMs) continue;
    const sec = Math.floor((now - p.upAtMs) / 1000);
    const row = out[sec] ?? (out[sec] = { second: sec, newConns: 0, toRecovered: 0, share: 0 });
    row.newConns++;
    if (d === recovered) row.toRecovered++;
  }
  for (const r of out) r.share = r.toRecovered / r.newConns;
  return out;
}
