// Runs a director for a lab: embedded in this process through the Director API (the addon opens
// its socket inside the director namespace) or as `bin/director run` started in that namespace.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DirectorConfig } from '../config/model.js';
import type { Cleanup } from './cleanup.js';
import { spawnInNamespace, runInNamespace, type NsProcess } from './process.js';
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
}

/** Starts `bin/director run --config FILE --interface IF` inside the director namespace. */
export function startProcess(lab: LabHandle, configFile: string, cleanup: Cleanup, o: ProcessOptions = {}): LabDirector {
  const host = lab.directors[o.index ?? 0];
  if (host === undefined) throw new Error(`lab ${lab.prefix} has no director ${(o.index ?? 0) + 1}`);
  // Stats every second as "stats: {json}" lines: the lab reads the latest one.
  const argv = [process.execPath, directorBin(), 'run', '--config', configFile, '--interface', host.ifname, '--stats-interval', '1'];
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

/** The MAC that answers ARP for address on the router's LAN side, or null if nobody does. */
export async function arpFromRouter(lab: LabHandle, address: string, waitSeconds = 1): Promise<string | null> {
  const r = await runInNamespace(lab.router.ns, ['arping', '-c', '1', '-w', String(waitSeconds), '-I', lab.router.ifname, address],
    (waitSeconds + 4) * 1000);
  if (r.status.code !== 0 && r.status.code !== 1) {
    throw new Error(`arping could not run (${r.status.code ?? r.status.signal}): ${r.stderr.trim()} (Debian: apt-get install -y iputils-arping)`);
  }
  const m = /\[([0-9A-Fa-f:]{17})\]/.exec(r.stdout);
  return m?.[1] === undefined ? null : m[1].toLowerCase();
}

/** Waits until the VIP answers ARP (the director is up and owns it); throws after timeoutMs. */
export async function waitForVip(lab: LabHandle, timeoutMs = 10_000, director?: LabDirector): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const mac = await arpFromRouter(lab, lab.vip, 1);
    if (mac !== null) return mac;
    if (director?.process !== undefined && !director.process.running) {
      throw new Error(`director exited before owning the VIP: ${(director.process.stderr || director.process.stdout).trim()}`);
    }
  }
  throw new Error(`nobody answered ARP for the VIP ${lab.vip} within ${timeoutMs} ms`);
}
