// Renders the "pps" section of BENCHMARKS.md: per-forwarder no-drop rates (median, min-max),
// paired ratios against the references of the same round, the issue's targets, GC counts.
import { writeChart } from './chart.js';
import { machineLine, writeSection } from './report.js';
import { fmtLoad, type LoadSample } from './load.js';
import { fmtSpread, median, spread, today, verdict, type BenchOptions } from './options.js';
import { PPS_CASES, FWD_CPU } from './pps-cases.js';
import type { GcResult } from './pps-gc.js';
import type { SearchResult } from './pps-probe.js';
import type { PpsSettings } from './pps.js';

export type CaseResult = (SearchResult & { note?: string; stats?: Record<string, unknown>; load: LoadSample }) | { error: string };
export type PpsRound = Map<string, CaseResult>;

const ok = (r: CaseResult | undefined): r is SearchResult & { note?: string; load: LoadSample } => r !== undefined && 'rate' in r && r.rate > 0;
const measured = (r: CaseResult | undefined): r is SearchResult & { load: LoadSample } => r !== undefined && 'rate' in r;

function loadOf(rounds: PpsRound[], name: string): string {
  return fmtLoad(rounds.map((r) => r.get(name)).filter(measured).map((r) => r.load));
}

const present = (rounds: PpsRound[]) => PPS_CASES.filter((c) => rounds.some((r) => r.has(c.name)));

function rates(rounds: PpsRound[], name: string): number[] {
  return rounds.map((r) => r.get(name)).filter(ok).map((r) => r.rate);
}

/** Median over rounds of a/b measured in the same round (pairs cancel the machine's drift). */
export function pairedRatio(rounds: PpsRound[], a: string, b: string): number {
  const xs = rounds.flatMap((r) => {
    const x = r.get(a);
    const y = r.get(b);
    return ok(x) && ok(y) ? [x.rate / y.rate] : [];
  });
  return xs.length > 0 ? median(xs) : NaN;
}

function notes(rounds: PpsRound[], name: string): string {
  const out = new Set<string>();
  for (const r of rounds) {
    const x = r.get(name);
    if (!x) continue;
    if ('error' in x) out.add(`failed: ${x.error}`);
    else {
      if (x.genLimited) out.add('generator-limited: at least this');
      if (x.note) out.add(x.note);
      const drops = (x.stats?.drops ?? {}) as Record<string, number>;
      const nz = Object.entries(drops).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
      if (nz.length) out.add(`director drops: ${nz.join(', ')}`);
    }
  }
  return [...out].join('; ');
}

function caseRows(rounds: PpsRound[]): string[] {
  return present(rounds).map((c) => {
    const s = spread(rates(rounds, c.name));
    const r = (b: string): string => { const v = pairedRatio(rounds, c.name, b); return Number.isFinite(v) ? v.toFixed(2) : 'n/a'; };
    return `| ${c.title} | ${fmtSpread(s, 3, 1e-6)} | ${s.runs} | ${r('kernel')} | ${r('c-tpacket')} | ${r('c-xdp')} | ${loadOf(rounds, c.name)} | ${notes(rounds, c.name)} |`;
  });
}

function targetRows(rounds: PpsRound[]): string[] {
  const row = (what: string, value: number, want: number, shown: string): string =>
    `| ${what} | ${shown} | ${verdict(value, want)} |`;
  const rt = (a: string, b: string): number => pairedRatio(rounds, a, b);
  const f = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(3)}×` : 'n/a');
  const drx = median(rates(rounds, 'dr-xdp'));
  return [
    row('DR ≥ 0.9 × C reference, same I/O method (TPACKET_V3)', rt('dr', 'c-tpacket'), 0.9, f(rt('dr', 'c-tpacket'))),
    row('TUN ≥ 0.9 × C reference (TPACKET_V3)', rt('tun', 'c-tpacket'), 0.9, f(rt('tun', 'c-tpacket'))),
    row('NAT ≥ 0.8 × C reference (TPACKET_V3)', rt('nat', 'c-tpacket'), 0.8, f(rt('nat', 'c-tpacket'))),
    row('FULLNAT ≥ 0.8 × C reference (TPACKET_V3)', rt('fnat', 'c-tpacket'), 0.8, f(rt('fnat', 'c-tpacket'))),
    row('DR on AF_XDP ≥ 0.9 × C reference, same I/O method (AF_XDP copy mode)', rt('dr-xdp', 'c-xdp'), 0.9, f(rt('dr-xdp', 'c-xdp'))),
    `| DR no-drop ≥ 0.5 Mpps with the AF_XDP port | ${Number.isFinite(drx) ? (drx / 1e6).toFixed(3) : 'n/a'} Mpps | ${verdict(drx, 0.5e6)} |`,
    row('DR on AF_XDP ≥ 0.6 × kernel forwarding (where the kernel figure is generator-limited this ratio is an upper bound)', rt('dr-xdp', 'kernel'), 0.6, f(rt('dr-xdp', 'kernel'))),
  ];
}

function gcLines(gc: GcResult | null): string[] {
  if (gc === null) return ['GC: not measured.'];
  if ('error' in gc) return [`GC: not measured: ${gc.error}`];
  const flat = gc.load.markCompact <= gc.idle.markCompact + 1 && gc.load.scavenge <= gc.idle.scavenge + 2;
  return [
    `GC under load (target: count flat over a ${gc.seconds} s run at full rate): director DR with \`--trace-gc\`, `,
    `${gc.seconds} s idle then ${gc.seconds} s at ${(gc.rate / 1e6).toFixed(3)} Mpps (${gc.packets} packets, loss ${(gc.loss * 100).toFixed(2)}%).`,
    '',
    '| window | scavenges | mark-compacts |',
    '|---|---|---|',
    `| idle ${gc.seconds} s | ${gc.idle.scavenge} | ${gc.idle.markCompact} |`,
    `| load ${gc.seconds} s | ${gc.load.scavenge} | ${gc.load.markCompact} |`,
    '',
    `Target "GC count flat": **${flat ? 'met' : 'missed'}** (${flat ? 'no more collections under load than idle, within 2 scavenges' : `${gc.load.scavenge} scavenges under load against ${gc.idle.scavenge} idle: something allocates per batch or per packet`}).`,
  ];
}

export function writePpsReport(rounds: PpsRound[], s: PpsSettings, o: BenchOptions, gc: GcResult | null): void {
  const chart = o.quick ? '' : writeChart('bench-pps', 'No-drop rate, 64-byte UDP, one-armed DUT', 'Mpps',
    present(rounds).map((c) => { const x = spread(rates(rounds, c.name)); return { label: c.title, median: x.median / 1e6, min: x.min / 1e6, max: x.max / 1e6 }; }));
  const md = [
    `## Packet rate, 64-byte UDP, no-drop (\`pps\`)${o.quick ? ' — QUICK RUN (one short run, not for comparison)' : ''}`,
    '',
    `Command: \`npm run bench -- pps${o.quick ? ' --quick' : ''}\`. Date: ${today()}. Machine: ${machineLine()}.`,
    '',
    `No-drop rate in Mpps (loss ≤ 0.1%, ${s.seconds} s probes, doubling then bisection until passing and failing rates are ${(s.step / 1e6).toFixed(2)} Mpps apart, at most ${s.maxProbes} probes${s.confirm ? ', a failing rate probed twice before it counts as failed' : ''}),`,
    `median (min-max) of ${s.rounds} round(s); every round runs every forwarder one after the other on the same lab.`,
    'Ratios are medians of the per-round ratios (a forwarder against the reference measured minutes apart in the same round).',
    'Load: the 1-minute load average before and after each search (range over the rounds) and the median share of both',
    'CPUs busy during it (any process, this benchmark\'s own included; steal when the hypervisor took any).',
    '',
    '| forwarder | no-drop Mpps | runs | × kernel | × C TPACKET | × C AF_XDP | load | notes |',
    '|---|---|---|---|---|---|---|---|',
    ...caseRows(rounds),
    '',
    chart,
    '',
    '### Targets (issue 5)',
    '',
    '| target | measured | |',
    '|---|---|---|',
    ...targetRows(rounds),
    '',
    ...gcLines(gc),
    '',
    '### How this is measured',
    '',
    '- Lab: an edge namespace and a DUT namespace joined by one veth pair. The director is one-armed (one port, as',
    '  an LVS director on its LAN), so every forwarder here receives and sends on the same DUT interface; generator',
    '  and sink share the edge end. The real servers are only addresses: the sink answers ARP for 198.18.2.11-13 with',
    '  a MAC no interface owns and counts frames to it (TPACKET_V3 ring behind a BPF filter, 96-byte snaps, per-type',
    '  counts UDP/IPIP); in the edge namespace those frames are PACKET_OTHERHOST and the stack drops them at once.',
    '- Generator (`tools/bench/c/gen.c`): UDP GSO super-frames of 16 datagrams through PACKET_VNET_HDR, cut into',
    '  60-byte frames by the edge veth in software (tx checksumming off, so the DUT sees complete checksums).',
    '  Measured here that is about twice the rate of a TX ring or sendmmsg of single frames, which spent a third',
    '  of their time sending RPS IPIs (one per frame when the DUT keeps up). 256 flows (source ports). Paced: it',
    '  sleeps between bursts instead of spinning. "generator-limited" marks a result where the generator could not',
    '  offer more and nothing was lost: the forwarder can do at least that.',
    '- CPU placement (2 CPUs): CPU 1 is the DUT. The kernel forwards in its receive softirq there (RPS mask on the',
    `  DUT veth), and every user-space forwarder runs there too (taskset; TPACKET forwarders CPU ${FWD_CPU.tpacket}, director CPU ${FWD_CPU.director},`,
    `  AF_XDP ones CPU ${FWD_CPU.xdp}). Generator, sink and the sink's receive softirq run on CPU 0. A TPACKET forwarder shares`,
    '  CPU 1 with its own receive softirq, which livelocks under sustained overload; the input is paced instead (fixed',
    '  rate, 2 s probes, the search backs off from any loss). Measured here, putting the forwarder on CPU 0 instead',
    '  made it compete with the generator and gave lower, generator-limited figures. veth runs XDP in a NAPI instance',
    '  scheduled on the sending CPU (the generator\'s); the AF_XDP cases switch the DUT veth to threaded NAPI and pin',
    '  that kernel thread to CPU 1 at nice -20, so their receive work (the copy into the UMEM) lands on the DUT CPU',
    '  like everyone else\'s. (Without that, the generator did the receive work and topped out near 0.4 Mpps:',
    '  "generator-limited".) Generator, sink and forwarders run at',
    '  nice -20: other work shares this machine and a forwarder descheduled for a few ms overflows any ring.',
    '- For the TPACKET forwarders a tc ingress BPF program drops every frame on the DUT interface after the packet',
    '  taps have seen it, so the DUT\'s own IP stack does not also spend CPU on them (DESIGN.md: "steal the frames").',
    '  The kernel case has no such drop and ip_forward=1; the AF_XDP case needs none (the XDP program redirects).',
    '- The director runs from the compiled `dist/` code in its own node process (`tools/bench/director-proc.ts`),',
    '  with a generated keepalived.conf: one UDP virtual server, rr over three real servers, per method.',
  ].join('\n');
  writeSection('pps', md);
}
