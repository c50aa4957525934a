// Everything that runs on one attached port: the service table in force, the connection table,
// the ARP resolver and hold queue, and the batch classifier; plus the once-a-second work
// (connection expiry, ARP refresh, hold timeouts, freeing drained ids). It owns the engine it
// is given from then on.

import { buildArpRequest, buildGratuitousArp } from '../arp/arp-frames.js';
import { ArpResolver, type ArpEntry } from '../arp/resolver.js';
import type { NdHandler } from '../nd/nd-handler.js';
import { buildNeighbourSolicitation, buildUnsolicitedNa, linkLocalOf, type Ip6Words } from '../nd/nd-frames.js';
import { ConnTable } from '../conntable/conn-table.js';
import type { TemplateTable } from '../ipvs/persistence.js';
import { Limits, Method, Verdict } from '../native/layout.generated.js';
import type { NativeEngine, PortCounters, PortInfo, XdpStatus } from '../native/types.js';
import { formatIpv4, formatMac, parseMac } from '../net/addr.js';
import { RouteTable, type Route } from '../net/routes.js';
import { RouteTable6, type Route6 } from '../net/routes6.js';
import { formatIpv6, ipv6FromWords } from '../net/addr6.js';
import type { Clock } from '../sched/types.js';
import { defaultFloodConfig, defaultLimits, type FloodConfig, type LimitsConfig } from '../config/model.js';
import { Classifier, type ConnObserver } from './classifier.js';
import type { ConnFactory } from './conn-factory.js';
import type { ConnStateModel } from './conn-state-model.js';
import { DropCounters, DropReason } from './drop-reasons.js';
import { FloodGuard } from './flood-guard.js';
import { FragCache } from './frag-cache.js';
import { HoldQueue } from './hold-queue.js';
import { ConnTimeouts, ipvsStateModel, type ConnTimeoutValues } from './ipvs-state-model.js';
import { flagsAfterThresholdChange } from '../ipvs/thresholds.js';
import type { ConnMethodValue, ServiceTable, TablePlan } from './service-table.js';
import { SourceRateLimiter } from './source-rate.js';
import { heldKey, type SynProxy } from './syn-proxy.js';
import { VipGate } from './vip-gate.js';
import type { VrrpAddr } from '../vrrp/vrrp-types.js';
import { steeringProgram } from '../workers/steering.js';

/** Held frames older than this are dropped (Linux drops unresolved queues after ~3 s too). */
const HOLD_MAX_AGE_MS = 3000;
const DEFAULT_CONN_CAPACITY = 1 << 20;

export interface DataPlaneOptions {
  /** An engine with the port attached and not started yet. */
  engine: NativeEngine;
  port: number;
  table: ServiceTable;
  /** Routes toward clients (NAT, FULLNAT replies) and routed real servers. */
  routes: readonly Route[];
  /** IPv6 routes toward clients and routed real servers (IPv6 services); default none. */
  routes6?: readonly Route6[];
  /**
   * The director's IPv6 address on the segment (ip6ip6 outer source, neighbour solicitations'
   * source), four words; default none (solicitations then come from the port MAC's EUI-64
   * link-local address).
   */
  localIp6?: readonly number[] | null;
  clock: Clock;
  /** The director's own address on the segment (ARP sender, TUN outer source); default the port's. */
  localIp?: number;
  /** Connection table size; default 1,048,576. */
  connCapacity?: number;
  /** SYN flood defences; default defaultFloodConfig(). */
  flood?: FloodConfig;
  /** Hold queue, fragment cache and per-source rate caps; default defaultLimits(). */
  limits?: LimitsConfig;
  states?: ConnStateModel;
  /** lvs_timeouts / ipvsadm --set values to start with (0 keeps the kernel's default). */
  timeouts?: ConnTimeoutValues | null;
  /** Addresses VRRP decides: answered only while their instance is MASTER (see gate). */
  vrrpAddresses?: Iterable<VrrpAddr>;
  /** IPVS sloppy_tcp (see ClassifierDeps). */
  sloppyTcp?: boolean;
  /** The FULLNAT ISN clock (see ClassifierDeps); default the wall clock's. */
  isn?: () => number;
  /** The port is a member of a fanout group (workers): the plane keeps the group's steering in step with its table. */
  fanout?: boolean;
}

export class DataPlane {
  readonly drops = new DropCounters();
  /** The timeouts ipvsadm --set and lvs_timeouts change, read by the default state model at each packet. */
  readonly timeouts = new ConnTimeouts();
  readonly conns: ConnTable;
  readonly arp: ArpResolver;
  readonly hold: HoldQueue;
  readonly guard: FloodGuard;
  readonly frags: FragCache;
  /** source_conn_rate's limiter; null when sources are not limited. */
  readonly sourceRate: SourceRateLimiter | null;
  readonly portInfo: PortInfo;
  /** Which owned addresses are answered now: VRRP opens and closes it. */
  readonly gate: VipGate;
  readonly states: ConnStateModel;
  /** Clock time the plane started at (stats' uptime, connection-table second 0). */
  readonly startedAt: number;
  private readonly engine: NativeEngine;
  private readonly port: number;
  readonly clock: Clock;
  private readonly classifier: Classifier;
  private readonly routes: RouteTable;
  private readonly routes6: RouteTable6;
  private services: ServiceTable;
  private readonly fanout: boolean;
  private readonly installed: Array<(table: ServiceTable, routes: readonly Route[] | undefined) => void> = [];
  /** Set by close(): the port's last counters, which stats still show. */
  private final: { counters: PortCounters; xdp: XdpStatus | null } | null = null;

  /**
   * Wires the plane, asks for every real server's next hop, steers an XDP port's traffic, starts
   * the engine and announces the owned addresses. Throws (the caller still owns the engine) when
   * a real server has no route.
   */
  constructor(o: DataPlaneOptions) {
    this.engine = o.engine;
    this.port = o.port;
    this.clock = o.clock;
    this.services = o.table;
    this.fanout = o.fanout === true;
    this.portInfo = o.engine.portInfo(o.port);
    this.states = o.states ?? ipvsStateModel(this.timeouts);
    this.startedAt = o.clock.now();
    this.gate = new VipGate(o.vrrpAddresses);
    const localIp = o.localIp ?? this.portInfo.ipv4 >>> 0;
    const nsSource = o.localIp6 ?? linkLocalOf(this.portInfo.mac);
    if (o.timeouts) this.timeouts.apply(o.timeouts);
    this.conns = new ConnTable(o.connCapacity ?? DEFAULT_CONN_CAPACITY, 0, o.engine.hashKey);
    this.guard = new FloodGuard({
      conns: this.conns, options: o.flood ?? defaultFloodConfig(),
      evict: (e) => {
        this.classifier.factory.release(e);
        this.conns.evict(e);
      },
    });
    const limits = o.limits ?? defaultLimits();
    this.hold = new HoldQueue({
      slots: Math.min(limits.holdQueue, Limits.HOLD_SLOTS), verdictWords: Verdict.WORDS, perAddress: limits.holdPerAddress,
    });
    this.frags = new FragCache(o.engine.hashKey, limits.fragCache);
    this.sourceRate = limits.sourceConnRate > 0
      ? new SourceRateLimiter({
        rate: limits.sourceConnRate, burst: limits.sourceConnBurst || Math.max(1, limits.sourceConnRate), slots: limits.sourceTable,
      }, o.engine.hashKey)
      : null;
    this.arp = new ArpResolver({
      clock: o.clock,
      sendRequest: (ip, hi, lo) =>
        this.engine.send(this.port, buildArpRequest(this.portInfo.mac, localIp, ip, hi || lo ? formatMac(hi, lo) : undefined)),
      sendSolicit: (ip6, hi, lo) => {
        if (this.final === null) this.engine.send(this.port, buildNeighbourSolicitation(this.portInfo.mac, nsSource, ip6, hi || lo ? formatMac(hi, lo) : undefined));
      },
      onChange: (entry) => this.onArpChange(entry),
    });
    const routes = new RouteTable([...o.routes]);
    this.routes = routes;
    this.routes6 = new RouteTable6(o.routes6 ?? []);
    const localIp6 = Uint32Array.from(o.localIp6 ?? [0, 0, 0, 0]);
    this.classifier = new Classifier({
      meta: o.engine.meta, verdict: o.engine.verdict, conns: this.conns,
      states: this.states, arp: this.arp, hold: this.hold, drops: this.drops, routes, routes6: this.routes6, clock: o.clock, gate: this.gate,
      guard: this.guard, frags: this.frags, sourceRate: this.sourceRate, onProxyAnswered: (e) => this.onProxyAnswered(e),
      lanPort: o.port, localIp, localIp6, portMac: parseMac(this.portInfo.mac), mtu: this.portInfo.mtu, epochMs: this.startedAt, sloppyTcp: o.sloppyTcp === true,
      ...(o.isn !== undefined ? { isn: o.isn } : {}),
    }, o.table);
    o.engine.onBatch((port, count) => this.classifier.handle(port, count));
    this.resolveDests(o.table, routes);
    this.steerXdp(o.table);
    this.steerFanout(o.table);
    o.engine.start();
    this.announce(o.table.ownedAddresses);
    this.sendUnsolicitedNa(owned6Of(o.table).filter((a) => !this.gate.decides6(a)));
  }

  /** The service table in force. */
  get table(): ServiceTable {
    return this.services;
  }

  /** Creates connections, binds them to real servers and learns them from peers. */
  get factory(): ConnFactory {
    return this.classifier.factory;
  }

  /** Connection-table time now, in whole seconds. */
  seconds(): number {
    return this.classifier.seconds();
  }

  /** Installs (or with null removes) what is told about connections as packets meet them. */
  observe(observer: ConnObserver | null): void {
    this.classifier.observer = observer;
  }

  /** Neighbour Discovery's answers and refusals (the resolver's IPv6 counters are arp.counters6). */
  get nd(): NdHandler {
    return this.classifier.nd;
  }

  /** ICMP the director answered with itself. */
  get replies(): { readonly timeExceeded: number; readonly fragNeeded: number; readonly echo: number } {
    return this.classifier.replies;
  }

  /** The SYN proxy of services with syn_proxy on (its state and counters). */
  get proxy(): SynProxy {
    return this.classifier.proxy;
  }

  /** Persistence templates in force (`adm -L -c` lists them). */
  get templates(): TemplateTable {
    return this.classifier.factory.templates;
  }

  get portCounters(): PortCounters {
    return this.final?.counters ?? this.engine.counters(this.port);
  }

  /** The AF_XDP socket's attach mode and checksum work, for an XDP port; null otherwise. */
  get xdpStatus(): XdpStatus | null {
    if (this.final !== null) return this.final.xdp;
    return this.portInfo.kind === 'xdp' ? this.engine.xdpStatus(this.port) : null;
  }

  /**
   * Checks that plan can run on this port before anything changes: every real server has a
   * next hop (under routes, when given: the routes it would run with) and the neighbour table
   * has room for the new ones. On an XDP port it also widens the steering to the addresses of
   * both tables, so nothing is lost at the swap. Throws, having changed nothing else.
   */
  prepare(plan: TablePlan, routes?: readonly Route[]): void {
    const table = routes ? new RouteTable(routes) : this.routes;
    const fresh = new Set<number>();
    if (this.portInfo.kind === 'xdp' && plan.hasIpv6) {
      throw new Error('IPv6 services need an AF_PACKET or TAP port (the XDP program steers IPv4 only; docs/datapath.md#ipv6)');
    }
    for (const d of plan.dests) {
      if (d.addr6 !== null) {
        if (!this.nextHop6(d.method, d.addr6)) throw new Error(`no IPv6 route to real server ${formatIpv6(ipv6FromWords(d.addr6))} (${d.key})`);
        continue;
      }
      const hop = nextHopOf(d.method, d.addr, table);
      if (hop < 0) throw new Error(`no route to real server ${formatIpv4(d.addr)} (${d.key})`);
      if (this.arp.get(hop) === undefined) fresh.add(hop);
    }
    if (fresh.size > this.arp.room) {
      throw new Error(`${fresh.size} new next hops, but the neighbour table has room for ${this.arp.room}`);
    }
    if (this.portInfo.kind !== 'xdp') return;
    const owned = new Set([...this.services.ownedAddresses, ...plan.ownedAddresses]);
    const nat = (dests: Iterable<{ method: ConnMethodValue; addr: number }>) => [...dests].filter((d) => d.method === Method.NAT).map((d) => d.addr);
    try {
      this.engine.setXdpAddresses(this.port, { owned: [...owned], natSources: [...new Set([...nat(this.services.dests), ...nat(plan.dests)])] });
    } catch (err) {
      this.steerXdp(this.services);
      throw err;
    }
  }

  /**
   * Swaps in a table built from the one in force (ServiceTable.build with it as previous), with
   * the routes it was prepared with. Batches run on this thread, so the swap falls between two
   * of them; connections keep their real servers by id (and their forwarding method), those of
   * removed ones drain. New thresholds apply at once; new VIPs are announced.
   */
  install(table: ServiceTable, routes?: readonly Route[]): void {
    if (table.registry !== this.services.registry) throw new Error('director: a new service table must be built from the one in force');
    if (routes) this.routes.replace(routes);
    this.resolveDests(table, this.routes);
    const before = this.services;
    for (const dest of table.dests) {
      const was = before.destById[dest.id]?.config;
      const now = dest.config;
      if (was === undefined || (was.upperThreshold === now.upperThreshold && was.lowerThreshold === now.lowerThreshold)) continue;
      dest.flags = flagsAfterThresholdChange(dest, { upper: was.upperThreshold, lower: was.lowerThreshold },
        { upper: now.upperThreshold, lower: now.lowerThreshold });
    }
    this.services = table;
    this.classifier.setServices(table);
    try {
      this.steerXdp(table);
    } catch {
      // Only narrows what prepare() widened (old and new addresses): the wider set stays, which
      // costs the kernel the frames of addresses the director no longer serves, nothing more.
    }
    this.steerFanout(table);
    this.announce([...table.ownedAddresses].filter((a) => !before.ownedAddresses.has(a)));
    this.sendUnsolicitedNa(owned6Of(table).filter((a) => !before.owns6(a, 0) && !this.gate.decides6(a)));
    for (const listener of this.installed) listener(table, routes);
  }

  /** Calls listener after every install() (the worker pool hands the new config to the other workers). */
  onInstall(listener: (table: ServiceTable, routes: readonly Route[] | undefined) => void): void {
    this.installed.push(listener);
  }

  /** The once-a-second work: expiry, ARP refresh, hold timeouts, drained ids. */
  tick(): void {
    const factory = this.classifier.factory;
    this.conns.expire(this.classifier.seconds(), (e) => factory.release(e));
    factory.tick();
    this.arp.tick();
    const expired = this.hold.expire(this.clock.now(), HOLD_MAX_AGE_MS);
    for (let k = 0; k < expired; k++) this.drops.add(DropReason.UNRESOLVED);
    this.services.reap();
  }

  /** Stops the engine and closes its ports; closing twice is fine. */
  close(): void {
    if (this.final !== null) return;
    this.engine.stop();
    this.final = { counters: this.portCounters, xdp: this.xdpStatus };
    this.engine.close();
  }

  /**
   * Gives every real server the neighbour its packets go to: itself for DR and TUN (which need
   * it on the segment, as IPVS does), the routed next hop for NAT and FULLNAT.
   */
  private resolveDests(table: ServiceTable, routes: RouteTable): void {
    if (table.services6.length > 0) {
      // An XDP port's program steers IPv4 only: IPv6 services would never see a frame.
      if (this.portInfo.kind === 'xdp') throw new Error('director: IPv6 services need an AF_PACKET or TAP port (the XDP program steers IPv4 only; docs/datapath.md#ipv6)');
      this.conns.reserve6();
    }
    for (const dest of table.dests) {
      if (dest.addr6 !== null) {
        dest.nhop = this.resolveDest6(dest.method, dest.addr6);
        continue;
      }
      const hop = nextHopOf(dest.method, dest.addr, routes);
      if (hop < 0) throw new Error(`director: no route to real server ${formatIpv4(dest.addr)}`);
      const neighbour = this.arp.want(hop);
      if (!neighbour) throw new Error('director: too many next hops for the neighbour table');
      dest.nhop = neighbour.id;
    }
  }

  /** An IPv6 real server's neighbour id (itself for DR and TUN, its route's next hop otherwise). */
  private resolveDest6(method: ConnMethodValue, addr6: Uint32Array): number {
    const hop = this.nextHop6(method, addr6);
    if (!hop) throw new Error(`director: no IPv6 route to real server ${formatIpv6(ipv6FromWords(addr6))}`);
    const neighbour = this.arp.want6(hop[0]!, hop[1]!, hop[2]!, hop[3]!);
    if (!neighbour) throw new Error('director: too many next hops for the neighbour table');
    return neighbour.id;
  }

  private nextHop6(method: ConnMethodValue, addr6: Uint32Array): Uint32Array | null {
    if (method === Method.DR || method === Method.TUN) return addr6;
    const hop = new Uint32Array(4);
    return this.routes6.nextHop(addr6, 0, hop) ? hop : null;
  }

  /**
   * A fanout member's group steers by the table's addresses (src/workers/steering.ts): the VIPs
   * and local addresses, draining ones too, so their connections stay on their workers.
   */
  private steerFanout(table: ServiceTable): void {
    if (!this.fanout) return;
    this.engine.setFanoutProgram(this.port, steeringProgram({ owned: table.ownedAddresses, local: table.localAddresses.keys() }));
  }

  /** An XDP port's program steers only what the director handles; everything else stays the kernel's. */
  private steerXdp(table: ServiceTable): void {
    if (this.portInfo.kind !== 'xdp') return;
    const natSources = table.dests.filter((d) => d.method === Method.NAT).map((d) => d.addr);
    this.engine.setXdpAddresses(this.port, { owned: [...table.ownedAddresses], natSources });
  }

  /**
   * Gratuitous ARP for every owned address, so neighbours learn the director's MAC now; those
   * VRRP decides are announced by their instance when it becomes MASTER.
   */
  private announce(addresses: Iterable<number>): void {
    for (const addr of addresses) if (!this.gate.decides(addr)) this.sendGratuitousArp(addr);
  }

  /** One gratuitous ARP for addr from this port (VRRP's takeover sets use it too). */
  sendGratuitousArp(addr: number): void {
    if (this.final === null) this.engine.send(this.port, buildGratuitousArp(this.portInfo.mac, addr));
  }

  /**
   * One unsolicited neighbour advertisement (Override set, to all nodes) per IPv6 address, four
   * words each as meta's, from this port: at start and install for owned addresses VRRP does
   * not decide, and by VRRP on takeover for those it decides (director.ts announceIpv6).
   */
  sendUnsolicitedNa(addrs: Iterable<Ip6Words>): void {
    if (this.final !== null) return;
    for (const a of addrs) this.engine.send(this.port, buildUnsolicitedNa(this.portInfo.mac, a));
  }

  /** A next hop resolved or failed: release or drop the frames held for it. */
  private onArpChange(entry: ArpEntry): void {
    // The resolver may run inside a batch (an ARP reply arrived): release after it returns.
    setImmediate(() => this.releaseHeld(entry));
  }

  private releaseHeld(entry: ArpEntry): void {
    if (this.final !== null) return;
    const slots = this.hold.take(entry.id);
    if (!this.arp.usable(entry)) {
      for (let k = 0; k < slots.length; k++) this.drops.add(DropReason.UNRESOLVED);
      return;
    }
    this.transmit(slots, (out, base) => {
      out[base + Verdict.DST_MAC_HI] = entry.macHi;
      out[base + Verdict.DST_MAC_LO] = entry.macLo;
    });
  }

  /**
   * A SYN-proxied connection's real server answered (the handshake ACK leaves in this batch):
   * its parked client segments follow, after the batch, translated by the delta (and window scales) now known.
   */
  private onProxyAnswered(e: number): void {
    const delta = this.proxy.deltaOf(e);
    const window = this.proxy.inWindowOf(e);
    setImmediate(() => {
      if (this.final !== null) return;
      this.transmit(this.hold.take(heldKey(e)), (out, base) => {
        out[base + Verdict.SEQ_DELTA] = delta;
        out[base + Verdict.WINDOW] = window;
      });
    });
  }

  /** Sends held slots with their pending verdicts, each completed by finish. */
  private transmit(slots: number[], finish: (out: Uint32Array, base: number) => void): void {
    const words = Verdict.WORDS;
    const pending = this.hold.pending;
    const out = this.engine.heldVerdict;
    slots.forEach((slot, k) => {
      const base = k * words;
      out.set(pending.subarray(slot * words, (slot + 1) * words), base);
      finish(out, base);
      out[base + Verdict.SLOT] = slot;
    });
    if (slots.length) this.engine.transmitHeld(slots.length);
  }
}

/** The table's owned IPv6 addresses, four words each. */
function owned6Of(table: ServiceTable): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; i + 4 <= table.owned6.length; i += 4) out.push(table.owned6.slice(i, i + 4));
  return out;
}

/** DR and TUN reach a real server on the segment itself (as IPVS requires); NAT and FULLNAT by route. */
function nextHopOf(method: ConnMethodValue, addr: number, routes: RouteTable): number {
  return method === Method.DR || method === Method.TUN ? addr : routes.nextHop(addr);
}
