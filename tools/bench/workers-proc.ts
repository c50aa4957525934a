// One measurement of the data path on 1..N worker threads in a fresh process (run compiled from
// dist/): each thread runs its own data plane on its own in-memory port (as a worker does: own
// engine, connection table, scheduler state, FULLNAT port share) over the clients the fanout
// steering gives it (src/workers/steering.ts), all threads released at once, each pumping
// prebuilt batches of 64-byte TCP frames of established flows. Prints one JSON line: frames per
// second over all threads (wall clock from the common start to the last thread's end), each
// thread's own CPU time per frame (schedstat, ns), the share of wall time a thread was blocked
// (neither running nor runnable: 0 unless the threads wait on each other), and the capacity
// those imply with a core per thread (the sum of each thread's frames per CPU second: on a
// shared machine wall clock shows the other load).
//   workers-proc dr|nat|fnat WORKERS [FLOWS] [ROUNDS]
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ForwardMethod } from '../../src/config/model.js';
import { workerOfClient } from '../../src/workers/steering.js';
import { CLIENT, DIRECTOR_MAC, memoryLab, ROUTER_MAC, RS, RS_MAC, service, VIP } from '../../test/support/memory-plane.js';
import { ipToU32, TCP_FLAGS, tcpFrame, u32ToIp } from '../../test/support/packets.js';

const BATCH = 256;
/**
 * This thread's own CPU time and time spent runnable but waiting for a CPU, in ns, from
 * /proc/thread-self/schedstat (process.cpuUsage() counts every thread of the process). What a
 * thread's wall time holds beyond the two is time it was blocked (a lock, a wait).
 */
function threadSched(): { cpu: number; waiting: number } {
  const [cpu, waiting] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(' ').map(Number);
  return { cpu: cpu!, waiting: waiting! };
}

interface ThreadJob { mode: ForwardMethod; workers: number; index: number; flows: number; rounds: number; gate: SharedArrayBuffer }
interface ThreadResult {
  frames: number; startNs: string; endNs: string; cpuNsPerFrame: number; drops: number; conns: number;
  /** Share of its wall time the thread was neither running nor waiting for a CPU (blocked). */
  blocked: number;
}

/** Client i: one address per flow (the steering splits clients by address), port fixed. */
function clientIp(i: number): string {
  return u32ToIp(ipToU32(CLIENT) + i);
}

async function thread(job: ThreadJob): Promise<ThreadResult> {
  const mine = Array.from({ length: job.flows }, (_, i) => i).filter((i) => workerOfClient(ipToU32(clientIp(i)), job.workers) === job.index);
  const lab = await memoryLab(service(job.mode), undefined, { share: { workers: job.workers, index: job.index } });
  try {
    await lab.settle();
    const syn = mine.map((i) => tcpFrame({
      eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: clientIp(i), dst: VIP }, tcp: { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.SYN },
    }));
    for (let k = 0; k < syn.length; k += BATCH) lab.inject(...syn.slice(k, k + BATCH));
    const sent = await lab.settle();
    // Established traffic: client ACKs, and for NAT and FULLNAT every other frame a reply to what the director sent.
    const replies = new Map<number, Buffer>();
    if (job.mode !== 'dr') {
      for (const f of sent) {
        const ipStart = 14;
        const src = f.readUInt32BE(ipStart + 12);
        const dst = f.readUInt32BE(ipStart + 16);
        const sport = f.readUInt16BE(ipStart + 20);
        const dport = f.readUInt16BE(ipStart + 22);
        const rs = RS.indexOf(u32ToIp(dst));
        if (rs < 0) continue;
        replies.set(job.mode === 'nat' ? src : sport, tcpFrame({
          eth: { src: RS_MAC[rs]!, dst: DIRECTOR_MAC }, ip: { src: u32ToIp(dst), dst: u32ToIp(src) },
          tcp: { srcPort: dport, dstPort: sport, flags: TCP_FLAGS.ACK },
        }));
      }
    }
    const frames: Buffer[] = [];
    const replyList = [...replies.values()];
    mine.forEach((i, k) => {
      if (job.mode !== 'dr' && k % 2 === 1 && replyList.length > 0) frames.push(replyList[k % replyList.length]!);
      else frames.push(tcpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: clientIp(i), dst: VIP }, tcp: { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.ACK } }));
    });
    const batches: Buffer[][] = [];
    for (let k = 0; k < frames.length; k += BATCH) batches.push(frames.slice(k, k + BATCH));
    for (const b of batches) lab.inject(...b); // JIT warm-up
    lab.drain();
    // The memory port keeps what it sends (a copy each) until 65,536 frames wait, then only
    // counts: filled first, so every measured frame costs the same in every run, as a sink.
    for (let k = 0; lab.stats().port.txErrors === 0; k++) {
      if (k > 1000) throw new Error('the memory port never filled');
      for (const b of batches) lab.inject(...b);
    }
    const dropsBefore = Object.values(lab.stats().drops).reduce((a, b) => a + b, 0);
    const gate = new Int32Array(job.gate);
    Atomics.add(gate, 1, 1);
    Atomics.wait(gate, 0, 0);
    const sched0 = threadSched();
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (let r = 0; r < job.rounds; r++) {
      for (const b of batches) {
        lab.inject(...b);
        n += b.length;
      }
    }
    const t1 = process.hrtime.bigint();
    const sched1 = threadSched();
    const cpu = sched1.cpu - sched0.cpu;
    const wall = Number(t1 - t0);
    const blocked = Math.max(0, wall - cpu - (sched1.waiting - sched0.waiting)) / wall;
    const s = lab.stats();
    return {
      frames: n, startNs: t0.toString(), endNs: t1.toString(), cpuNsPerFrame: cpu / n,
      drops: Object.values(s.drops).reduce((a, b) => a + b, 0) - dropsBefore, conns: s.connections, blocked,
    };
  } finally {
    lab.plane.close();
  }
}

async function main(): Promise<void> {
  const [mode, workersText, flowsText, roundsText] = process.argv.slice(2);
  const workers = Number(workersText);
  const flows = Number(flowsText ?? '16384');
  const rounds = Number(roundsText ?? '20');
  if ((mode !== 'dr' && mode !== 'nat' && mode !== 'fnat') || !(workers >= 1 && workers <= 64)) {
    throw new Error('usage: workers-proc dr|nat|fnat WORKERS [FLOWS] [ROUNDS]');
  }
  const gate = new SharedArrayBuffer(8);
  const threads = Array.from({ length: workers }, (_, index) => new Worker(__filename, {
    workerData: { mode, workers, index, flows, rounds, gate } satisfies ThreadJob,
  }));
  const results = threads.map((w) => new Promise<ThreadResult>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }));
  const g = new Int32Array(gate);
  const deadline = Date.now() + 120_000;
  while (Atomics.load(g, 1) < workers) {
    if (Date.now() > deadline) throw new Error('threads did not get ready');
    await new Promise((r) => setTimeout(r, 5));
  }
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
  const rs = await Promise.all(results);
  await Promise.all(threads.map((w) => w.terminate()));
  const start = rs.map((r) => BigInt(r.startNs)).reduce((a, b) => (a < b ? a : b));
  const end = rs.map((r) => BigInt(r.endNs)).reduce((a, b) => (a > b ? a : b));
  const frames = rs.reduce((a, r) => a + r.frames, 0);
  const drops = rs.reduce((a, r) => a + r.drops, 0);
  if (drops > 0) throw new Error(`${drops} frames dropped`);
  // What the threads would forward with a core each: the sum of each one's frames per CPU second.
  const capacity = rs.reduce((a, r) => a + 1e9 / r.cpuNsPerFrame, 0);
  console.log(JSON.stringify({
    mode, workers, flows, pps: frames / (Number(end - start) / 1e9), capacity, cpuNsPerFrame: rs.map((r) => Math.round(r.cpuNsPerFrame)),
    framesPerWorker: rs.map((r) => r.frames), conns: rs.map((r) => r.conns), blocked: Math.max(...rs.map((r) => r.blocked)),
  }));
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(`workers-proc: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
} else {
  thread(workerData as ThreadJob).then((r) => parentPort!.postMessage(r), (err: unknown) => { throw err; });
}
