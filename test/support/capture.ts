// Packet captures inside a lab namespace for netns tests: a bounded tcpdump writing a pcap file
// (packet count and wall time both capped), a reader of that file into frames the test decoders
// understand, and tshark's own checksum verdict on it.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cleanup } from '../../src/lab/cleanup.js';
import { run } from '../../src/lab/netns.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { readPcap } from '../../src/simulate/pcap.js';

const NEEDS = 'Debian: apt-get install -y tcpdump tshark';

export interface Captured {
  /** Frames captured whole (shorter captures, cut by the snap length, are left out). */
  frames: Buffer[];
  /** The length on the wire of every captured frame, whole or cut. */
  wireLengths: number[];
}

export interface Capture {
  readonly file: string;
  /** Stops tcpdump (it flushes on SIGTERM) and returns what it wrote. */
  stop(): Promise<Captured>;
}

/**
 * Starts tcpdump on ifname in ns with a BPF filter, at most maxPackets packets and maxSeconds
 * seconds, and resolves once it is listening (so traffic sent afterwards is seen).
 */
export async function startCapture(cleanup: Cleanup, ns: string, ifname: string, filter: string,
  o: { maxPackets?: number; maxSeconds?: number; snaplen?: number } = {}): Promise<Capture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'director-capture-'));
  cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, `${ns}-${ifname}.pcap`);
  // --immediate-mode: hand each packet over at once (libpcap would otherwise hold it in a ring
  // block up to a second, and a stop would lose it); -U writes each packet as it comes, so stopping early loses nothing; -Z root: tcpdump would
  // otherwise drop to a user who cannot write into our private temporary directory; -B: 32 MiB of
  // kernel buffer, as immediate mode with the default drops packets in a burst.
  // maxSeconds only bounds a capture nobody stops (stop() ends every one); a loaded machine may
  // need long for the traffic in between.
  const p = spawnInNamespace(ns, ['timeout', String(o.maxSeconds ?? 180), 'tcpdump', '-Z', 'root', '-i', ifname, '-nn', '--immediate-mode', '-U', '-B', '32768', '-s', String(o.snaplen ?? 0),
    '-c', String(o.maxPackets ?? 1000), '-w', file, filter]);
  cleanup.process(p);
  await waitListening(p);
  return { file, stop: async () => { await p.stop(1000); return capturedFrames(readFileSync(file)); } };
}

async function waitListening(p: NsProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/listening on/.test(p.stderr)) {
    if (!p.running) throw new Error(`tcpdump in ${p.ns} exited: ${p.stderr.trim()} (${NEEDS})`);
    if (Date.now() > deadline) throw new Error(`tcpdump in ${p.ns} not listening after ${timeoutMs} ms: ${p.stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The frames of a pcap file: whole ones (cut by the snap length left out) and every wire length. */
function capturedFrames(b: Buffer): Captured {
  const { records } = readPcap(b);
  return {
    frames: records.filter((r) => r.frame.length === r.wireLength).map((r) => r.frame),
    wireLengths: records.map((r) => r.wireLength),
  };
}

export interface TsharkVerdict {
  /** Frames tshark read. */
  frames: number;
  /** Checksums tshark verified and found good, per layer (IPIP frames count two IP headers). */
  good: { ip: number; tcp: number; udp: number };
  /** "frame N: LAYER" for every checksum tshark calls bad. */
  bad: string[];
}

const STATUS_FIELDS = ['ip', 'tcp', 'udp'] as const;

/** Runs tshark over a pcap file with checksum validation on and collects its checksum verdicts. */
export async function tsharkChecksums(file: string): Promise<TsharkVerdict> {
  let out: string;
  try {
    out = await run('tshark', ['-n', '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
      '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.number',
      ...STATUS_FIELDS.flatMap((f) => ['-e', `${f}.checksum.status`])], 180_000);
  } catch (e) {
    throw new Error(`tshark could not read ${file}: ${(e as Error).message} (${NEEDS})`);
  }
  const v: TsharkVerdict = { frames: 0, good: { ip: 0, tcp: 0, udp: 0 }, bad: [] };
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const [frame, ...statuses] = line.split('\t');
    v.frames++;
    STATUS_FIELDS.forEach((layer, i) => {
      // Status per header of that layer, comma-separated (outer and inner IP in IPIP): 0 bad, 1 good, 2 unverified.
      for (const s of (statuses[i] ?? '').split(',')) {
        if (s === '1') v.good[layer]++;
        else if (s === '0') v.bad.push(`frame ${frame}: ${layer}`);
      }
    });
  }
  return v;
}
