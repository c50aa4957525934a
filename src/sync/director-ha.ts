// What a director adds over its data plane for high availability: connection sync as
// global_defs' lvs_sync_daemon says (its socket, sync id, message size and first role), and the
// state file a lossless restart reads on start and writes on a clean stop (with workers, every
// worker's table: each entry goes back to the worker its client is steered to; sync likewise
// covers every worker's table).

import { readFileSync, statSync } from 'node:fs';
import type { DirectorConfig, LvsSyncDaemonConfig } from '../config/model.js';
import type { DataPlane } from '../datapath/data-plane.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../sched/types.js';
import type { AdoptResult } from '../workers/protocol.js';
import { workerOfClient } from '../workers/steering.js';
import { ConnSync, dumpTable, ipv6Entries, tableAdopter, type SyncRole } from './conn-sync.js';
import type { SyncConn } from './ipvs-sync-codec.js';
import { isTemplate } from './sync-entries.js';
import type { ConnAdopter } from './sync-receiver.js';
import { DEFAULT_STATE_MAX_AGE_MS, loadStateFile, writeStateFile } from './state-file.js';
import { DEFAULT_SYNC_SYSCTLS, type SyncSysctls } from './ipvs-sync-policy.js';
import type { SyncWorkers } from './sync-routing.js';
import { openUdpSync, type SyncTransport } from './sync-transport.js';

export interface HaOptions {
  /** The first sync role; default: the lvs_sync_daemon instance's configured state (MASTER: master), else backup. */
  syncRole?: SyncRole;
  /** Carry sync messages over this instead of the UDP socket (embedding, tests). */
  syncTransport?: SyncTransport;
  /** Send sync messages unicast to these addresses instead of the multicast group. */
  syncPeers?: string[];
  /** The state file: loaded on start when fresh enough, written on a clean stop. */
  stateFile?: string;
  /** Oldest state file loaded, seconds (default 60). */
  stateMaxAge?: number;
  /** Network namespace the director's interface lives in (sync's socket must be there too). */
  netns?: string;
}

/** IPv4 and UDP headers: the room a message leaves in the interface MTU (IPVS sync_maxlen). */
const IP_UDP_HEADERS = 28;

/** Workers 1..N-1 as connection sync needs them (the WorkerPool's syncWorkers). */
export interface SyncPool {
  syncWorkers(params: { syncId: number; maxLen: number; sysctls: SyncSysctls }): SyncWorkers;
}

/** Starts connection sync when the config has lvs_sync_daemon; null when it has none. With a pool, over every worker. */
export async function startSync(config: DirectorConfig, plane: DataPlane, clock: Clock, o: HaOptions,
                                log: Logger, pool: SyncPool | null = null): Promise<ConnSync | null> {
  const sd = config.globalDefs.lvsSyncDaemon;
  if (!sd) return null;
  const transport = o.syncTransport ?? await openUdp(sd, o);
  const params = { syncId: sd.syncId ?? 0, maxLen: sd.maxLen ?? mtuOf(sd.interface) - IP_UDP_HEADERS, sysctls: DEFAULT_SYNC_SYSCTLS };
  const sync = new ConnSync({
    plane, transport, clock, log: (line) => log.info({ event: 'sync' }, line), ...params,
    ...(pool !== null ? { workers: pool.syncWorkers(params) } : {}),
  });
  const where = o.syncTransport ? 'a given transport' : (o.syncPeers?.length ? `unicast to ${o.syncPeers.join(', ')}` : `${sd.group}:${sd.port}`);
  log.info({ event: 'sync', interface: sd.interface }, `sync: lvs_sync_daemon on ${sd.interface}, ${where}`);
  sync.setRole(o.syncRole ?? firstRole(config, sd));
  return sync;
}

/** keepalived decides by the instance's VRRP state; until VRRP drives it, its configured state. */
function firstRole(config: DirectorConfig, sd: LvsSyncDaemonConfig): SyncRole {
  const inst = config.vrrp.instances.find((i) => i.name === sd.instance);
  return inst?.state === 'MASTER' ? 'master' : 'backup';
}

async function openUdp(sd: LvsSyncDaemonConfig, o: HaOptions): Promise<SyncTransport> {
  if (o.netns !== undefined && !inNamespace(o.netns)) {
    throw new Error(`connection sync: this process is not in network namespace ${o.netns}, where ${sd.interface} is; ` +
      'run it there (ip netns exec) or give a sync transport');
  }
  return openUdpSync({ interface: sd.interface, port: sd.port, group: sd.group, ttl: sd.ttl, peers: o.syncPeers ?? [], receive: true });
}

/** True when this process already lives in the named namespace (same inode as /run/netns/NAME). */
function inNamespace(name: string): boolean {
  try {
    return statSync('/proc/self/ns/net').ino === statSync(`/run/netns/${name}`).ino;
  } catch {
    return false;
  }
}

function mtuOf(ifname: string): number {
  try {
    return Number(readFileSync(`/sys/class/net/${ifname}/mtu`, 'utf8').trim()) || 1500;
  } catch {
    return 1500;
  }
}

/**
 * An adopter that keeps worker 0's entries (its client hashes to worker 0) and sets the others'
 * aside, by worker, for the pool to hand over: the steering program sends a client's packets to
 * workerOfClient, so its connections must be there. A template goes by its (masked) client too.
 */
class SteeredAdopter implements ConnAdopter {
  readonly shares: Array<Array<[SyncConn, number]>>;
  /** Entries set aside: loadStateFile counted them as adopted. */
  conns = 0;
  templates = 0;

  constructor(private readonly main: ConnAdopter, private readonly workers: number) {
    this.shares = Array.from({ length: workers }, () => []);
  }

  adoptConn(entry: SyncConn, left: number): ReturnType<ConnAdopter['adoptConn']> {
    return this.setAside(entry, left) ? null : this.main.adoptConn(entry, left);
  }

  adoptTemplate(entry: SyncConn, left: number): ReturnType<ConnAdopter['adoptTemplate']> {
    return this.setAside(entry, left) ? null : this.main.adoptTemplate(entry, left);
  }

  /** False for worker 0's entries; otherwise sets it aside for its worker (loadStateFile counts it adopted for now). */
  private setAside(entry: SyncConn, left: number): boolean {
    const w = workerOfClient(entry.caddr, this.workers);
    if (w === 0) return false;
    this.shares[w]!.push([entry, left]);
    if (isTemplate(entry)) this.templates++;
    else this.conns++;
    return true;
  }
}

/** Workers 1..size-1 as the state file needs them (the WorkerPool): adopt hands shares[i] to worker i. */
export interface StateShares {
  readonly size: number;
  adopt(shares: ReadonlyArray<Array<[SyncConn, number]>>): Promise<AdoptResult[]>;
}

/** Loads the state file, when one is named, and logs what came of it (with workers, every worker's share). */
export async function restoreState(plane: DataPlane, o: HaOptions, log: Logger, pool: StateShares | null = null): Promise<void> {
  if (o.stateFile === undefined) return;
  const maxAgeMs = (o.stateMaxAge ?? DEFAULT_STATE_MAX_AGE_MS / 1000) * 1000;
  const steered = pool === null ? null : new SteeredAdopter(tableAdopter(plane), pool.size);
  const r = loadStateFile(o.stateFile, steered ?? tableAdopter(plane), Date.now(), maxAgeMs);
  if (r.refused !== null) {
    log.warn({ event: 'state', file: o.stateFile }, `state: not loaded: ${r.refused}`);
    return;
  }
  if (pool !== null && steered !== null) {
    r.conns -= steered.conns;
    r.templates -= steered.templates;
    for (const w of await pool.adopt(steered.shares)) {
      r.conns += w.conns;
      r.templates += w.templates;
      for (const [k, n] of Object.entries(w.drops)) r.drops[k as keyof typeof r.drops] = (r.drops[k as keyof typeof r.drops] ?? 0) + n;
    }
  }
  const skipped = Object.entries(r.drops).map(([k, n]) => `${k} ${n}`).join(', ');
  log.info({ event: 'state', file: o.stateFile, conns: r.conns, templates: r.templates }, `state: loaded ${r.conns} connections and ${r.templates} templates from ${o.stateFile} ` +
    `(written ${(r.ageMs / 1000).toFixed(1)} s ago)${skipped ? `; skipped: ${skipped}` : ''}`);
}

/**
 * Writes the state file, when one is named (the engine has stopped: the table no longer
 * changes), with others: the other workers' tables, as they sent them on stop.
 */
export function saveState(plane: DataPlane, clock: Clock, o: HaOptions, log: Logger, others: readonly SyncConn[] = []): void {
  if (o.stateFile === undefined) return;
  try {
    const entries = [...dumpTable(plane, clock), ...others];
    writeStateFile(o.stateFile, entries, Date.now());
    log.info({ event: 'state', file: o.stateFile, entries: entries.length }, `state: wrote ${entries.length} connections and templates to ${o.stateFile}`);
    const v6 = ipv6Entries(plane);
    if (v6 > 0) log.warn({ event: 'state', file: o.stateFile, skippedIpv6: v6 }, `state: ${v6} IPv6 connections not written (the state file carries IPv4 only)`);
  } catch (err) {
    log.error({ event: 'state', file: o.stateFile }, `state: could not write ${o.stateFile}: ${(err as Error).message}`);
  }
}
