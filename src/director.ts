// The embeddable director, and the one place its parts are put together: Director.start()
// attaches the native engine to one port, builds the service table from the config, and hands
// each part what it needs: the data plane gets the engine, port and table; the weight governor
// the table; the health manager (when the config has checkers) the table, the governor and an
// executor. It resolves with a running director; the CLI's `run` is a thin shell around it.

import type { DirectorConfig } from './config/model.js';
import { WeightGovernor } from './control/governor.js';
import { DataPlane } from './datapath/data-plane.js';
import { ServiceTable } from './datapath/service-table.js';
import { collectStats, type DirectorStats } from './director-stats.js';
import { createExecutor } from './health/executor.js';
import { HealthManager } from './health/manager.js';
import { realServerHealth } from './health/stats.js';
import { parseIpv4 } from './net/addr.js';
import { readRoutes } from './net/routes.js';
import { loadAddon } from './native/binding.js';
import type { NativeEngine } from './native/types.js';
import type { Clock } from './sched/types.js';

export type { DirectorStats } from './director-stats.js';

export interface DirectorOptions {
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
   * AF_PACKET receive ring: 'block' (default, TPACKET_V3: fewest wakeups under load, frames wait
   * up to 1 ms at moderate rates) or 'frame' (TPACKET_V2: each frame at once, lowest latency).
   */
  rxRing?: 'block' | 'frame';
  /**
   * Network namespace (name under /run/netns) the interface or TAP lives in; routes are read
   * there and health checks run there.
   */
  netns?: string;
  /** The director's own address on the segment (ARP sender, TUN outer source); default the interface's. */
  localAddress?: string;
  /** Connection table size; default 1,048,576. */
  connCapacity?: number;
  /** Receives one line per event (attach, health changes, weight changes). */
  log?: (line: string) => void;
}

/** Expiry, ARP refresh, hold timeouts and slow-start ramps advance this often. */
const TICK_MS = 1000;

export class Director {
  private readonly timer: NodeJS.Timeout;
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly plane: DataPlane,
    private readonly governor: WeightGovernor,
    private readonly health: HealthManager | null,
    private readonly clock: Clock,
  ) {
    this.timer = setInterval(() => {
      plane.tick();
      governor.tick();
    }, TICK_MS);
  }

  /**
   * Starts a director: everything is attached and running when the promise resolves. On any
   * error it rejects with everything it opened closed again.
   */
  static async start(options: DirectorOptions): Promise<Director> {
    const log = options.log ?? (() => {});
    const clock: Clock = { now: () => performance.now() };
    const table = ServiceTable.build(options.config, clock);
    const plane = openPlane(options, table, clock, log);
    const governor = new WeightGovernor({ table, clock, log });
    const health = startHealth(options, table, governor, clock, log);
    const info = plane.portInfo;
    log(`director: attached to ${info.name} (${info.mac}, ${info.kind}), ${table.services.length} services`);
    return new Director(plane, governor, health, clock);
  }

  /** Counters and state as one JSON-able object, read at call time (also after stop()). */
  stats(): DirectorStats {
    const now = this.clock.now();
    const { health, governor } = this;
    return collectStats(this.plane, now, health ? (dest) => realServerHealth(health, governor, dest, now) : undefined);
  }

  /** Stops checks, timers and the engine; calling it again returns the same promise. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.health?.stop();
    this.plane.close();
  }
}

function openPlane(o: DirectorOptions, table: ServiceTable, clock: Clock, log: (line: string) => void): DataPlane {
  const where = attachmentOf(o);
  const routes = readRoutes(o.netns);
  const engine = new (loadAddon().Engine)();
  try {
    const port = attach(engine, where, o, log);
    return new DataPlane({
      engine, port, table, routes, clock,
      ...(o.localAddress !== undefined ? { localIp: parseIpv4(o.localAddress) } : {}),
      ...(o.connCapacity !== undefined ? { connCapacity: o.connCapacity } : {}),
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

function attach(engine: NativeEngine, where: Attachment, o: DirectorOptions, log: (line: string) => void): number {
  const netns = o.netns ? { netns: `/run/netns/${o.netns}` } : {};
  if ('tap' in where) return engine.addTapPort(where.tap, netns);
  const ifname = where.interface;
  const io = o.io ?? 'packet';
  const packetOptions = { ...netns, ...(o.rxRing ? { ring: o.rxRing } : {}) };
  if (io === 'packet') return engine.addPacketPort(ifname, packetOptions);
  try {
    return engine.addXdpPort(ifname, netns);
  } catch (err) {
    if (io === 'xdp') throw err;
    log(`director: AF_XDP unavailable, using AF_PACKET: ${(err as Error).message}`);
    return engine.addPacketPort(ifname, packetOptions);
  }
}

/** The health manager over the table's checkers, started; null when the config has none. */
function startHealth(o: DirectorOptions, table: ServiceTable, governor: WeightGovernor, clock: Clock,
                     log: (line: string) => void): HealthManager | null {
  if (!table.dests.some((d) => (d.config.checks?.length ?? 0) > 0)) return null;
  const executor = createExecutor({ ...(o.netns ? { netns: o.netns } : {}), log });
  const manager = new HealthManager({ table, governor, executor, clock, log });
  manager.start();
  log(`health: ${manager.checkCount} checks${o.netns ? ` (run in namespace ${o.netns})` : ''}`);
  return manager;
}
