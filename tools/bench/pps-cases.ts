// The forwarders the packet-rate case compares, each started on the same lab: the kernel's own
// IPv4 forwarding, the C references (TPACKET_V3 ring, AF_XDP copy mode) and the director in
// each forwarding method, run from the compiled dist/ code in its own node process.
import { unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, TMP, waitForAddon } from './cbuild.js';
import { ADDR, pinNapiThreads, pinned, setForwarding, setTcDrop, setThreadedNapi, startIn, startWithStdin, type PpsLab } from './pps-lab.js';
import { progress } from './options.js';
import type { Target } from './pps-probe.js';

export interface CaseEnv {
  lab: PpsLab;
  programs: { fwdTpacket: string; fwdXdp: string | null; tcDrop: string | null };
  /** Extra node flags for the director process (--trace-gc, --cpu-prof). */
  nodeFlags?: string[];
}

export interface Running {
  target: Target;
  /** What the reader should know about this run (XDP mode, what was skipped). */
  note?: string;
  /** The director's stats line, for checks and the report. */
  stats?: () => Promise<Record<string, unknown>>;
  /** The director process's stdout and stderr so far. */
  stdout?: () => string;
  output?: () => string;
  /** The forwarder process's pid (nice, taskset and ip netns exec all exec in place). */
  pid?: number;
  stop(): Promise<void>;
}

export interface PpsCase {
  name: string;
  title: string;
  start(env: CaseEnv): Promise<Running>;
}

/** Where each user-space forwarder runs: apart from its receive softirq. */
export const FWD_CPU = { tpacket: 1, xdp: 1, director: 1, directorXdp: 1 } as const;
const FLOWS = 256;

const kernel: PpsCase = {
  name: 'kernel',
  title: 'kernel IPv4 forwarding',
  async start({ lab }) {
    await setTcDrop(lab, null);
    await setForwarding(lab, true);
    return {
      target: { mac: lab.dutMac, ip: ADDR.realServers[0], flows: FLOWS },
      stop: () => setForwarding(lab, false),
    };
  },
};

const cTpacket: PpsCase = {
  name: 'c-tpacket',
  title: 'C TPACKET_V3 + sendmmsg, MAC rewrite',
  async start({ lab, programs }) {
    await setTcDrop(lab, programs.tcDrop);
    const p = startIn(lab, lab.dut, pinned(FWD_CPU.tpacket, [programs.fwdTpacket, lab.dutIf, ADDR.sinkMac]));
    await p.waitFor(/ready/, 5000);
    return { target: { mac: lab.dutMac, ip: ADDR.vip, flows: FLOWS }, pid: p.pid, stop: async () => { await p.stop(1000); } };
  },
};

const cXdp: PpsCase = {
  name: 'c-xdp',
  title: 'C AF_XDP copy mode, MAC rewrite',
  async start({ lab, programs }) {
    if (!programs.fwdXdp) throw new Error('the AF_XDP forwarder did not build (libxdp-dev, libbpf-dev)');
    await setTcDrop(lab, null);
    const p = startIn(lab, lab.dut, pinned(FWD_CPU.xdp, [programs.fwdXdp, lab.dutIf, ADDR.sinkMac]));
    const m = await p.waitFor(/ready (\w+)/, 10_000);
    await setThreadedNapi(lab, true); // the veth has NAPI instances only once XDP is attached
    const napi = await pinNapiThreads(lab, FWD_CPU.xdp);
    return {
      target: { mac: lab.dutMac, ip: ADDR.vip, flows: FLOWS },
      note: `${m[1]} XDP (copy mode), ${napi ? 'threaded NAPI on the DUT CPU' : 'NAPI not threaded: receive on the generator CPU'}`,
      pid: p.pid,
      stop: async () => {
        await setThreadedNapi(lab, false).catch(() => undefined);
        await p.stop(2000);
        const last = /^forwarded .*$/m.exec(p.stdout)?.[0];
        if (last !== undefined) progress(`  c-xdp: ${last}`);
      },
    };
  },
};

export function directorConfig(kind: 'DR' | 'NAT' | 'TUN' | 'FNAT'): string {
  const lines: string[] = [];
  if (kind === 'FNAT') lines.push(`local_address_group bench_lips {\n    ${ADDR.localAddresses}\n}\n`);
  lines.push(`virtual_server ${ADDR.vip} ${ADDR.port} {`, '    lb_algo rr', `    lb_kind ${kind}`, '    protocol UDP');
  if (kind === 'FNAT') lines.push('    laddr_group_name bench_lips');
  for (const rs of ADDR.realServers) lines.push(`    real_server ${rs} ${ADDR.port} {\n        weight 1\n    }`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Starts the compiled director in the DUT namespace with a generated config. */
/** Where the director runs: its CPU list (default FWD_CPU's one CPU) and the generator's flow count. */
export interface DirectorPlacement {
  cpus?: string;
  flows?: number;
}

export async function startDirector(env: CaseEnv, kind: 'DR' | 'NAT' | 'TUN' | 'FNAT', extraArgs: string[] = [], place: DirectorPlacement = {}): Promise<Running> {
  const { lab } = env;
  const xdp = extraArgs.includes('xdp');
  await waitForAddon();
  // The XDP port's program steers the frames itself; the TPACKET port needs the tc drop.
  await setTcDrop(lab, xdp ? null : env.programs.tcDrop);
  const conf = path.join(TMP, `${lab.prefix}-${kind.toLowerCase()}.conf`);
  writeFileSync(conf, directorConfig(kind));
  lab.cleanup.atEnd(() => { try { unlinkSync(conf); } catch { /* gone */ } });
  const script = path.join(ROOT, 'dist/tools/bench/director-proc.js');
  const argv = pinned(place.cpus ?? (xdp ? FWD_CPU.directorXdp : FWD_CPU.director), [process.execPath, ...(env.nodeFlags ?? []), script,
    '--config', conf, '--interface', lab.dutIf, ...extraArgs]);
  const { proc, write } = startWithStdin(lab, lab.dut, argv);
  await proc.waitFor(/ready/, 15_000);
  if (xdp) await setThreadedNapi(lab, true); // NAPI instances exist once XDP is attached
  const napi = xdp ? await pinNapiThreads(lab, FWD_CPU.directorXdp) : 0;
  const stats = async (): Promise<Record<string, unknown>> => {
    const seen = proc.stdout.split('\n').filter((l) => l.startsWith('stats ')).length;
    write('s');
    for (let i = 0; i < 200; i++) {
      const lines = proc.stdout.split('\n').filter((l) => l.startsWith('stats '));
      if (lines.length > seen) return JSON.parse(lines[lines.length - 1]!.slice(6)) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`director did not answer for stats: ${proc.stderr.trim()}`);
  };
  return {
    target: { mac: lab.dutMac, ip: ADDR.vip, flows: place.flows ?? FLOWS },
    stats,
    ...(xdp ? { note: napi ? 'threaded NAPI on the DUT CPU' : 'NAPI not threaded: receive on the generator CPU' } : {}),
    stdout: () => proc.stdout,
    pid: proc.pid,
    output: () => proc.stderr,
    stop: async () => {
      if (xdp) await setThreadedNapi(lab, false).catch(() => undefined);
      await proc.stop(3000);
    },
  };
}

const director = (kind: 'DR' | 'NAT' | 'TUN' | 'FNAT'): PpsCase => ({
  name: kind.toLowerCase(),
  title: `director ${kind}`,
  start: (env) => startDirector(env, kind),
});

/** The director on its AF_XDP port (io: 'xdp'), placed like the C AF_XDP reference. */
const directorXdp: PpsCase = {
  name: 'dr-xdp',
  title: 'director DR, AF_XDP port',
  start: (env) => startDirector(env, 'DR', ['--io', 'xdp']),
};

/** The director on another AF_PACKET receive ring than its default (the per-frame ring), side by side. */
const directorRing = (kind: 'DR' | 'NAT', ring: 'adaptive' | 'block'): PpsCase => ({
  name: `${kind.toLowerCase()}-${ring}`,
  title: `director ${kind}, ${ring === 'adaptive' ? 'adaptive ring' : 'block ring (TPACKET_V3)'}`,
  start: (env) => startDirector(env, kind, ['--rx-ring', ring]),
});

export const PPS_CASES: PpsCase[] = [kernel, cTpacket, cXdp, director('DR'), director('NAT'), director('TUN'), director('FNAT'), directorXdp,
  directorRing('DR', 'adaptive'), directorRing('DR', 'block'), directorRing('NAT', 'adaptive'), directorRing('NAT', 'block')];
