// Runs a director for a lab: embedded in this process through the Director API (the addon opens
// its socket inside the director namespace) or as `bin/director run` started in that namespace.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DirectorConfig } from '../config/model.js';
import type { Cleanup } from './cleanup.js';
import { arpQuery } from './arp-probe.js';
import { ndQuery } from './nd-probe.js';
import { spawnInNamespace, type NsProcess } from './process.js';
import { repoRoot } from './services.js';
import type { LabHandle, LabHost } from './topology.js';

export interface LabDirector {
  kind: 'embedded' | 'process';
  host: LabHost;
  /** Counters: live (embedded) or from the child's latest stats line (null before the first). */
  stats(): unknown;
  /** Stops the director; resolves with what a child process printed (embedded: ''). */
  stop(): Promise<string>;
  /** The child process, when kind is 'process'. */
  process?: NsProcess;
}

type DirectorModule = typeof import('../director.js');
type DirectorClass = DirectorModule['Director'];

/** Loads the Director class on use: lab up/down must work without the native addon loaded. */
export async function loadDirectorClass(): Promise<DirectorClass> {
  const mod = (await import('../director.js')) as DirectorModule & { default?: DirectorModule };
  // Under an ESM loader a CommonJS module may show its exports only as `default`.
  const cls = mod.Director ?? mod.default?.Director;
  if (typeof cls?.start !== 'function') throw new Error('src/director exports no Director class');
  return cls;
}

export async function startEmbedded(lab: LabHandle, config: DirectorConfig, index = 0): Promise<LabDirector> {
  const host = lab.directors[index];
  if (host === undefined) throw new Error(`lab ${lab.prefix} has no director ${index + 1}`);
  const Director = await loadDirectorClass();
  const d = await Director.start({ config, interface: host.ifname, netns: host.ns, localAddress: host.address });
  return { kind: 'embedded', host, stats: () => d.stats(), stop: async () => { await d.stop(); return ''; } };
}

export function directorBin(): string {
  const bin = path.join(repoRoot(), 'bin', 'director');
  if (!existsSync(bin)) throw new Error(`${bin} is missing; run npm install (it builds the director)`);
  return bin;
}

export interface ProcessOptions {
  detached?: boolean;
  logFile?: string;
  index?: number;
  /** More `director run` options (--metrics ...). */
  args?: string[];
}

/** Starts `bin/director run --config FILE --interface IF` inside the director namespace. */
export function startProcess(lab: LabHandle, configFile: string, cleanup: Cleanup, o: ProcessOptions = {}): LabDirector {
  const host = lab.directors[o.index ?? 0];
  if (host === undefined) throw new Error(`lab ${lab.prefix} has no director ${(o.index ?? 0) + 1}`);
  // Stats every second as "stats: {json}" lines on stdout: the lab reads the latest one. Its log
  // (stderr) is for people reading the lab's output: human lines.
  const argv = [process.execPath, directorBin(), 'run', '--config', configFile, '--interface', host.ifname, '--stats-interval', '1',
    '--log-format', 'human', ...(o.args ?? [])];
  const p = spawnInNamespace(host.ns, argv, {
    detached: o.detached === true,
    ...(o.logFile === undefined ? {} : { logFile: o.logFile }),
  });
  if (o.detached !== true) cleanup.process(p);
  return {
    kind: 'process',
    host,
    process: p,
    stats: () => latestStats(p.stdout),
    stop: async () => { await p.stop(3000); return p.stdout + p.stderr; },
  };
}

/** The last complete "stats: {json}" line a director process printed, parsed, or null. */
export function latestStats(output: string): unknown {
  const lines = output.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (!line.startsWith('stats: ')) continue;
    try { return JSON.parse(line.slice(7)) as unknown; } catch { /* a torn line: look further back */ }
  }
  return null;
}

/**
 * Waits until the VIP answers ARP (the director is up and owns it); throws after timeoutMs, or
 * as soon as a director process exits. The bound only limits a failure: a director on a busy
 * machine may take seconds to start, and an answer ends the wait at once.
 */
export async function waitForVip(lab: LabHandle, director?: LabDirector, timeoutMs = 30_000): Promise<string> {
  const child = director?.process;
  const mac = await arpQuery({
    ns: lab.router.ns, ifname: lab.router.ifname, address: lab.vip, timeoutMs,
    check: () => {
      if (child !== undefined && !child.running) {
        throw new Error(`director exited before owning the VIP: ${(child.stderr || child.stdout).trim()}`);
      }
    },
  });
  if (mac === null) throw new Error(`nobody answered ARP for the VIP ${lab.vip} within ${timeoutMs} ms`);
  return mac;
}

/**
 * The IPv6 VIP's counterpart of waitForVip: waits until a neighbour advertisement answers for it
 * (the director serves it); resolves with the advertised MAC.
 */
export async function waitForVip6(lab: LabHandle, director?: LabDirector, timeoutMs = 30_000): Promise<string> {
  const vip6 = lab.vip6;
  const source = lab.router.address6;
  if (vip6 === undefined || source === undefined) throw new Error(`lab ${lab.prefix} is not dual-stack: it has no IPv6 VIP`);
  const child = director?.process;
  const mac = await ndQuery({
    ns: lab.router.ns, ifname: lab.router.ifname, source, address: vip6, timeoutMs,
    check: () => {
      if (child !== undefined && !child.running) throw new Error(`director exited before owning the VIP: ${(child.stderr || child.stdout).trim()}`);
    },
  });
  if (mac === null) throw new Error(`nobody answered neighbour solicitations for the VIP ${vip6} within ${timeoutMs} ms`);
  return mac;
}
