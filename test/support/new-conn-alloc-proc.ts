// One measurement of test/unit/new-conn-alloc.test.ts in a fresh node process (a director's
// process runs the data plane alone; in a test runner's process, code other tests drove can be
// left unoptimised, and unoptimised code boxes every large number it touches). Prints one JSON
// line: young-generation bytes per new connection over windows without a collection.
//
// usage: node --import tsx test/support/new-conn-alloc-proc.ts dr|nat|fnat|tun tcp|udp [v6]
import assert from 'node:assert/strict';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { ForwardMethod } from '../../src/config/model.js';
import { CLIENT, DIRECTOR_MAC, FakeClock, labConfig, LIPS, memoryLab, memoryLabFor, ROUTER_MAC, ROUTES, service, VIP, type MemoryLab } from './memory-plane.js';
import { learnNeighbours6, LIPS6, PLANE6, ROUTER6_MAC, service6, VIP6 } from './memory-plane6.js';
import { ipToU32, TCP_FLAGS, tcpFrame, u32ToIp, udpFrame } from './packets.js';
import { tcp6Frame, udp6Frame } from './packets6.js';

const BATCH = 256;
const BATCHES_PER_WINDOW = 8;
const WINDOW = BATCH * BATCHES_PER_WINDOW;
const WARM = 64 * BATCH;
/**
 * The fake clock stands still, so every SYN stays unconfirmed: the flood guard allows half the
 * table, and FULLNAT has its local addresses' ports above 1023. The warm-up and every attempted
 * window must fit in both, or the last windows of a slow run (many spoilt by collections) are
 * dropped.
 */
const CONN_CAPACITY = 1 << 18;
const LOCAL_PORTS = Math.min(LIPS.length, LIPS6.length) * (65536 - 1024);
const MAX_WINDOWS = Math.floor((Math.min(CONN_CAPACITY / 2, LOCAL_PORTS) - WARM) / WINDOW);

/** Start times (performance.now()) of the collections seen so far. */
const gcStarts: number[] = [];
const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcStarts.push(e.startTime); });

function newSpaceUsed(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
}

/** gc entries arrive asynchronously: let them land before asking whether one fell in a window. */
async function collectedBetween(t0: number, t1: number): Promise<boolean> {
  for (let k = 0; k < 3; k++) await new Promise((r) => setTimeout(r, 5));
  return gcStarts.some((t) => t >= t0 && t <= t1);
}

function syn(i: number, proto: 'tcp' | 'udp'): Buffer {
  if (v6) return syn6(i, proto);
  const c = { ip: u32ToIp(ipToU32(CLIENT) + (i >>> 14)), port: 1024 + (i & 0x3fff) };
  const base = { eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: c.ip, dst: VIP } };
  return proto === 'tcp'
    // Sequence numbers of 2^31 and more, as real ones are half the time: a uint32 that size
    // crossing a call unconverted would be boxed into a heap number.
    ? tcpFrame({ ...base, tcp: { srcPort: c.port, dstPort: 80, flags: TCP_FLAGS.SYN, seq: 0x9e3779b9 + i * 7919 } })
    : udpFrame({ ...base, udp: { srcPort: c.port, dstPort: 80, payload: Buffer.alloc(18) } });
}

/** An IPv6 client's first packet: clients 2001:db8:1::/48, one /64 per 16384 flows. */
function syn6(i: number, proto: 'tcp' | 'udp'): Buffer {
  const base = { eth: { src: ROUTER6_MAC, dst: DIRECTOR_MAC }, ip: { src: `2001:db8:1:${(i >>> 14).toString(16)}::10`, dst: VIP6 } };
  const port = 1024 + (i & 0x3fff);
  return proto === 'tcp'
    ? tcp6Frame({ ...base, tcp: { srcPort: port, dstPort: 80, flags: TCP_FLAGS.SYN, seq: 0x9e3779b9 + i * 7919 } })
    : udp6Frame({ ...base, udp: { srcPort: port, dstPort: 80, payload: Buffer.alloc(18) } });
}

/** Batches of first packets of flows from..from+count-1, built before anything is measured. */
function batches(from: number, count: number, proto: 'tcp' | 'udp'): Buffer[][] {
  const out: Buffer[][] = [];
  for (let k = 0; k < count; k += BATCH) out.push(Array.from({ length: BATCH }, (_, j) => syn(from + k + j, proto)));
  return out;
}

/** Young-generation bytes allocated per new connection over one window without a collection. */
async function bytesPerConn(lab: MemoryLab, list: Buffer[][], baseline: number): Promise<number | null> {
  const t0 = performance.now();
  const before = newSpaceUsed();
  for (const b of list) lab.injectBatch(b);
  const after = newSpaceUsed();
  const t1 = performance.now();
  if (await collectedBetween(t0, t1)) return null;
  return (after - before - baseline) / (list.length * BATCH);
}

/** What reading the heap statistics twice allocates by itself (their result objects). */
function readingCost(): number {
  let least = Infinity;
  for (let k = 0; k < 20; k++) {
    const a = newSpaceUsed();
    const b = newSpaceUsed();
    least = Math.min(least, b - a);
  }
  return least;
}

/** Frames dropped so far (the neighbours' ARP answers are consumed: counted as drops). */
function dropTotal(lab: MemoryLab): number {
  return Object.values(lab.stats().drops as Record<string, number>).reduce((a, b) => a + b, 0);
}

/** The test's bound (bytes per new connection): windows under it in a row are the steady state. */
const STEADY_BOUND = 4;

async function measure(method: ForwardMethod, proto: 'tcp' | 'udp'): Promise<{ perConn: number; conns: number }> {
  const windows = 6;
  // Milliseconds as Date.now() has them (not a small integer): a double passed around per
  // connection would be boxed, where the default fake clock's value would not show it.
  const clock = new FakeClock();
  clock.ms = 1_764_000_000_000;
  const lab = v6 ? await lab6(method, proto, clock) : await memoryLab(service(method, { protocol: proto }), clock, { connCapacity: CONN_CAPACITY });
  try {
    await lab.settle();
    const dropsBefore = dropTotal(lab);
    // Warm-up: the same path until the JIT has optimised it (interpreted code allocates freely).
    for (const b of batches(0, WARM, proto)) lab.injectBatch(b);
    lab.drain();
    const baseline = readingCost();
    let next = WARM;
    // On a busy machine the optimising compiler's background thread may finish long after the
    // warm-up, and until then the path runs unoptimised code that allocates: measure on until
    // `windows` clean windows in a row stay under the test's bound (steady state) or the attempts
    // run out, and report the median of the last clean windows either way.
    let seen: number[] = [];
    for (let attempt = 0; attempt < MAX_WINDOWS && !(seen.length >= windows && seen.slice(-windows).every((r) => r < STEADY_BOUND)); attempt++) {
      const list = batches(next, WINDOW, proto);
      next += WINDOW;
      const r = await bytesPerConn(lab, list, baseline);
      lab.drain(); // the memory port keeps what it sent, boundedly; outside the measured window
      if (r !== null) seen.push(r);
    }
    assert.ok(seen.length >= 3, `only ${seen.length} windows ran without a collection`);
    seen = seen.slice(-windows);
    assert.equal(dropTotal(lab), dropsBefore, `drops: ${JSON.stringify(lab.stats().drops)}`);
    assert.equal(lab.stats().connections, next, 'every first packet made a connection');
    seen.sort((a, b) => a - b);
    return { perConn: seen[seen.length >> 1]!, conns: next };
  } finally {
    lab.plane.close();
  }
}

/** The IPv6 lab: service6 over the IPv6 neighbours, learnt. */
async function lab6(method: ForwardMethod, proto: 'tcp' | 'udp', clock: FakeClock): Promise<MemoryLab> {
  const config = labConfig(service6(method, { protocol: proto }));
  if (method === 'fnat') config.localAddressGroups.lips6 = LIPS6;
  const lab = await memoryLabFor(config, clock, ROUTES, { ...PLANE6, connCapacity: CONN_CAPACITY });
  learnNeighbours6(lab.plane);
  return lab;
}

const [method, proto, family] = process.argv.slice(2) as [ForwardMethod, 'tcp' | 'udp', string | undefined];
const v6 = family === 'v6';
observer.observe({ entryTypes: ['gc'] });
measure(method, proto).then((r) => {
  observer.disconnect();
  console.log(JSON.stringify(r));
}, (err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
