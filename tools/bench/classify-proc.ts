// One classifier throughput measurement in a fresh process (run compiled from dist/): a director
// on an in-memory port (parse, TypeScript classification, rewrite, transmit; no syscalls) is fed
// prebuilt batches of 64-byte TCP frames. Prints one JSON line: frames per second (wall clock),
// CPU time per frame (steadier than wall clock on a shared machine) and garbage collections.
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { ForwardMethod } from '../../src/config/model.js';
import { CLIENT, FakeClock, memoryLab, ROUTER_MAC, DIRECTOR_MAC, RS, RS_MAC, service, VIP, type MemoryLab } from '../../test/support/memory-plane.js';
import { ipToU32, TCP_FLAGS, tcpFrame, u32ToIp } from '../../test/support/packets.js';

const BATCH = 256;

/** Garbage collections seen so far (young and old): per-frame allocation shows up here. */
let collections = 0;
/** The same split by kind, with the time they took (ms). */
const gc = { scavenges: 0, markCompacts: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
    collections++;
    gc.ms += e.duration;
    if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.scavenges++;
    else if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.markCompacts++;
  }
}).observe({ entryTypes: ['gc'] });

/** Client i's address and port: distinct for every i below 2^24. */
function client(i: number): { ip: string; port: number } {
  return { ip: u32ToIp(ipToU32(CLIENT) + (i >>> 14)), port: 1024 + (i & 0x3fff) };
}

function fromClient(i: number, flags: number): Buffer {
  const c = client(i);
  // Sequence numbers spread over all 32 bits, as real ones are (half of them 2^31 or more).
  return tcpFrame({
    eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: c.ip, dst: VIP },
    tcp: { srcPort: c.port, dstPort: 80, flags, seq: Math.imul(i + 1, 0x9e3779b1) >>> 0 },
  });
}

/** A clock at wall-clock magnitude (a double, as Date.now() is), so boxed times would show. */
function wallClock(): FakeClock {
  const clock = new FakeClock();
  clock.ms = 1_764_000_000_000;
  return clock;
}

/** A NAT real server's reply to client i (the lab's rr scheduler gives client i server i % 3). */
function reply(i: number): Buffer {
  const c = client(i);
  return tcpFrame({
    eth: { src: RS_MAC[i % RS.length]!, dst: DIRECTOR_MAC }, ip: { src: RS[i % RS.length]!, dst: c.ip },
    tcp: { srcPort: 8080, dstPort: c.port, flags: TCP_FLAGS.ACK },
  });
}

function batches(frames: Buffer[]): Buffer[][] {
  const out: Buffer[][] = [];
  for (let k = 0; k < frames.length; k += BATCH) out.push(frames.slice(k, k + BATCH));
  return out;
}

interface Rate {
  pps: number;
  /** User + system CPU time of this process per frame. */
  cpuNsPerFrame: number;
}

interface Result extends Rate {
  /** Garbage collections per million frames measured. */
  gcPerMFrames: number;
  /** New connections only: what the window of `frames` SYNs made and cost in collections. */
  window?: { frames: number; connPerSec: number; scavenges: number; markCompacts: number; gcMs: number };
}

/** The collection count once pending gc entries were delivered (they arrive asynchronously). */
async function settledCollections(): Promise<number> {
  for (let k = 0; k < 3; k++) await new Promise((r) => setTimeout(r, 20));
  return collections;
}

/** Injects every batch once. */
function pump(lab: MemoryLab, list: Buffer[][]): Rate {
  let frames = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const b of list) {
    lab.injectBatch(b); // the prebuilt array itself: a spread would copy it per batch
    frames += b.length;
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { pps: frames / (wallNs / 1e9), cpuNsPerFrame: ((cpu.user + cpu.system) * 1000) / frames };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Established flows: every flow opened by a SYN first, then rounds of ACKs over all flows. */
async function established(method: ForwardMethod, flows: number, rounds: number): Promise<Result> {
  const lab = await memoryLab(service(method), wallClock());
  try {
    await lab.settle();
    const syns = Array.from({ length: flows }, (_, i) => fromClient(i, TCP_FLAGS.SYN));
    pump(lab, batches(syns));
    await lab.settle(); // NAT: answers the ARP request for the router, the clients' next hop
    const acks = Array.from({ length: flows }, (_, i) => (method === 'nat' && i % 2 === 1 ? reply(i) : fromClient(i, TCP_FLAGS.ACK)));
    const list = batches(acks);
    pump(lab, list); // JIT warm-up
    const before = dropCount(lab);
    const gcBefore = await settledCollections();
    const rates: Rate[] = [];
    for (let r = 0; r < rounds; r++) rates.push(pump(lab, list));
    check(lab, before, flows);
    return {
      pps: median(rates.map((r) => r.pps)), cpuNsPerFrame: median(rates.map((r) => r.cpuNsPerFrame)),
      gcPerMFrames: (await settledCollections() - gcBefore) / (rounds * flows / 1e6),
    };
  } finally {
    lab.plane.close();
  }
}

/**
 * New connections: every frame a SYN of a flow never seen (an insert per frame), a fixed window
 * of `flows` of them after a warm-up on as many others; the collections during the window and
 * the time they took are the figure (persistence off: nothing should be allocated per connection).
 */
async function fresh(method: ForwardMethod, flows: number): Promise<Result> {
  // Room for twice the flows: the flood guard keeps unconfirmed connections (all of these) to half the table.
  const lab = await memoryLab(service(method), wallClock(), { connCapacity: flows * 4 });
  try {
    await lab.settle();
    const warm = flows;
    const syns = Array.from({ length: flows * 2 }, (_, i) => fromClient(i, TCP_FLAGS.SYN));
    pump(lab, batches(syns.slice(0, warm))); // JIT warm-up on other flows
    await lab.settle(); // NAT: the router's ARP answer (the clients' next hop)
    const list = batches(syns.slice(warm));
    const before = dropCount(lab);
    const connsBefore = lab.stats().connections;
    const gcBefore = await settledCollections();
    const g0 = { ...gc };
    const rate = pump(lab, list);
    const made = lab.stats().connections - connsBefore;
    check(lab, before, flows * 2);
    const gcAfter = await settledCollections();
    return {
      ...rate, gcPerMFrames: (gcAfter - gcBefore) / (flows / 1e6),
      window: {
        frames: flows, connPerSec: made / (flows / rate.pps), scavenges: gc.scavenges - g0.scavenges,
        markCompacts: gc.markCompacts - g0.markCompacts, gcMs: gc.ms - g0.ms,
      },
    };
  } finally {
    lab.plane.close();
  }
}

function dropCount(lab: MemoryLab): number {
  return Object.values(lab.stats().drops).reduce((a, b) => a + b, 0);
}

/** The measurement is void if a measured frame was dropped or a connection is missing. */
function check(lab: MemoryLab, dropsBefore: number, conns: number): void {
  const s = lab.stats();
  if (dropCount(lab) !== dropsBefore) throw new Error(`frames dropped: ${JSON.stringify(s.drops)}`);
  if (s.connections !== conns) throw new Error(`expected ${conns} connections, table has ${s.connections}`);
  if (s.port && s.port.verdictErrors > 0) throw new Error(`${s.port.verdictErrors} verdict errors`);
}

async function main(): Promise<void> {
  const [mode, flowText] = process.argv.slice(2);
  const flows = Number(flowText ?? '16384');
  let r: Result;
  if (mode === 'dr' || mode === 'nat') r = await established(mode, flows, 20);
  else if (mode === 'new') r = await fresh('dr', flows);
  else if (mode === 'newnat') r = await fresh('nat', flows);
  else throw new Error('usage: classify-proc dr|nat|new|newnat [flows]');
  console.log(JSON.stringify({ mode, flows, ...r }));
}

main().catch((err: unknown) => {
  console.error(`classify-proc: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
