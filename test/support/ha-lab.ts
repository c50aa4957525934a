// High-availability scenes in a netns lab: directors as `director run` processes in their
// namespaces (sync's socket must live there), the config with lvs_sync_daemon, moving the
// traffic from one director to the other by hand (the router's neighbour entry for the VIP, and
// for NAT and FULLNAT the routes through the director), and downloads held open across it.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { latestStats, directorBin } from '../../src/lab/director-runner.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { spawnInNamespace, runInNamespace, type NsProcess } from '../../src/lab/process.js';
import { HTTP_PORT, runClient, type ClientResult } from '../../src/lab/services.js';
import { ADDR, type LabHandle } from '../../src/lab/topology.js';
import type { Cleanup } from '../../src/lab/cleanup.js';
import type { DirectorStats } from '../../src/director.js';

export const SYNC_ID = 7;

/** The lab's HTTP service, plus lvs_sync_daemon on the LAN interface when sync is asked for. */
export function haConfig(lab: LabHandle, dir: string, o: { sync?: boolean; scheduler?: string } = {}): string {
  const file = path.join(dir, `keepalived-${o.scheduler ?? 'rr'}${o.sync ? '-sync' : ''}.conf`);
  const global = o.sync ? `global_defs {\n    lvs_sync_daemon lan0 id ${SYNC_ID}\n}\n` : '';
  writeFileSync(file, global + labKeepalivedConf(lab, { udp: false, ...(o.scheduler ? { scheduler: o.scheduler } : {}) }));
  return file;
}

/** Starts director `index` of the lab on its LAN interface; resolves once it is attached. */
export async function startDirector(lab: LabHandle, index: number, config: string, extra: string[], cleanup: Cleanup): Promise<NsProcess> {
  const host = lab.directors[index]!;
  const p = spawnInNamespace(host.ns, [process.execPath, directorBin(), 'run', '--config', config, '--interface', host.ifname,
    '--stats-interval', '1', ...extra]);
  cleanup.process(p);
  await p.waitFor(/director: attached/, 20_000, 'stderr');
  return p;
}

/** A director process's latest stats line (empty before the first). */
export function statsOf(p: NsProcess): Partial<DirectorStats> {
  return (latestStats(p.stdout) ?? {}) as Partial<DirectorStats>;
}

/** Active connections per real server address in a director's latest stats. */
export function activeByServer(p: NsProcess): Record<string, number> {
  const out: Record<string, number> = {};
  for (const svc of statsOf(p).services ?? []) {
    for (const rs of svc.realServers ?? []) if (rs.activeConns > 0) out[rs.address] = rs.activeConns;
  }
  return out;
}

/** Polls cond every 100 ms until it holds; throws with what was waited for after timeoutMs. */
export async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until a NAT or FULLNAT director's streams stopped: the same outBytes in three stats lines a second apart. */
export async function untilStalled(p: NsProcess, timeoutMs = 30_000): Promise<void> {
  let last = -1;
  let same = 0;
  let lines = 0;
  await until('the streams to stall at the hold', () => {
    const seen = p.stdout.split('\n').filter((l) => l.startsWith('stats: ')).length;
    if (seen === lines) return false;
    lines = seen;
    const out = (statsOf(p).services ?? []).reduce((n, s) => n + s.outBytes, 0);
    same = out === last && out > 1_000_000 ? same + 1 : 0;
    last = out;
    return same >= 2;
  }, timeoutMs);
}

async function ip(ns: string, args: string[]): Promise<void> {
  const r = await runInNamespace(ns, ['ip', ...args]);
  if (r.status.code !== 0) throw new Error(`ip ${args.join(' ')} in ${ns}: ${r.stderr.trim()}`);
}

/**
 * Sends the lab's traffic to director `index`, as a failover would: the router's neighbour
 * entry for the VIP is pinned to its MAC (so the other one's ARP answers change nothing), and
 * the routes that lead through a director (NAT: the real servers' way back to clients; FULLNAT:
 * the way to the local addresses) go through its address.
 */
export async function steerTo(lab: LabHandle, index: number): Promise<void> {
  const d = lab.directors[index]!;
  await ip(lab.router.ns, ['neigh', 'replace', lab.vip, 'lladdr', d.mac, 'nud', 'permanent', 'dev', lab.router.ifname]);
  if (lab.mode === 'fnat') await ip(lab.router.ns, ['route', 'replace', ADDR.lipNet, 'via', d.address]);
  for (const rs of lab.realServers) {
    if (lab.mode === 'nat') await ip(rs.ns, ['route', 'replace', ADDR.clientNet, 'via', d.address]);
    if (lab.mode === 'fnat') await ip(rs.ns, ['route', 'replace', ADDR.lipNet, 'via', d.address]);
  }
}

/** A download through the VIP that stops reading after holdAt bytes until holdFile exists. */
export function heldDownload(lab: LabHandle, holdFile: string, o: { bytes: number; holdAt: number; seed: number; timeoutMs: number }):
Promise<ClientResult> {
  return runClient(lab.client.ns, 'http-client.js', ['download', '--target', `${lab.vip}:${HTTP_PORT}`, '--bytes', String(o.bytes),
    '--seed', String(o.seed), '--hold', holdFile, '--hold-at', String(o.holdAt), '--timeout', String(o.timeoutMs)], o.timeoutMs + 10_000);
}
