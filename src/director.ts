// The embeddable director, and the one place its parts are put together: Director.start()
// attaches the native engine to one port, builds the service table from the config, and hands
// each part what it needs: the data plane gets the engine, port and table; the weight governor
// the table; the health manager (when the config has checkers) the table, the governor and an
// executor; VRRP (when the config has vrrp_instances) the plane's VIP gate and a raw socket on
// the same interface. It resolves with a running director; the CLI's `run` is a thin shell around it.
// reload() (a Reloader over those parts) is the one way a running director's config changes.
// High availability (connection sync, the restart state file) sits beside them (director-ha).

import type { Registry } from 'prom-client';
import { isServiceKey, type ServiceKey } from './adm/commands.js';
import { AdmEditError, planEdits, type AdmEdit } from './adm/edit-config.js';
import type { AdmConnection, AdmSnapshot, AdmTimeouts } from './adm/model.js';
import type { DirectorConfig } from './config/model.js';
import { WeightGovernor } from './control/governor.js';
import type { ReloadResult } from './control/reload-changes.js';
import { Reloader } from './control/reloader.js';
import { RateSampler } from './control/rates.js';
import { DataPlane } from './datapath/data-plane.js';
import { ServiceTable, type RuntimeService } from './datapath/service-table.js';
import { collectStats, type DirectorStats, type QuorumStats } from './director-stats.js';
import { quorumRule } from './control/quorum.js';
import { createExecutor } from './health/executor.js';
import { HealthManager } from './health/manager.js';
import { HaSuspendTracker } from './health/ha-suspend.js';
import { QuorumNotifier } from './health/quorum-notify.js';
import { RealServerNotifier } from './health/rs-notify.js';
import { realServerHealth } from './health/stats.js';
import { formatIpv4, parseIpv4 } from './net/addr.js';
import { readRoutes, readRoutesAsync } from './net/routes.js';
import { readAddress6, readRoutes6 } from './net/routes6.js';
import { loggerFrom, type LogCallback, type Logger } from './log/logger.js';
import { createMetricsRegistry } from './metrics/prometheus.js';
import { loadAddon } from './native/binding.js';
import type { NativeEngine, PacketPortOptions } from './native/types.js';
import type { Clock } from './sched/types.js';
import { buildSnapshot, zeroStats } from './stats/adm-snapshot.js';
import { connectionPages, DEFAULT_PAGE_LIMITS, type PageLimits } from './stats/connections.js';
import type { ConnSync, SyncRole, TablePull } from './sync/conn-sync.js';
import { restoreState, saveState, startSync, type HaOptions } from './sync/director-ha.js';
import { vrrpAddresses, VrrpRuntime, type TableSyncHooks } from './vrrp/vrrp-runtime.js';
import { ipv6ToWords } from './vrrp/vrrp-packet6.js';
import { MAX_WORKERS } from './workers/limits.js';
import { mergeSnapshot, mergeStats } from './workers/merge-stats.js';
import { serviceIdentity } from './workers/identity.js';
import { WorkerPool } from './workers/pool.js';
import type { VrrpAddr, VrrpState } from './vrrp/vrrp-types.js';

export type { DirectorStats } from './director-stats.js';
export type { ReloadChange, ReloadResult } from './control/reload-changes.js';
export { METRICS_CONTENT_TYPE } from './metrics/prometheus.js';

export type { SyncRole, TablePull } from './sync/conn-sync.js';

export interface DirectorOptions extends HaOptions {
  config: DirectorConfig;
  /** Attach with AF_PACKET (or AF_XDP, see io) to this existing interface (production default). */
  interface?: string;
  /** Or create/attach the TAP device of this name (give exactly one of interface and tap). */
  tap?: string;
  /**
   * With interface: packet (default) is AF_PACKET; xdp is AF_XDP and fails if it cannot attach;
   * auto tries AF_XDP and falls back to AF_PACKET, logging why.
   */
  io?: 'auto' | 'xdp' | 'packet';
  /**
   * AF_PACKET receive ring: 'frame' (default, TPACKET_V2: each frame at once), 'block'
   * (TPACKET_V3: a block at a time, frames wait up to 1 ms at moderate rates) or 'adaptive'
   * (both: each frame at once at moderate rates, a block at a time above 40,000 frames/s or
   * once frames queue; Linux 6.2+). docs/datapath.md says why the default.
   */
  rxRing?: 'adaptive' | 'block' | 'frame';
  /**
   * Data path threads (default 1). Above 1 the interface's AF_PACKET socket becomes a fanout
   * group with one member per worker, each with its own connection table; the main thread is
   * worker 0 and runs the control plane too (docs/workers.md). Needs interface and io 'packet'.
   */
  workers?: number;
  /**
   * Network namespace (name under /run/netns) the interface or TAP lives in; routes are read
   * there and health checks run there.
   */
  netns?: string;
  /** The director's own address on the segment (ARP sender, TUN outer source); default the interface's. */
  localAddress?: string;
  /** Connection table size; default the config's conn_table_size, else 1,048,576. */
  connCapacity?: number;
  /**
   * IPVS expire_nodest_conn, for this config and every one reloaded: when set, a packet of a
   * connection whose real server was removed expires the connection instead of it draining.
   * Default: the config's global_defs `expire_nodest_conn`.
   */
  expireNodestConn?: boolean;
  /** IPVS sloppy_tcp: a TCP segment of no known connection (but a RST) is scheduled as a new one. */
  sloppyTcp?: boolean;
  /**
   * Where log lines go: a pino logger (or anything with its debug/info/warn/error(fields, msg)),
   * or a callback given each message and its entry (level, time, fields). Default: nowhere.
   */
  log?: Logger | LogCallback;
}

/** Expiry, ARP refresh, hold timeouts and slow-start ramps advance this often. */
const TICK_MS = 1000;

interface Parts {
  plane: DataPlane;
  governor: WeightGovernor;
  health: HealthManager | null;
  clock: Clock;
  options: DirectorOptions;
  log: Logger;
  vrrp: VrrpRuntime | null;
  quorum: QuorumNotifier;
  /** notify_up / notify_down of real servers: health's, and a reload's removals. */
  notifier: RealServerNotifier;
  /** ha_suspend: which VIPs VRRP does not hold here (their ha_suspend checkers pause). */
  suspension: HaSuspendTracker;
  /** Workers 1..N-1; null with one worker. */
  pool: WorkerPool | null;
}

export class Director {
  private readonly timer: NodeJS.Timeout;
  private stopping: Promise<void> | null = null;
  private readonly reloader: Reloader;
  private health: HealthManager | null;
  /** IPVS rate estimators per service and real server (metrics, adm --rate). */
  private readonly rates: RateSampler;
  private metricsRegistry: Registry | null = null;
  private ha: { sync: ConnSync | null; options: HaOptions; log: Logger } | null = null;

  private constructor(private readonly parts: Parts) {
    const { plane, governor, clock, options, log } = parts;
    this.health = parts.health;
    this.reloader = new Reloader({
      config: options.config, plane, governor, clock, log,
      routes: () => readRoutesAsync(options.netns),
      adoptHealth: (table) => this.adoptHealth(table),
      effective: (config) => effectiveConfig(config, options),
    });
    this.rates = new RateSampler(clock);
    this.rates.sample(plane.table, parts.pool?.sums());
    this.timer = setInterval(() => {
      plane.tick();
      governor.tick();
      parts.pool?.syncWeights();
      this.rates.sample(plane.table, parts.pool?.sums());
      void this.reloader.settleDrained();
    }, TICK_MS);
  }

  /**
   * Starts a director: everything is attached and running when the promise resolves. On any
   * error it rejects with everything it opened closed again.
   */
  static async start(options: DirectorOptions): Promise<Director> {
    const log = loggerFrom(options.log);
    const clock: Clock = { now: () => performance.now() };
    const workers = workerCount(options);
    const table = ServiceTable.build(effectiveConfig(options.config, options), clock, undefined, { workers, index: 0 });
    const plane = openPlane(options, table, clock, log, workers);
    const pool = await startWorkers(options, plane, workers, log).catch((err: unknown) => {
      plane.close();
      throw err;
    });
    await restoreState(plane, options, log, pool);
    const sync = await startSync(options.config, plane, clock, options, log, pool).catch(async (err: unknown) => {
      await pool?.stop();
      plane.close();
      throw err;
    });
    const quorum = new QuorumNotifier(log);
    const notifier = new RealServerNotifier(log);
    const governor = new WeightGovernor({
      table, clock, log, onQuorum: (svc, t) => quorum.observe(svc, t), onRemoved: (dest, svc) => notifier.removed(dest, svc),
    });
    // The checks to pause follow VRRP; the manager in force then (adoptHealth may start one later).
    const live: { director: Director | null } = { director: null };
    const suspension = new HaSuspendTracker(options.config.vrrp.instances, (away) => live.director?.health?.suspendVips(away));
    const health = startHealth(options, table, governor, clock, log, { away: suspension.away(), notifier });
    governor.settleQuorum();
    const info = plane.portInfo;
    log.info({ event: 'start', port: info.name, mac: info.mac, kind: info.kind, services: table.services.length },
      `director: attached to ${info.name} (${info.mac}, ${info.kind}), ${table.services.length} services`);
    let vrrp: VrrpRuntime | null;
    try {
      const follow = syncFollower(options, sync);
      vrrp = startVrrp(options, plane, clock, log, (name, state) => {
        follow?.(name, state);
        suspension.instanceState(name, state);
      }, tableSync(options, sync));
    } catch (err) {
      await health?.stop();
      await sync?.close();
      await pool?.stop();
      plane.close();
      throw err;
    }
    const director = new Director({ plane, governor, health, clock, options, log, vrrp, quorum, suspension, notifier, pool });
    live.director = director;
    director.ha = { sync, options, log };
    return director;
  }

  /**
   * Connection sync's role (lvs_sync_daemon): master sends the table's changes, backup applies
   * a master's, none does neither. VRRP calls it on every state change of the lvs_sync_daemon
   * instance (unless a syncRole option pinned it); throws without sync.
   */
  setSyncRole(role: SyncRole): void {
    const sync = this.ha?.sync;
    if (!sync) throw new Error('director: connection sync is not configured (global_defs lvs_sync_daemon)');
    sync.setRole(role);
  }

  /**
   * A director joining N peers (sync role master,backup), before its routes are announced: asks
   * every peer for its connection table and resolves once one arrived whole, or after waitMs.
   * null without connection sync.
   */
  pullPeerTable(waitMs: number): Promise<TablePull> | null {
    return this.ha?.sync?.pullPeersTable(waitMs) ?? null;
  }

  /**
   * Before a drain: sends the sync peers the connections this director carries; how many (0
   * without sync). With workers the count is worker 0's: the other workers' entries follow once they answer.
   */
  shareSyncTable(): number {
    return this.ha?.sync?.shareOwnTable() ?? 0;
  }

  /** Counters and state as one JSON-able object, read at call time (also after stop()). */
  stats(): DirectorStats {
    const { plane, governor, clock, vrrp } = this.parts;
    const now = clock.now();
    const health = this.health;
    const stats = collectStats(plane, now, health ? (dest) => realServerHealth(health, governor, dest, now) : undefined,
      (svc) => quorumStats(governor, svc));
    const sync = this.ha?.sync;
    const merged = this.parts.pool ? mergeStats(stats, this.parts.pool.reports()) : stats;
    return { ...merged, ...(vrrp ? { vrrp: vrrp.stats() } : {}), ...(sync ? { sync: sync.stats() } : {}) };
  }

  /**
   * Applies config as a diff to the running director. It is checked whole first (services,
   * FULLNAT groups, room for the ids, a route to every real server, re-read now): if anything
   * is wrong the result says why (ok false, also logged) and nothing changed. Otherwise
   * unchanged services and real servers keep their connections, counters, health and slow
   * start; added ones join; removed ones drain; every change is logged and returned. Calls are
   * applied one at a time, in order: a second waits for the first. VRRP keeps the instances it
   * started with (a change is logged: it takes a restart).
   */
  reload(config: DirectorConfig): Promise<ReloadResult> {
    if (vrrpChanged(this.parts.options.config, config)) this.parts.log.warn({ event: 'vrrp' }, 'vrrp: vrrp_instance changes take effect on restart');
    return this.reloader.reload(config);
  }

  /**
   * The metrics in Prometheus text format (content type METRICS_CONTENT_TYPE), read from the
   * counters at call time: serve it from your own HTTP server, as `director run --metrics` does.
   */
  metrics(): Promise<string> {
    const pool = this.parts.pool;
    this.metricsRegistry ??= createMetricsRegistry({
      plane: this.parts.plane, rates: this.rates,
      up: (dest) => this.health?.checksOf(dest.id).every((s) => s.dampener.snapshot().up) ?? true,
      ...(pool ? { others: () => pool.sums() } : {}),
    });
    return this.metricsRegistry.metrics();
  }

  /** Services, real servers, counters since the last zero(), rates, timeouts: what `adm -L` and `-S` show. */
  snapshot(): AdmSnapshot {
    const snapshot = buildSnapshot(this.parts.plane, this.rates);
    return this.parts.pool ? mergeSnapshot(snapshot, this.parts.pool.reports()) : snapshot;
  }

  /**
   * The connections and persistence templates (`adm -L -c`), a page at a time; each page is
   * bounded work, so a caller that yields between pages never holds up the data path. With
   * workers, worker 0's pages, then each other worker's (asked for a page at a time).
   */
  connections(limits?: PageLimits): Iterable<AdmConnection[]> | AsyncIterable<AdmConnection[]> {
    const pool = this.parts.pool;
    const mine = connectionPages(this.parts.plane, limits);
    return pool === null ? mine : everyWorker(mine, pool.connections(limits ?? DEFAULT_PAGE_LIMITS));
  }

  /** `adm -Z`: counters and rates of one service and its real servers, or of all, from zero again. */
  zero(service: ServiceKey | null = null): void {
    const table = this.parts.plane.table;
    const services = service === null ? table.services : table.services.filter((s) => isService(s, service));
    if (services.length === 0 && service !== null) throw new AdmEditError('No such service');
    zeroStats(table, this.rates, services, this.parts.pool?.sums());
    this.parts.pool?.zero(service === null ? null : services.map(serviceIdentity));
  }

  /**
   * `adm --set`: TCP ESTABLISHED, FIN_WAIT and UDP timeouts (0 keeps one), made the lvs_timeouts
   * of the config in force; connections take them at their next packet.
   */
  setTimeouts(timeouts: AdmTimeouts): Promise<void> {
    return this.edit([{ kind: 'set-timeouts', timeouts }]);
  }

  /**
   * `adm` edits, all or nothing: the table edits are made to the config in force and applied as
   * a reload (connections untouched, removed servers drain), queued with reloads so none comes
   * between (--set is the config's lvs_timeouts); -Z follows once that is in force. Throws AdmEditError in libipvs's words,
   * or with the reason the reload gives; nothing changed then.
   */
  async edit(edits: readonly AdmEdit[]): Promise<void> {
    let zeros: Array<ServiceKey | null> = [];
    const result = await this.reloader.reloadWith((current) => {
      const plan = planEdits(current, edits);
      ({ zeros } = plan);
      return plan.config === current ? null : plan.config;
    });
    if (!result.ok) throw new AdmEditError(result.error ?? 'the director refused the change');
    this.parts.log.info({ event: 'adm', edits: edits.map((e) => e.kind) }, `adm: ${edits.map((e) => e.kind).join(', ')} applied`);
    // A -Z target deleted later in the same edits has nothing left to zero.
    for (const service of zeros) {
      if (service === null || this.parts.plane.table.services.some((s) => isService(s, service))) this.zero(service);
    }
  }

  /** Stops checks, timers and the engine; calling it again returns the same promise. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** A master resigns first (priority-0 advert), so its backup takes over within a skew time. */
  private async shutdown(): Promise<void> {
    this.parts.vrrp?.stop();
    clearInterval(this.timer);
    await this.reloader.close();
    this.stopQuorum();
    await this.health?.stop();
    // Only the shutdown scripts (killed after 1 s) are waited for: others may run 300 s.
    await this.parts.quorum.shutdownSettled();
    const others = await this.parts.pool?.stop(this.ha?.options.stateFile !== undefined) ?? [];
    this.parts.plane.close();
    if (this.ha) {
      saveState(this.parts.plane, this.parts.clock, this.ha.options, this.ha.log, others);
      await this.ha.sync?.close();
    }
  }

  /** keepalived's shutdown: omega services run notify_down of their alive servers, then quorum_down. */
  private stopQuorum(): void {
    const { plane, governor, quorum } = this.parts;
    for (const svc of plane.table.services) quorum.stopping(svc, svc.sched.dests.filter((d) => governor.view(d.id).up));
    governor.stopQuorum();
  }

  /** Health follows the table: a manager is started the first time a config has checkers. */
  private adoptHealth(table: ServiceTable): void {
    if (this.health !== null) this.health.adopt(table);
    else {
      const { options, governor, clock, log, suspension, notifier } = this.parts;
      this.health = startHealth(options, table, governor, clock, log, { away: suspension.away(), notifier });
    }
  }
}

/** A service's quorum for stats(), when its config says anything about it. */
function quorumStats(governor: WeightGovernor, svc: RuntimeService): QuorumStats | undefined {
  const q = governor.quorumOf(svc.id);
  if (q === null || (svc.config.quorum === undefined && svc.config.sorryServer === undefined)) return undefined;
  const rule = quorumRule(svc.config);
  return { up: q.up, weight: q.weight, quorum: rule.quorum, hysteresis: rule.hysteresis, sorryInUse: q.sorryInUse };
}

/** Whether the VRRP blocks differ (line numbers aside: moving a block changes nothing). */
function vrrpChanged(running: DirectorConfig, next: DirectorConfig): boolean {
  const text = (c: DirectorConfig): string => JSON.stringify(c.vrrp, (key, value: unknown) => (key === 'line' ? undefined : value));
  return text(running) !== text(next);
}

/** The config as run: the expireNodestConn option, when given, wins over global_defs. */
function effectiveConfig(config: DirectorConfig, o: DirectorOptions): DirectorConfig {
  if (o.expireNodestConn === undefined) return config;
  return { ...config, globalDefs: { ...config.globalDefs, expireNodestConn: o.expireNodestConn } };
}

function isService(svc: RuntimeService, key: ServiceKey): boolean {
  const c = svc.config;
  return isServiceKey({
    protocol: c.protocol, address: c.vip, port: svc.vport, ...(c.fwmark ? { fwmark: c.fwmark } : {}), ...(c.family ? { family: c.family } : {}),
  }, key);
}

/** Worker 0's connection pages, then the other workers'. */
async function* everyWorker(mine: Iterable<AdmConnection[]>, others: AsyncIterable<AdmConnection[]>): AsyncGenerator<AdmConnection[]> {
  yield* mine;
  yield* others;
}

/** The workers option, checked: above 1 it needs an AF_PACKET interface attachment. */
function workerCount(o: DirectorOptions): number {
  const n = o.workers ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new Error(`director: workers must be a whole number from 1 to ${MAX_WORKERS}, got ${n}`);
  if (n > 1 && (o.interface === undefined || (o.io ?? 'packet') !== 'packet')) {
    throw new Error('director: more than one worker needs an interface attachment with AF_PACKET (io packet)');
  }
  if (n > 1 && o.config.virtualServers.some((vs) => vs.family === 'inet6')) {
    throw new Error('director: IPv6 virtual services are served by one worker only (workers 1; docs/datapath.md#ipv6)');
  }
  if (n > 1 && o.rxRing === 'adaptive') {
    throw new Error("director: more than one worker takes rxRing 'block' or 'frame' (the adaptive ring's two rings are a fanout group of their own)");
  }
  return n;
}

/**
 * The fanout group of this director's workers: one id per process (a group is per network
 * namespace, and one director runs per interface there).
 */
function fanoutGroup(): number {
  return process.pid & 0xffff;
}

/** Workers 1..n-1 beside the main thread's plane, each on its own member of the fanout group; null for one worker. */
async function startWorkers(o: DirectorOptions, plane: DataPlane, workers: number, log: Logger): Promise<WorkerPool | null> {
  if (workers === 1) return null;
  const limits = o.config.globalDefs;
  const capacity = o.connCapacity ?? limits.connTableSize;
  const pool = await WorkerPool.start(plane, {
    workers, config: plane.table.config, routes: readRoutes(o.netns),
    attach: { interface: o.interface!, fanoutGroup: fanoutGroup(), ...(o.netns ? { netns: o.netns } : {}), ...(o.rxRing && o.rxRing !== 'adaptive' ? { rxRing: o.rxRing } : {}) },
    ...(o.localAddress !== undefined ? { localIp: parseIpv4(o.localAddress) } : {}),
    ...(capacity !== null ? { connCapacity: capacity } : {}),
    flood: limits.flood, limits: limits.limits, sloppyTcp: o.sloppyTcp === true,
    timeouts: { tcp: plane.timeouts.tcp, tcpFin: plane.timeouts.tcpFin, udp: plane.timeouts.udp }, masters: [],
  }, log);
  log.info({ event: 'workers', workers }, `director: ${workers} workers on ${o.interface} (AF_PACKET fanout group ${fanoutGroup()})`);
  return pool;
}

function openPlane(o: DirectorOptions, table: ServiceTable, clock: Clock, log: Logger, workers = 1): DataPlane {
  const where = attachmentOf(o);
  const routes = readRoutes(o.netns);
  const engine = new (loadAddon().Engine)();
  try {
    const port = workers > 1
      ? engine.addPacketPort(o.interface!, { fanoutGroup: fanoutGroup(), ...(o.netns ? { netns: `/run/netns/${o.netns}` } : {}), ...(o.rxRing ? { ring: o.rxRing } : {}) })
      : attach(engine, where, o, log);
    const capacity = o.connCapacity ?? o.config.globalDefs.connTableSize;
    const v6 = o.config.virtualServers.some((vs) => vs.family === 'inet6');
    return new DataPlane({
      engine, port, table, routes, clock, timeouts: o.config.globalDefs.lvsTimeouts, vrrpAddresses: vrrpAddresses(o.config),
      ...(v6 ? { routes6: readRoutes6(o.netns), localIp6: o.interface !== undefined ? readAddress6(o.interface, o.netns) : null } : {}),
      flood: o.config.globalDefs.flood, limits: o.config.globalDefs.limits,
      ...(o.localAddress !== undefined ? { localIp: parseIpv4(o.localAddress) } : {}),
      ...(capacity !== null ? { connCapacity: capacity } : {}),
      sloppyTcp: o.sloppyTcp === true, fanout: workers > 1,
    });
  } catch (err) {
    engine.close();
    throw err;
  }
}

type Attachment = { interface: string } | { tap: string };

function attachmentOf(o: DirectorOptions): Attachment {
  if (o.interface !== undefined && o.tap === undefined) return { interface: o.interface };
  if (o.tap !== undefined && o.interface === undefined) return { tap: o.tap };
  throw new Error('director: give exactly one of interface and tap');
}

function attach(engine: NativeEngine, where: Attachment, o: DirectorOptions, log: Logger): number {
  const netns = o.netns ? { netns: `/run/netns/${o.netns}` } : {};
  if ('tap' in where) return engine.addTapPort(where.tap, netns);
  const ifname = where.interface;
  const io = o.io ?? 'packet';
  if (io === 'packet') return addPacket(engine, ifname, o);
  try {
    return engine.addXdpPort(ifname, netns);
  } catch (err) {
    if (io === 'xdp') throw err;
    log.warn({ port: ifname, reason: (err as Error).message }, `director: AF_XDP unavailable, using AF_PACKET: ${(err as Error).message}`);
    return addPacket(engine, ifname, o);
  }
}

/** The AF_PACKET port with the receive ring asked for (the addon's default: the block ring). */
function addPacket(engine: NativeEngine, ifname: string, o: DirectorOptions): number {
  const options: PacketPortOptions = {};
  if (o.netns) options.netns = `/run/netns/${o.netns}`;
  if (o.rxRing) options.ring = o.rxRing;
  return engine.addPacketPort(ifname, options);
}

/** The health manager over the table's checkers, started; null when the config has none. */
function startHealth(o: DirectorOptions, table: ServiceTable, governor: WeightGovernor, clock: Clock,
                     log: Logger, hooks: { away: ReadonlySet<VrrpAddr>; notifier: RealServerNotifier }): HealthManager | null {
  if (!table.dests.some((d) => (d.config.checks?.length ?? 0) > 0)) return null;
  const executor = createExecutor({ ...(o.netns ? { netns: o.netns } : {}), log });
  const manager = new HealthManager({ table, governor, executor, clock, log, notifier: hooks.notifier });
  manager.suspendVips(hooks.away);
  manager.start();
  log.info({ checks: manager.checkCount, ...(o.netns ? { netns: o.netns } : {}) },
    `health: ${manager.checkCount} checks${o.netns ? ` (run in namespace ${o.netns})` : ''}`);
  return manager;
}

/** The VRRP runtime on the director's interface, started; null when the config has no vrrp_instance. */
/**
 * keepalived's lvs_sync_daemon follows its VRRP instance: MASTER sends, any other state
 * receives. Nothing to follow without sync, or when a syncRole option pins the role.
 */
function syncFollower(o: DirectorOptions, sync: ConnSync | null): ((name: string, state: VrrpState) => void) | undefined {
  const daemon = o.config.globalDefs.lvsSyncDaemon;
  if (sync === null || daemon === null || o.syncRole !== undefined) return undefined;
  return (name, state) => {
    if (name === daemon.instance) sync.setRole(state === 'MASTER' ? 'master' : 'backup');
  };
}

/**
 * Sync-aware preemption: the instance sync follows waits for the master's table before it
 * preempts (preempt_sync_wait). Not when the sync role is pinned: that node does not take a
 * master's table by becoming a backup.
 */
function tableSync(o: DirectorOptions, sync: ConnSync | null): TableSyncHooks | undefined {
  const daemon = o.config.globalDefs.lvsSyncDaemon;
  if (sync === null || daemon === null || daemon.instance === null || o.syncRole !== undefined) return undefined;
  return {
    instance: daemon.instance,
    request: (masterIp, ready) => sync.requestTable(masterIp, ready),
    cancel: () => sync.cancelTableRequest(),
    pending: () => sync.tablePending(),
    handOver: (masterIp) => sync.handOver(formatIpv4(masterIp)),
  };
}

function startVrrp(o: DirectorOptions, plane: DataPlane, clock: Clock, log: Logger,
                   onInstanceState?: (name: string, state: VrrpState) => void, tables?: TableSyncHooks): VrrpRuntime | null {
  if (o.config.vrrp.instances.length === 0) return null;
  if (o.interface === undefined) throw new Error('director: VRRP needs an interface attachment (--interface), not a TAP device');
  const where = { interface: o.interface, ...(o.netns ? { netns: `/run/netns/${o.netns}` } : {}) };
  const Socket = loadAddon().VrrpSocket;
  const socket = new Socket(where);
  let socket6;
  try {
    // VRRPv3 over IPv6 has its own socket (protocol 112 on ff02::12, from the link-local address).
    socket6 = o.config.vrrp.instances.some((i) => i.family === 6) ? new Socket({ ...where, family: 6 }) : undefined;
  } catch (err) {
    socket.close();
    throw err;
  }
  const localIp = o.localAddress !== undefined ? parseIpv4(o.localAddress) : plane.portInfo.ipv4 >>> 0;
  try {
    const vrrp = new VrrpRuntime({
      config: o.config, interface: o.interface, ...(o.netns ? { netns: o.netns } : {}), localIp, socket, gate: plane.gate,
      ...(socket6 ? { socket6 } : {}),
      sendGratuitousArp: (addr) => plane.sendGratuitousArp(addr), clock, log: (line) => log.info({ event: 'vrrp' }, line),
      ...announceIpv6(plane),
      warn: (line) => log.warn({ event: 'vrrp' }, line),
      ...(onInstanceState ? { onInstanceState } : {}), ...(tables ? { tableSync: tables } : {}),
    });
    vrrp.start();
    return vrrp;
  } catch (err) {
    socket.close();
    socket6?.close();
    throw err;
  }
}

/** How VRRP announces an IPv6 takeover: one unsolicited NA per address and round from the data plane's port. */
function announceIpv6(plane: DataPlane): { announceIpv6: (addresses: readonly bigint[]) => void } {
  return { announceIpv6: (addrs) => plane.sendUnsolicitedNa(addrs.map(ipv6ToWords)) };
}
