// One probe of the packet-rate lab (the generator at a set rate for a set time, the sink's
// count before and after) and the search for the no-drop rate (loss <= 0.1%).
import { run } from '../../src/lab/netns.js';
import { sleep } from './options.js';
import { ADDR, CPU, pinned, startWithStdin, type PpsLab } from './pps-lab.js';
import type { NsProcess } from '../../src/lab/process.js';
import { runInNamespace } from '../../src/lab/process.js';

export interface SinkCount {
  count: number;
  udp: number;
  ipip: number;
  other: number;
  drops: number;
  last: string;
}

const COUNT_RE = /count (\d+) udp (\d+) ipip (\d+) other (\d+) drops (\d+) last (\S+)/g;

/** The sink process: counts frames to the real servers' MAC and answers ARP for them. */
export class Sink {
  private constructor(private readonly proc: NsProcess, private readonly write: (l: string) => void) {}

  static async start(lab: PpsLab, bin: string): Promise<Sink> {
    const { proc, write } = startWithStdin(lab, lab.edge, pinned(CPU.sink, [bin, lab.edgeIf, ADDR.sinkMac, ...ADDR.realServers]));
    await proc.waitFor(/ready/, 5000);
    return new Sink(proc, write);
  }

  async count(): Promise<SinkCount> {
    const before = [...this.proc.stdout.matchAll(COUNT_RE)].length;
    this.write('c');
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const all = [...this.proc.stdout.matchAll(COUNT_RE)];
      if (all.length > before) {
        const m = all[all.length - 1]!;
        return { count: +m[1]!, udp: +m[2]!, ipip: +m[3]!, other: +m[4]!, drops: +m[5]!, last: m[6]! };
      }
      if (!this.proc.running) break;
      await sleep(10);
    }
    throw new Error(`sink did not answer: ${this.proc.stderr.trim()}`);
  }

  async stop(): Promise<void> {
    await this.proc.stop(1000);
  }
}

export interface Target {
  /** Destination MAC and IPv4 of the generated frames. */
  mac: string;
  ip: string;
  flows: number;
}

export interface ProbeResult {
  rate: number;
  offered: number;
  sent: number;
  received: number;
  loss: number;
  /** The generator could not reach the asked rate (under 97% of it). */
  genLimited: boolean;
  sinkDrops: number;
  /** The sink's counters after the probe (frame types, last addresses seen). */
  sinkAfter: SinkCount;
  /** The director's port over the probe: frames in, lost at a full ring, ring switches. */
  port?: { rxFrames: number; rxRingDrops: number; rxRingSwitches: number };
  /**
   * Frames the generator's veth could not hand to the DUT's, whatever forwarder runs behind
   * it: with XDP attached there, the DUT's receive ring (256 frames) was full; without, the
   * receiving CPU's backlog.
   */
  dutRingDrops: number;
}

/** The generator side's transmit drops (veth counts a full peer ring there). */
async function edgeTxDropped(lab: PpsLab): Promise<number> {
  const links = JSON.parse(await run('ip', ['-n', lab.edge, '-s', '-j', 'link', 'show', 'dev', lab.edgeIf])) as
    Array<{ stats64?: { tx?: { dropped?: number } } }>;
  return links[0]?.stats64?.tx?.dropped ?? 0;
}

type PortCounts = { rxFrames: number; rxRingDrops: number; rxRingSwitches: number };

async function portCounts(c: ProbeContext): Promise<PortCounts | null> {
  if (!c.forwarder) return null;
  const port = ((await c.forwarder()).port ?? {}) as Partial<PortCounts>;
  return { rxFrames: port.rxFrames ?? 0, rxRingDrops: port.rxRingDrops ?? 0, rxRingSwitches: port.rxRingSwitches ?? 0 };
}

export interface ProbeContext {
  lab: PpsLab;
  gen: string;
  sink: Sink;
  target: Target;
  /** The director's stats, when the forwarder is one: each probe then says where frames went. */
  forwarder?: () => Promise<Record<string, unknown>>;
}

async function runGen(c: ProbeContext, rate: number, seconds: number): Promise<{ sent: number; ns: number }> {
  const argv = pinned(CPU.gen, [c.gen, c.lab.edgeIf, c.target.mac, ADDR.client, c.target.ip, String(ADDR.port),
    String(Math.round(rate)), String(seconds), String(c.target.flows)]);
  const r = await runInNamespace(c.lab.edge, argv, (seconds + 10) * 1000);
  const m = /sent (\d+) ns (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`generator failed (${r.status.code ?? r.status.signal}): ${r.stderr.trim()}`);
  return { sent: +m[1]!, ns: +m[2]! };
}

export async function probe(c: ProbeContext, rate: number, seconds: number): Promise<ProbeResult> {
  const a = await c.sink.count();
  const pa = await portCounts(c);
  const da = await edgeTxDropped(c.lab);
  const g = await runGen(c, rate, seconds);
  await sleep(250); // what the forwarder still holds, and the sink's 2 ms block timeout
  const b = await c.sink.count();
  const pb = await portCounts(c);
  const db = await edgeTxDropped(c.lab);
  const received = b.count - a.count;
  const offered = g.sent / (g.ns / 1e9);
  return {
    rate, offered, sent: g.sent, received, loss: g.sent > 0 ? Math.max(0, g.sent - received) / g.sent : 1,
    genLimited: offered < rate * 0.97, sinkDrops: b.drops - a.drops, sinkAfter: b, dutRingDrops: db - da,
    ...(pa && pb ? { port: { rxFrames: pb.rxFrames - pa.rxFrames, rxRingDrops: pb.rxRingDrops - pa.rxRingDrops, rxRingSwitches: pb.rxRingSwitches - pa.rxRingSwitches } } : {}),
  };
}

export interface SearchOptions {
  /** First rate tried. */
  guess: number;
  /** Never ask more than this. */
  max: number;
  seconds: number;
  /** Bound on probes per search. */
  maxProbes: number;
  /** Stop when the highest passing and lowest failing rates are at most this far apart (pps). */
  step: number;
  /**
   * Probe a failing rate once more before believing it: other work on this shared machine
   * stalls a forwarder now and then, and one stall must not decide the whole search.
   */
  confirm?: boolean;
  log?: (line: string) => void;
}

export interface SearchResult {
  /** Highest offered rate with loss <= 0.1% (pps). */
  rate: number;
  /** The highest passing probe was generator-limited: the forwarder may do more. */
  genLimited: boolean;
  probes: ProbeResult[];
}

export const MAX_LOSS = 0.001;

/** Doubling until a probe fails (or the generator tops out), then bisection; bounded in probes. */
export async function noDropRate(c: ProbeContext, o: SearchOptions): Promise<SearchResult> {
  let lo = 0;
  let hi = Infinity;
  let rate = o.guess;
  let best: ProbeResult | null = null;
  const probes: ProbeResult[] = [];
  while (probes.length < o.maxProbes) {
    let p = await probe(c, rate, o.seconds);
    probes.push(p);
    if (p.loss > MAX_LOSS && o.confirm && probes.length < o.maxProbes) {
      o.log?.(`    ${(rate / 1e6).toFixed(3)} Mpps: loss ${(p.loss * 100).toFixed(2)}%, probing again`);
      p = await probe(c, rate, o.seconds);
      probes.push(p);
    }
    const pass = p.loss <= MAX_LOSS;
    // Frames the director never saw were lost before its ring (or by the generator's port).
    const where = (p.port ? `; director got ${p.port.rxFrames} of ${p.sent}, ring drops ${p.port.rxRingDrops}, ring switches ${p.port.rxRingSwitches}` : '') +
      (p.dutRingDrops > 0 ? `; ${p.dutRingDrops} refused by the DUT's veth (its ring or backlog full, before any forwarder)` : '');
    o.log?.(`    ${(rate / 1e6).toFixed(3)} Mpps asked, ${(p.offered / 1e6).toFixed(3)} offered, loss ${(p.loss * 100).toFixed(2)}%${pass ? '' : ' x'}${p.genLimited ? ' (generator-limited)' : ''}${where}`);
    if (pass) {
      if (!best || p.offered > best.offered) best = p;
      lo = Math.max(lo, p.offered);
      if (p.genLimited || rate >= o.max) break;
    } else {
      hi = Math.min(hi, rate, p.offered);
    }
    const next = hi === Infinity ? Math.min(rate * 2, o.max) : (lo + hi) / 2;
    if (hi !== Infinity && hi - lo <= o.step) break;
    rate = next;
  }
  return { rate: best ? best.offered : 0, genLimited: best?.genLimited ?? false, probes };
}
