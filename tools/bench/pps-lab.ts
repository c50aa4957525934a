// The packet-rate lab: an edge namespace (generator and sink on one veth end) and a DUT
// namespace (the other end, where the forwarder under test runs, one-armed as a DR director on
// its LAN). Addresses from 198.18.0.0/15 only; receive work pinned with RPS masks.
import { spawn } from 'node:child_process';
import type { Cleanup } from '../../src/lab/cleanup.js';
import { makePrefix } from '../../src/lab/cleanup.js';
import { addAddress, addNamespace, addRoute, addVethPair, linkInfo, linkUp, run, setNeighbour, setOffloads, sysctl } from '../../src/lab/netns.js';
import { NsProcess, spawnInNamespace } from '../../src/lab/process.js';

export const ADDR = {
  dut: '198.18.0.1',
  dutRsNet: '198.18.2.1',
  edge: '198.18.0.2',
  client: '198.18.1.1',
  vip: '198.18.0.100',
  realServers: ['198.18.2.11', '198.18.2.12', '198.18.2.13'],
  localAddresses: '198.18.3.1-4',
  port: 9,
  /** The real servers' MAC: no interface has it, the sink answers ARP with it and counts it. */
  sinkMac: '02:00:00:00:5b:01',
} as const;

/** Which CPU does what: the DUT's receive softirq on CPU 1, generator and sink on CPU 0. */
export const CPU = { gen: 0, sink: 0, dutRx: 1, edgeRx: 0 } as const;

export interface PpsLab {
  prefix: string;
  edge: string;
  dut: string;
  edgeIf: string;
  dutIf: string;
  dutMac: string;
  cleanup: Cleanup;
}

async function setRps(ns: string, dev: string, cpu: number): Promise<void> {
  await run('ip', ['netns', 'exec', ns, 'sh', '-c', `echo ${(1 << cpu).toString(16)} > /sys/class/net/${dev}/queues/rx-0/rps_cpus`]);
}

export async function createPpsLab(cleanup: Cleanup): Promise<PpsLab> {
  const prefix = makePrefix('bnch');
  const lab: PpsLab = { prefix, edge: `${prefix}-edge`, dut: `${prefix}-dut`, edgeIf: 'bnchg0', dutIf: 'bnchd0', dutMac: '', cleanup };
  for (const ns of [lab.edge, lab.dut]) {
    cleanup.namespace(ns);
    await addNamespace(ns);
  }
  await addVethPair(lab.edge, lab.edgeIf, lab.dut, lab.dutIf);
  await addAddress(lab.edge, lab.edgeIf, `${ADDR.edge}/24`);
  await addAddress(lab.dut, lab.dutIf, `${ADDR.dut}/24`);
  await addAddress(lab.dut, lab.dutIf, `${ADDR.dutRsNet}/24`);
  await linkUp(lab.edge, lab.edgeIf);
  await linkUp(lab.dut, lab.dutIf);
  // Software checksums on the generator's side: its GSO super-frames are cut into complete
  // 64-byte datagrams before they cross the veth (no CHECKSUM_PARTIAL frames reach the DUT).
  await setOffloads(lab.edge, lab.edgeIf, { tx: false });
  await setRps(lab.dut, lab.dutIf, CPU.dutRx);
  await setRps(lab.edge, lab.edgeIf, CPU.edgeRx);
  await sysctl(lab.dut, 'net.ipv4.conf.all.send_redirects', 0);
  await sysctl(lab.dut, `net.ipv4.conf.${lab.dutIf}.send_redirects`, 0);
  await setNeighbour(lab.dut, lab.dutIf, ADDR.realServers[0], ADDR.sinkMac);
  // The clients' network sits behind the edge: NAT and FULLNAT want a route for replies.
  await addRoute(lab.dut, '198.18.1.0/24', ADDR.edge);
  lab.dutMac = (await linkInfo(lab.dut, lab.dutIf)).mac;
  return lab;
}

/**
 * veth runs XDP in a NAPI instance scheduled on the sending CPU (the generator's). Threaded NAPI
 * turns that into a kernel thread, which we pin to the DUT's CPU at the forwarder's priority,
 * so AF_XDP's receive work lands where RPS puts the other forwarders' receive work.
 */
export async function setThreadedNapi(lab: PpsLab, on: boolean): Promise<void> {
  await run('ip', ['netns', 'exec', lab.dut, 'sh', '-c', `echo ${on ? 1 : 0} > /sys/class/net/${lab.dutIf}/threaded`]);
}

/** Pins the DUT interface's NAPI threads (napi/IF-ID) to cpu at nice -20; returns how many. */
export async function pinNapiThreads(lab: PpsLab, cpu: number): Promise<number> {
  const ps = await run('ps', ['-eo', 'pid=,comm=']);
  const want = `napi/${lab.dutIf}-`.slice(0, 15);
  const pids = ps.split('\n').map((l) => l.trim().split(/\s+/)).filter(([, c]) => c !== undefined && c.startsWith(want)).map(([p]) => p!);
  for (const pid of pids) {
    await run('taskset', ['-pc', String(cpu), pid]);
    await run('renice', ['-n', '-20', '-p', pid]);
  }
  return pids.length;
}

export async function setForwarding(lab: PpsLab, on: boolean): Promise<void> {
  await sysctl(lab.dut, 'net.ipv4.ip_forward', on ? 1 : 0);
}

/**
 * A tc ingress program that drops everything on the DUT's interface after the packet taps saw
 * it, so the DUT's IP stack does not also spend time on frames a user-space forwarder owns.
 */
export async function setTcDrop(lab: PpsLab, object: string | null): Promise<void> {
  const exec = (args: string[]): Promise<string> => run('ip', ['netns', 'exec', lab.dut, 'tc', ...args]);
  await exec(['qdisc', 'del', 'dev', lab.dutIf, 'clsact']).catch(() => '');
  if (object === null) return;
  await exec(['qdisc', 'add', 'dev', lab.dutIf, 'clsact']);
  await exec(['filter', 'add', 'dev', lab.dutIf, 'ingress', 'bpf', 'da', 'obj', object, 'sec', 'tc']);
}

/** argv run at the highest CFS weight, pinned to one CPU or a list (the machine is shared and noisy). */
export function pinned(cpu: number | string, argv: string[]): string[] {
  return ['nice', '-n', '-20', 'taskset', '-c', String(cpu), ...argv];
}

/** Starts a process in a lab namespace, registered for cleanup. */
export function startIn(lab: PpsLab, ns: string, argv: string[]): NsProcess {
  const p = spawnInNamespace(ns, argv);
  lab.cleanup.process(p);
  return p;
}

/** The same with its stdin kept open for commands (the sink, the director process). */
export function startWithStdin(lab: PpsLab, ns: string, argv: string[]): { proc: NsProcess; write: (line: string) => void } {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  const proc = new NsProcess(ns, argv, child);
  lab.cleanup.process(proc);
  child.stdin.on('error', () => undefined);
  return { proc, write: (line) => { child.stdin.write(`${line}\n`); } };
}
