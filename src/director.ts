// The embeddable director: attaches the native engine to one port, builds the service table
// from a validated config, and runs the batch classifier, the ARP resolver and the timers
// (connection expiry, ARP refresh, hold timeouts). The CLI's `run` is a thin shell around it.

import { buildArpRequest, buildGratuitousArp } from './arp/arp-frames.js';
import { ArpResolver, type ArpEntry } from './arp/resolver.js';
import type { DirectorConfig } from './config/model.js';
import { ConnTable } from './conntable/conn-table.js';
import { Classifier } from './datapath/classifier.js';
import type { ConnStateModel } from './datapath/conn-state-model.js';
import { DropCounters, DropReason } from './datapath/drop-reasons.js';
import { HoldQueue } from './datapath/hold-queue.js';
import { ipvsStateModel } from './datapath/ipvs-state-model.js';
import { ConnMethod, ServiceTable, type RuntimeService } from './datapath/service-table.js';
import { collectStats, type DirectorStats } from './director-stats.js';
import { hasHealthChecks, healthStats, startHealth, stopHealth } from './health/attach.js';
import { mergeHealthStats } from './health/stats.js';
import { formatIpv4, formatMac, parseIpv4 } from './net/addr.js';
import { readRoutes, RouteTable, type Route } from './net/routes.js';
import { loadAddon } from './native/binding.js';
import type { NativeEngine, PortInfo } from './native/types.js';
import type { Clock } from './sched/types.js';

export type { DirectorStats } from './director-stats.js';

export interface DirectorOptions {
  config: DirectorConfig;
  /** Attach with AF_PACKET to this existing interface (production default). */
  interface?: string;
  /** Or create/attach the TAP device of this name. */
  tap?: string;
  /** Or use an in-memory port (tests, offline tools). */
  memory?: { name: string; mac: string; mtu: number };
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
  /** Network namespace (name under /run/netns) the interface or TAP lives in. */
  netns?: string;
  /** The director's own address on the segment (ARP sender, TUN outer source). */
  localAddress?: string;
  /**
   * Routes for next hops (NAT/FULLNAT replies); default: the namespace's main table, or for a
   * memory port everything on-link.
   */
  routes?: Route[];
  /** Connection table size; default 1,048,576. */
  connCapacity?: number;
  clock?: Clock;
  states?: ConnStateModel;
  log?: (line: string) => void;
}

/** Held frames older than this are dropped (Linux drops unresolved queues after ~3 s too). */
const HOLD_MAX_AGE_MS = 3000;

export class Director {
  readonly drops = new DropCounters();
  private engine: NativeEngine | null = null;
  private port = -1;
  private portInfo: PortInfo | null = null;
  private services: ServiceTable | null = null;
  private conns: ConnTable | null = null;
  private arp: ArpResolver | null = null;
  private hold: HoldQueue | null = null;
  private timer: NodeJS.Timeout | null = null;
  private classifier: Classifier | null = null;
  private readonly clock: Clock;
  private readonly states: ConnStateModel;
  private readonly log: (line: string) => void;
  private startedAt = 0;
  private localIp = 0;

  constructor(private readonly options: DirectorOptions) {
    const attachments = [options.interface, options.tap, options.memory].filter((a) => a !== undefined);
    if (attachments.length !== 1) throw new Error('director: give exactly one of interface, tap or memory');
    this.clock = options.clock ?? { now: () => performance.now() };
    this.states = options.states ?? ipvsStateModel;
    this.log = options.log ?? (() => {});
  }

  /** The engine (for tests that drive a memory port). */
  get nativeEngine(): NativeEngine {
    if (!this.engine) throw new Error('director: not started');
    return this.engine;
  }

  get portIndex(): number {
    return this.port;
  }

  /** The running service table (the control plane changes weights and flags through it). */
  get serviceTable(): ServiceTable {
    if (!this.services) throw new Error('director: not started');
    return this.services;
  }

  /**
   * Tells a service's scheduler that its real servers' weights or flags changed (IPVS upd_dest),
   * so it rebuilds what depends on them. Call after every such change.
   */
  serviceChanged(svc: RuntimeService): void {
    svc.schedState = svc.scheduler.update(svc.schedState, svc.sched, this.clock);
  }

  async start(): Promise<void> {
    if (this.engine) throw new Error('director: already started');
    const services = new ServiceTable(this.options.config, this.clock);
    const addon = loadAddon();
    const engine = new addon.Engine();
    try {
      this.port = this.attach(engine);
      this.portInfo = engine.portInfo(this.port);
      this.localIp = this.options.localAddress ? parseIpv4(this.options.localAddress) : addressOf(this.portInfo);
      this.wire(engine, services, addon.layout.holdSlots);
      this.steerXdp(engine, services);
      engine.start();
    } catch (err) {
      engine.close();
      throw err;
    }
    this.engine = engine;
    if (hasHealthChecks(this.options.config)) startHealth(this, { netns: this.options.netns, clock: this.clock, log: this.log });
    this.announce();
    this.timer = setInterval(() => this.tick(), 1000);
    this.log(`director: attached to ${this.portInfo.name} (${this.portInfo.mac}), ${services.services.length} services`);
  }

  async stop(): Promise<void> {
    await stopHealth(this);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.engine) {
      this.engine.stop();
      this.engine.close();
    }
    this.engine = null;
  }

  stats(): DirectorStats {
    return mergeHealthStats(this.collect(), healthStats(this));
  }

  private collect(): DirectorStats {
    return collectStats({
      startedAt: this.startedAt, now: this.clock.now(), services: this.services, conns: this.conns,
      drops: this.drops, arp: this.arp, hold: this.hold, engine: this.engine, port: this.port,
      replies: this.classifier?.replies ?? null,
    });
  }

  private attach(engine: NativeEngine): number {
    const o = this.options;
    const netns = o.netns ? `/run/netns/${o.netns}` : undefined;
    if (o.interface) return this.attachInterface(engine, o.interface, netns);
    if (o.tap) return engine.addTapPort(o.tap, netns ? { netns } : {});
    const mem = o.memory!;
    return engine.addMemoryPort(mem.name, mem.mac, mem.mtu, o.localAddress ? { ipv4: parseIpv4(o.localAddress) } : {});
  }

  private attachInterface(engine: NativeEngine, ifname: string, netns: string | undefined): number {
    const io = this.options.io ?? 'packet';
    const packetOptions = { ...(netns ? { netns } : {}), ...(this.options.rxRing ? { ring: this.options.rxRing } : {}) };
    if (io === 'packet') return engine.addPacketPort(ifname, packetOptions);
    try {
      return engine.addXdpPort(ifname, netns ? { netns } : {});
    } catch (err) {
      if (io === 'xdp') throw err;
      this.log(`director: AF_XDP unavailable, using AF_PACKET: ${(err as Error).message}`);
      return engine.addPacketPort(ifname, packetOptions);
    }
  }

  /** An XDP port's program steers only what the director handles; everything else stays the kernel's. */
  private steerXdp(engine: NativeEngine, services: ServiceTable): void {
    if (this.portInfo!.kind !== 'xdp') return;
    const natSources = services.dests.filter((d) => d.method === ConnMethod.NAT).map((d) => d.addr);
    engine.setXdpAddresses(this.port, { owned: [...services.ownedAddresses], natSources });
  }

  private wire(engine: NativeEngine, services: ServiceTable, holdSlots: number): void {
    const layout = loadAddon().layout;
    const ourMac = this.portInfo!.mac;
    this.startedAt = this.clock.now();
    this.services = services;
    this.conns = new ConnTable(this.options.connCapacity ?? 1 << 20, 0);
    this.hold = new HoldQueue({ slots: holdSlots, verdictWords: layout.verdict.WORDS!, perAddress: 16 });
    this.arp = new ArpResolver({
      clock: this.clock,
      sendRequest: (ip, hi, lo) =>
        engine.send(this.port, buildArpRequest(ourMac, this.localIp, ip, hi || lo ? formatMac(hi, lo) : undefined)),
      onChange: (entry) => this.onArpChange(entry),
    });
    const routes = new RouteTable(this.options.routes ?? defaultRoutes(this.options));
    this.classifier = new Classifier({
      layout, meta: engine.meta, verdict: engine.verdict, conns: this.conns, states: this.states,
      arp: this.arp, hold: this.hold, drops: this.drops, routes, clock: this.clock, lanPort: this.port,
      localIp: this.localIp, mtu: this.portInfo!.mtu, epochMs: this.startedAt,
    }, services);
    engine.onBatch((port, count) => this.classifier!.handle(port, count));
    this.resolveDests(services, routes);
  }

  /**
   * Gives every real server the neighbour its packets go to: itself for DR and TUN (which need
   * it on the segment, as IPVS does), the routed next hop for NAT and FULLNAT.
   */
  private resolveDests(services: ServiceTable, routes: RouteTable): void {
    for (const dest of services.dests) {
      const hop = dest.method === ConnMethod.DR || dest.method === ConnMethod.TUN ? dest.addr : routes.nextHop(dest.addr);
      if (hop < 0) throw new Error(`director: no route to real server ${formatIpv4(dest.addr)}`);
      const neighbour = this.arp!.want(hop);
      if (!neighbour) throw new Error('director: too many next hops for the neighbour table');
      dest.nhop = neighbour.id;
    }
  }

  /** Gratuitous ARP for every owned address, so neighbours learn the director's MAC now. */
  private announce(): void {
    for (const addr of this.services!.ownedAddresses) {
      this.engine!.send(this.port, buildGratuitousArp(this.portInfo!.mac, addr));
    }
  }

  /** Runs the once-a-second work: expiry, ARP refresh, hold timeouts (tests call it directly). */
  tick(): void {
    const conns = this.conns!;
    const classifier = this.classifier!;
    conns.expire(classifier.seconds(), (e) => classifier.factory.release(e));
    classifier.factory.tick();
    this.arp!.tick();
    const expired = this.hold!.expire(this.clock.now(), HOLD_MAX_AGE_MS);
    for (let k = 0; k < expired; k++) this.drops.add(DropReason.UNRESOLVED);
  }

  /** A next hop resolved or failed: release or drop the frames held for it. */
  private onArpChange(entry: ArpEntry): void {
    // The resolver may run inside a batch (an ARP reply arrived): release after it returns.
    setImmediate(() => this.releaseHeld(entry));
  }

  private releaseHeld(entry: ArpEntry): void {
    const engine = this.engine;
    if (!engine) return;
    const slots = this.hold!.take(entry.id);
    if (!this.arp!.usable(entry)) {
      for (let k = 0; k < slots.length; k++) this.drops.add(DropReason.UNRESOLVED);
      return;
    }
    const v = loadAddon().layout.verdict;
    const words = v.WORDS!;
    const pending = this.hold!.pending;
    slots.forEach((slot, k) => {
      engine.heldVerdict.set(pending.subarray(slot * words, (slot + 1) * words), k * words);
      engine.heldVerdict[k * words + v.DST_MAC_HI!] = entry.macHi;
      engine.heldVerdict[k * words + v.DST_MAC_LO!] = entry.macLo;
      engine.heldVerdict[k * words + v.SLOT!] = slot;
    });
    if (slots.length) engine.transmitHeld(slots.length);
  }
}

/** The namespace's routes for a real port; everything on-link for a memory port. */
function defaultRoutes(o: DirectorOptions): Route[] {
  if (o.memory) return [{ network: 0, prefixLen: 0, gateway: 0, dev: o.memory.name }];
  return readRoutes(o.netns);
}

function addressOf(info: PortInfo): number {
  return info.ipv4 >>> 0;
}
