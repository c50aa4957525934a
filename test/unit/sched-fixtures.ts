// Builders shared by the scheduler tests: dests, services, packets, a fake clock, a seeded PRNG.
import { DestFlags, type Clock, type Dest, type SchedFlag, type SchedPacket, type SchedService } from '../../src/sched/types.js';

export function dest(id: number, weight: number, over: Partial<Dest> = {}): Dest {
  return {
    id, addr: (0xc6130000 + 11 + id) >>> 0, addr6: null, port: 80, weight,
    activeConns: 0, inactConns: 0, persistConns: 0, flags: DestFlags.AVAILABLE, ...over,
  };
}

export function dests(weights: number[]): Dest[] {
  return weights.map((w, i) => dest(i, w));
}

export function service(ds: Dest[], flags: SchedFlag[] = [], options: Record<string, number | string> = {}): SchedService {
  return { dests: ds, schedFlags: new Set(flags), schedOptions: options };
}

export function packet(srcAddr: number, srcPort = 40000, dstAddr = 0xc6130064): SchedPacket {
  return {
    proto: 6, family: 4, srcAddr: srcAddr >>> 0, srcPort, dstAddr: dstAddr >>> 0, dstPort: 80,
    srcAddr6: new Uint32Array(4), dstAddr6: new Uint32Array(4),
  };
}

/** An IPv6 real server at 2001:db8::11+id (four host-order words, as the data path gives them). */
export function dest6(id: number, weight: number, over: Partial<Dest> = {}): Dest {
  return dest(id, weight, { addr: 0, addr6: Uint32Array.of(0x20010db8, 0, 0, 0x11 + id), ...over });
}

/** An IPv6 packet from src to dst (four words each), dst defaulting to 2001:db8::100. */
export function packet6(src: ArrayLike<number>, srcPort = 40000, dst: ArrayLike<number> = [0x20010db8, 0, 0, 0x100]): SchedPacket {
  return {
    proto: 6, family: 6, srcAddr: 0, srcPort, dstAddr: 0, dstPort: 80,
    srcAddr6: Uint32Array.from(src), dstAddr6: Uint32Array.from(dst),
  };
}

export class FakeClock implements Clock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Deterministic 32-bit PRNG (mulberry32) for client addresses. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export const NAMES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export function nameOf(d: Dest | null): string {
  return d === null ? '-' : NAMES[d.id]!;
}
