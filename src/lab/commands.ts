// What `director lab up|down|demo|status` do: build a lab, run a director in it, drive traffic,
// and always leave the machine as it was (demo) or recorded for `down` (up).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForwardMethod } from '../config/model.js';
import { parseKeepalivedConfig } from '../config/load.js';
import { Cleanup, makePrefix, removeByPrefix, sweepStale } from './cleanup.js';
import { startEmbedded, startProcess, waitForVip, waitForVip6, type LabDirector } from './director-runner.js';
import { ecmpDemo } from './ecmp-demo.js';
import { haDemo } from './ha-demo.js';
import { labKeepalivedConf } from './keepalived.js';
import { listNamespaces } from './netns.js';
import { countsTable, describeLab, howToReach, statsSummary } from './report.js';
import { countHttp, hostPort, HTTP_PORT, runClient, startRealServers, UDP_PORT } from './services.js';
import { listStates, readState, removeState, writeState } from './state.js';
import { buildLab, type LabHandle } from './topology.js';

export const LAB_FAMILY = 'dl';

export interface LabRunOptions {
  mode: ForwardMethod;
  servers: number;
  prefix?: string;
  offloads: boolean;
  connections: number;
  /** demo: run the director as a child process (bin/director) instead of embedding it. */
  process: boolean;
  json: boolean;
  /** up: start a director (default) or leave dir1 empty for one started by hand. */
  director: boolean;
  /** demo: two directors running VRRP, the master killed during a transfer. */
  ha: boolean;
  /** demo: this many directors (2 or 3) behind ECMP with bird2; 0 for none. */
  ecmp: number;
  /** A dual-stack lab: IPv6 addresses beside the IPv4 ones, the services on both VIPs. */
  ipv6: boolean;
}

const say = (s: string): void => { process.stdout.write(s + '\n'); };
const seconds = (t0: number): string => ((Date.now() - t0) / 1000).toFixed(2);

/** Refuses a prefix whose namespaces exist: building over them would remove them on failure. */
export async function checkPrefixFree(prefix: string): Promise<void> {
  const taken = (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
  if (taken.length > 0) throw new Error(`namespaces of prefix ${prefix} exist already (${taken.join(', ')}); run: director lab down --prefix ${prefix}`);
}

async function build(o: LabRunOptions, cleanup: Cleanup, directors = 1): Promise<LabHandle> {
  const prefix = o.prefix ?? makePrefix(LAB_FAMILY);
  await checkPrefixFree(prefix);
  return buildLab({ prefix, mode: o.mode, servers: o.servers, offloads: o.offloads, directors, ipv6: o.ipv6, cleanup });
}

export async function labUp(o: LabRunOptions): Promise<void> {
  const t0 = Date.now();
  const cleanup = new Cleanup();
  let workDir: string | null = null;
  try {
    const lab = await build(o, cleanup);
    workDir = mkdtempSync(path.join(os.tmpdir(), `director-lab-${lab.prefix}-`));
    const configFile = path.join(workDir, 'keepalived.conf');
    writeFileSync(configFile, labKeepalivedConf(lab));
    await startRealServers(lab, cleanup, { detached: true, logDir: workDir, udp: true });
    let pid = 0;
    if (o.director) {
      const director = startProcess(lab, configFile, cleanup, { detached: true, logFile: path.join(workDir, 'director.log') });
      await waitForVip(lab, director);
      if (lab.vip6 !== undefined) await waitForVip6(lab, director);
      pid = director.process?.pid ?? 0;
    }
    writeState({ prefix: lab.prefix, createdAt: new Date().toISOString(), workDir, configFile, directorPid: pid, lab });
    cleanup.release();
    if (o.json) { say(JSON.stringify(lab, null, 2)); return; }
    say(`lab ${lab.prefix} up in ${seconds(t0)} s: ${lab.mode.toUpperCase()}, ${lab.realServers.length} real servers, ${pid ? `director pid ${pid}` : 'no director'}`);
    say(describeLab(lab));
    say(`config ${configFile}; logs in ${workDir}`);
    if (!pid) say(`start one: ip netns exec ${lab.directors[0]?.ns} ./bin/director run --config ${configFile} --interface lan0`);
    say(howToReach(lab));
  } catch (e) {
    await cleanup.run().catch(() => undefined);
    if (workDir !== null) rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}

/** Removes one lab (by prefix) or every lab recorded or left by dead runs. */
export async function labDown(prefix?: string): Promise<void> {
  const t0 = Date.now();
  const prefixes = prefix !== undefined ? [prefix] : listStates().map((s) => s.prefix);
  const removed: string[] = [];
  for (const p of prefixes) {
    removed.push(...await removeByPrefix(p));
    const s = readState(p);
    if (s !== null) rmSync(s.workDir, { recursive: true, force: true });
    removeState(p);
  }
  // Labs whose creating process is gone and that no state file names (crashed up/demo).
  if (prefix === undefined) removed.push(...await sweepStale(LAB_FAMILY));
  say(removed.length === 0 ? 'no lab namespaces to remove' : `removed ${removed.length} namespaces in ${seconds(t0)} s: ${removed.join(' ')}`);
}

export function labStatus(): void {
  const states = listStates();
  if (states.length === 0) { say('no lab is up'); return; }
  for (const s of states) {
    say(`lab ${s.prefix} (${s.lab.mode.toUpperCase()}), up since ${s.createdAt}, director pid ${s.directorPid}, config ${s.configFile}`);
    say(describeLab(s.lab));
  }
}

async function startDirector(lab: LabHandle, o: LabRunOptions, cleanup: Cleanup): Promise<LabDirector> {
  const text = labKeepalivedConf(lab);
  if (!o.process) return startEmbedded(lab, parseKeepalivedConfig(text, 'lab.conf'));
  const workDir = mkdtempSync(path.join(os.tmpdir(), `director-lab-${lab.prefix}-`));
  const file = path.join(workDir, 'keepalived.conf');
  writeFileSync(file, text);
  cleanup.atEnd(() => rmSync(workDir, { recursive: true, force: true }));
  return startProcess(lab, file, cleanup);
}

export async function labDemo(o: LabRunOptions): Promise<boolean> {
  if (o.ha) return haDemo((cleanup) => build(o, cleanup, 2));
  if (o.ecmp > 0) return ecmpDemo((cleanup) => build(o, cleanup, o.ecmp), o.connections);
  const cleanup = new Cleanup();
  let director: LabDirector | null = null;
  try {
    let t = Date.now();
    const lab = await build(o, cleanup);
    await startRealServers(lab, cleanup, { udp: true });
    say(`lab ${lab.prefix} built in ${seconds(t)} s`);
    say(describeLab(lab));
    t = Date.now();
    director = await startDirector(lab, o, cleanup);
    const d = director;
    cleanup.first(() => d.stop()); // Ctrl-C: the signal handler runs the cleanup, not this finally
    const mac = await waitForVip(lab, director);
    say(`director (${director.kind}) owns ${lab.vip} after ${seconds(t)} s; ARP for the VIP answers ${mac} (director lan0 ${lab.directors[0]?.mac})`);
    if (lab.vip6 !== undefined) {
      const mac6 = await waitForVip6(lab, director);
      say(`director owns ${lab.vip6} after ${seconds(t)} s; neighbour solicitations for it answer ${mac6}`);
    }
    let ok = await drive(lab, lab.vip, lab.client.address, o);
    if (lab.vip6 !== undefined) ok = (await drive(lab, lab.vip6, lab.client.address6 ?? '', o)) && ok;
    await stopAndReport(director);
    director = null;
    return ok;
  } finally {
    if (director !== null) await director.stop().catch(() => undefined);
    const t = Date.now();
    await cleanup.run();
    say(`lab removed in ${seconds(t)} s`);
  }
}

/** Stops the director and prints its counters (a process prints its last ones when it stops). */
async function stopAndReport(director: LabDirector): Promise<void> {
  const live = director.stats();
  const out = await director.stop();
  const stats = director.kind === 'embedded' ? live : director.stats();
  const other = out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('stats: '));
  if (other.length > 0) say(`director output:\n${other.map((l) => `  ${l}`).join('\n')}`);
  if (stats !== null && stats !== undefined) say(`director stats:\n${statsSummary(stats)}`);
}

/** HTTP connections and UDP datagrams from the client (its address `from`) to one VIP; true if all answered. */
async function drive(lab: LabHandle, vip: string, from: string, o: LabRunOptions): Promise<boolean> {
  const t = Date.now();
  const http = await countHttp(lab, vip, o.connections, 1);
  say(`\n${o.connections} HTTP connections (Connection: close) from ${from} to ${hostPort(vip, HTTP_PORT)} in ${seconds(t)} s:`);
  say(countsTable(lab, http.counts));
  if (!http.ok) say(`  errors: ${JSON.stringify(http.result)}`);
  const target = hostPort(vip, UDP_PORT);
  const udp = await runClient(lab.client.ns, 'udp-client.js', ['--target', target, '--count', String(Math.min(o.connections, 30))]);
  say(`UDP echo to ${target}, a new source port each: ${JSON.stringify(udp.result.counts ?? udp.result)}`);
  return http.ok && udp.ok;
}
