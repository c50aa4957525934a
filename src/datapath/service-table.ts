// The immutable table of virtual services and real servers the data path runs on, built by the
// control plane from a validated config and the table it replaces, in two steps: plan() checks
// the config against the running table and changes nothing, so a reload can still refuse it;
// commit() gives identities their ids. The same identity keeps its id (and with it its
// connections, counts, weight and counters), a removed real server drains. The data path swaps
// a whole new table in between two batches.

import { serviceName, type DirectorConfig, type ForwardMethod, type FwmarkMatchConfig, type RealServerConfig, type SorryServerConfig, type VirtualServerConfig } from '../config/model.js';
import { type LocalAddressPorts, type LocalPortAllocator, SOLE_WORKER, type PortShare } from '../fullnat/lport-allocator.js';
import { type Local6Handles, type LocalPlan, localPlan } from './local-addresses.js';
import { parseNetmask, parsePersistencePrefix } from '../ipvs/persistence.js';
import { Method, type MethodValue } from '../native/layout.generated.js';
import { parseIpv4 } from '../net/addr.js';
import { ipv6Words, parseIpv6 } from '../net/addr6.js';
import { getScheduler } from '../sched/registry.js';
import type { Clock, Dest, SchedFlag, SchedService, Scheduler } from '../sched/types.js';
import { FwmarkMatcher, markedAddresses } from './fwmark-matcher.js';
import { IdentityRegistry, type DestState } from './identities.js';

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** How a connection is forwarded (records.h Method); stored per connection, indexes the handler tables. */
export type ConnMethodValue = Exclude<MethodValue, typeof Method.COUNT>;

export const METHOD_BY_NAME: Readonly<Record<ForwardMethod, ConnMethodValue>> = {
  dr: Method.DR, nat: Method.NAT, tun: Method.TUN, fnat: Method.FNAT,
};

/**
 * A real server in one table: identity and config are the table's; what changes while it runs
 * (counts, weight, flags, next hop) is read and written through its id in the registry, so
 * every table's view of the same id sees the same state.
 */
export class RuntimeDest implements Dest {
  constructor(
    readonly id: number,
    /** Its service's id. */
    readonly service: number,
    readonly addr: number,
    readonly port: number,
    readonly method: ConnMethodValue,
    readonly config: RealServerConfig,
    private readonly state: DestState,
    /** An IPv6 real server's address (four words as meta's; addr is 0 then); null for IPv4. */
    readonly addr6: Uint32Array | null = null,
  ) {}

  get weight(): number { return this.state.weight[this.id] ?? 0; }
  set weight(w: number) { this.state.weight[this.id] = w; }
  get flags(): number { return this.state.flags[this.id] ?? 0; }
  set flags(f: number) { this.state.flags[this.id] = f; }
  get activeConns(): number { return this.state.activeConns[this.id] ?? 0; }
  set activeConns(n: number) { this.state.activeConns[this.id] = n; }
  get inactConns(): number { return this.state.inactConns[this.id] ?? 0; }
  set inactConns(n: number) { this.state.inactConns[this.id] = n; }
  get persistConns(): number { return this.state.persistConns[this.id] ?? 0; }
  set persistConns(n: number) { this.state.persistConns[this.id] = n; }
  /** Neighbour id (ArpResolver) of the next hop toward it; -1 until the data plane resolves it. */
  get nhop(): number { return this.state.nhop[this.id] ?? -1; }
  set nhop(n: number) { this.state.nhop[this.id] = n; }
  get configWeight(): number { return this.config.weight; }
  /** The service's sorry_server: in the pool only while the quorum is down (the weight governor decides). */
  get sorry(): boolean { return this.config.sorry === true; }
}

/** The scheduler's view of a service, with the run-time real servers. */
export interface RuntimeSchedService extends SchedService {
  readonly dests: readonly RuntimeDest[];
}

export interface RuntimeService {
  /** Stable id of (protocol, VIP, port). */
  readonly id: number;
  readonly proto: number;
  /** IPv4 VIP; 0 for an IPv6 service. */
  readonly vip: number;
  /** An IPv6 service's VIP (four words as meta's); null for IPv4. */
  readonly vip6: Uint32Array | null;
  readonly family: 4 | 6;
  readonly vport: number;
  readonly config: VirtualServerConfig;
  readonly scheduler: Scheduler;
  schedState: unknown;
  readonly sched: RuntimeSchedService;
  /** FULLNAT: the local addresses and ports of its laddr group (shared by services naming it). */
  readonly localPorts: LocalPortAllocator | null;
  /** Persistence granularity (-M) as a mask: clients in one such network share a template. */
  readonly persistNetmask: number;
  /** Firewall mark service (ipvsadm -f): 0 for a VIP:port one. */
  readonly fwmark: number;
  /**
   * What a persistence template is keyed on besides the client: vip * 65536 + port for a
   * VIP:port service (port 0 for a catch-all one, as IPVS), PERSIST_MARK + mark for a mark
   * service, PERSIST_GROUP + a number per virtual_server_group shared by all its members.
   */
  readonly persistScope: number;
  /** Templates of mark and group scopes ignore the protocol (IPVS keys fwmark templates on IPPROTO_IP). */
  readonly persistAnyProto: boolean;
  /** One-packet scheduling (ipvsadm -o): a UDP datagram is scheduled alone and keeps no connection. */
  readonly ops: boolean;
}

/** Persistence scopes past every vaddr * 65536 + vport (< 2^48): marks, then groups. */
export const PERSIST_MARK = 2 ** 48;
export const PERSIST_GROUP = 2 ** 49;
/** An IPv6 VIP:port service's own scope: past the groups, by service id. */
export const PERSIST_V6 = 2 ** 50;

/** A virtual server checked and resolved, before it has ids. */
interface ServicePlan {
  readonly vs: VirtualServerConfig;
  readonly key: string;
  readonly proto: number;
  readonly vip: number;
  readonly vip6: Uint32Array | null;
  readonly scheduler: Scheduler;
  readonly localPorts: LocalPortAllocator | null;
  readonly persistNetmask: number;
  readonly dests: readonly PlannedDest[];
}

/** A real server of a plan, before it has an id. */
export interface PlannedDest {
  readonly rs: RealServerConfig;
  readonly key: string;
  readonly addr: number;
  /** An IPv6 real server's address words; null for IPv4 (addr 0 then). */
  readonly addr6: Uint32Array | null;
  readonly method: ConnMethodValue;
}

const EMPTY = -1;

/**
 * Slot hash of the service and owned-address tables (a murmur3 finaliser). Unkeyed on purpose:
 * they hold only configured VIPs, so nobody outside picks the keys, and a probe for any address
 * walks at most the longest run of configured entries (tables stay at most a quarter full).
 */
function slotHash(proto: number, addr: number, port: number): number {
  let h = Math.imul(addr ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ ((port << 8) | proto);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16); // int32, masked by the callers: no heap number on return
}

/**
 * A config checked against the table it would replace, with nothing changed yet: what the data
 * plane checks before a reload goes ahead (every real server reachable), then commit().
 */
export class TablePlan {
  private committed = false;

  constructor(
    private readonly config: DirectorConfig,
    private readonly clock: Clock,
    private readonly registry: IdentityRegistry,
    private readonly previous: ServiceTable | undefined,
    private readonly services: readonly ServicePlan[],
    private readonly locals: LocalPlan,
  ) {}

  /** True when the new config has an IPv6 service (whose real servers may be IPv4: 6in4). */
  get hasIpv6(): boolean {
    return this.services.some((s) => s.vip6 !== null);
  }

  /** Every real server of the new config. */
  get dests(): PlannedDest[] {
    return this.services.flatMap((s) => s.dests);
  }

  /** VIPs, marked addresses and local addresses of the new config (the old table's draining ones are not included). */
  get ownedAddresses(): Set<number> {
    return new Set([...serviceAddresses(this.config).filter((a) => !a.includes(':')).map(parseIpv4), ...this.locals.ports.keys()]);
  }

  /**
   * Gives the plan's services and real servers their ids (those they had, or new ones) and
   * builds the table; real servers that left start draining. Once only.
   */
  commit(): ServiceTable {
    if (this.committed) throw new Error('director: a table plan is committed once');
    this.committed = true;
    const { registry, clock, previous, services: plans } = this;
    const ids = registry.assign(plans.map(identitiesOf));
    const services = plans.map((plan, i) => {
      const sid = ids.services[i] ?? EMPTY;
      const destIds = plan.dests.map((_, j) => ids.dests[i]?.[j] ?? EMPTY);
      const before = previous?.serviceById[sid];
      if (before !== undefined && untouched(before, plan, destIds)) return before;
      const dests = plan.dests.map((d, j) => new RuntimeDest(destIds[j] ?? EMPTY, sid, d.addr, d.rs.port, d.method, d.rs, registry.dests, d.addr6));
      return runtimeService(plan, sid, dests, clock, registry, before);
    });
    const drainingDests = [...registry.draining].flatMap((id) => previous?.destById[id] ?? []);
    const drainingServices = [...registry.drainingServices()].flatMap((id) => previous?.serviceById[id] ?? []);
    return new ServiceTable({
      config: this.config, registry, clock, services, drainingServices, drainingDests, locals: this.locals,
      expireNodestConn: this.config.globalDefs.expireNodestConn,
      fwmarkMatches: this.config.fwmarkMatches ?? {},
    });
  }
}

interface TableParts {
  config: DirectorConfig;
  registry: IdentityRegistry;
  clock: Clock;
  services: RuntimeService[];
  drainingServices: RuntimeService[];
  drainingDests: RuntimeDest[];
  locals: LocalPlan;
  expireNodestConn: boolean;
  fwmarkMatches: Readonly<Record<number, readonly FwmarkMatchConfig[]>>;
}

export class ServiceTable {
  /** The (effective) config it was built from: what other workers build their replicas from. */
  readonly config: DirectorConfig;
  readonly registry: IdentityRegistry;
  /** Services in config order. */
  readonly services: readonly RuntimeService[];
  /** Real servers of every service, in config order. */
  readonly dests: readonly RuntimeDest[];
  /** By id (sparse): this table's real servers and the draining ones connections still use. */
  readonly destById: readonly RuntimeDest[];
  /** By id (sparse): this table's services and those their draining real servers still hold. */
  readonly serviceById: readonly RuntimeService[];
  /** Addresses the director answers ARP for (VIPs, draining ones too, and local addresses). */
  readonly ownedAddresses: ReadonlySet<number>;
  /** One allocator per local_address_group: services sharing a group share its ports. */
  readonly allocators: ReadonlyMap<string, LocalPortAllocator>;
  /**
   * Every FULLNAT local address's ports: the groups' addresses, and addresses no group lists any
   * more while connections still hold ports on them.
   */
  readonly localAddresses: ReadonlyMap<number, LocalAddressPorts>;
  /** The same for IPv6 local addresses, by handle (localHandles6.words gives the address). */
  readonly localAddresses6: ReadonlyMap<number, LocalAddressPorts>;
  readonly localHandles6: Local6Handles;
  /** The local_address_groups of IPv6 addresses (their allocators hand out handles). */
  readonly localGroups6: ReadonlySet<string>;
  /** IPv6 services (VIP:port), looked up by a scan: few, and IPv4 pays nothing for them. */
  readonly services6: readonly RuntimeService[];
  /** Owned IPv6 addresses (VIPs, draining ones, local addresses), four words each. */
  readonly owned6: Uint32Array;
  /** IPVS expire_nodest_conn: a packet of a connection whose real server is gone expires it. */
  readonly expireNodestConn: boolean;
  /** Which FULLNAT local ports this table's worker hands out (every one with a single worker). */
  readonly portShare: PortShare;
  private readonly clock: Clock;
  private readonly slots: Int32Array;
  private readonly slotMask: number;
  /** ownedAddresses as an open-addressing set (0 = empty): the hot path must not box numbers. */
  private readonly ownedSlots: Uint32Array;
  /** Which packets carry which mark (fwmark_match), consulted only when a mark service exists. */
  private readonly marker: FwmarkMatcher;
  private readonly byMark = new Map<number, RuntimeService>();
  /** Catch-all (port 0) services exist: a miss on VIP:port tries VIP:0, as IPVS does. */
  private readonly hasCatchAll: boolean;

  /** Tables come from ServiceTable.plan(...).commit() (or build()), never from here. */
  constructor(p: TableParts) {
    this.config = p.config;
    this.registry = p.registry;
    this.clock = p.clock;
    this.services = p.services;
    this.allocators = p.locals.allocators;
    this.localAddresses = p.locals.ports;
    this.localAddresses6 = p.locals.ports6;
    this.localHandles6 = p.locals.handles6;
    this.localGroups6 = p.locals.groups6;
    this.services6 = p.services.filter((svc) => svc.family === 6);
    this.portShare = p.locals.share;
    this.expireNodestConn = p.expireNodestConn;
    this.dests = p.services.flatMap((s) => s.sched.dests);
    this.destById = byId([...this.dests, ...p.drainingDests]);
    this.serviceById = byId([...p.services, ...p.drainingServices]);
    this.marker = new FwmarkMatcher(p.fwmarkMatches);
    const owned = new Set<number>(this.localAddresses.keys());
    const owned6 = new Set<string>([...this.localAddresses6.keys()].map((h) => this.localHandles6.words(h).join(':')));
    // serviceById is sparse (ids of removed services that drained are holes): forEach and filter skip them.
    this.serviceById.forEach((svc) => {
      if (svc.vip6 !== null) owned6.add(svc.vip6.join(':'));
      else if (svc.fwmark === 0) owned.add(svc.vip);
    });
    this.owned6 = Uint32Array.from([...owned6].flatMap((k) => k.split(':').map(Number)));
    const marks = this.serviceById.filter((svc) => svc.fwmark !== 0).map((svc) => svc.fwmark);
    for (const addr of markedAddresses(p.fwmarkMatches, marks)) owned.add(parseIpv4(addr));
    this.ownedAddresses = owned;
    for (const svc of p.services) if (svc.fwmark !== 0) this.byMark.set(svc.fwmark, svc);
    this.hasCatchAll = p.services.some((svc) => svc.fwmark === 0 && svc.vport === 0);
    this.slotMask = tableSize(p.services.length) - 1;
    this.slots = new Int32Array(this.slotMask + 1).fill(EMPTY);
    p.services.forEach((svc, position) => {
      if (svc.fwmark !== 0 || svc.family === 6) return;
      let i = slotHash(svc.proto, svc.vip, svc.vport) & this.slotMask;
      while (this.slots[i] !== EMPTY) i = (i + 1) & this.slotMask;
      this.slots[i] = position;
    });
    this.ownedSlots = new Uint32Array(tableSize(owned.size));
    const ownedMask = this.ownedSlots.length - 1;
    for (const addr of owned) {
      let i = slotHash(0, addr, 0) & ownedMask;
      while (this.ownedSlots[i] !== 0) i = (i + 1) & ownedMask;
      this.ownedSlots[i] = addr;
    }
  }

  /**
   * Checks config against the table it would replace (previous) without changing anything:
   * every service resolvable, nothing configured twice, FULLNAT groups in place, room for the
   * ids. Throws on a config it cannot run. With previous, the committed table keeps the same
   * identities' ids and state, an unchanged scheduler keeps its state (told about the new list,
   * as IPVS's upd_dest), local addresses keep their ports, and real servers that left drain.
   * share (a worker's FULLNAT ports) is taken from previous when there is one.
   */
  static plan(config: DirectorConfig, clock: Clock, previous?: ServiceTable, share: PortShare = SOLE_WORKER): TablePlan {
    const registry = previous?.registry ?? new IdentityRegistry();
    const locals = localPlan(config, previous, previous?.portShare ?? share);
    const v6 = config.virtualServers.find((vs) => vs.family === 'inet6');
    if (v6 !== undefined && locals.share.workers > 1) {
      throw new Error(`virtual_server ${serviceName(v6)}: IPv6 services are served by one worker only (workers ${locals.share.workers}; docs/datapath.md#ipv6)`);
    }
    const plans = config.virtualServers.map((vs) => planService(vs, locals));
    checkUnique(plans);
    registry.checkRoom(plans.map(identitiesOf));
    return new TablePlan(config, clock, registry, previous, plans, locals);
  }

  /** plan() and commit() in one: for a first table, or where nothing else must be checked. */
  static build(config: DirectorConfig, clock: Clock, previous?: ServiceTable, share?: PortShare): ServiceTable {
    return ServiceTable.plan(config, clock, previous, share).commit();
  }

  /** True for a VIP or local address of this director. No allocation: hot path. */
  owns(addr: number): boolean {
    const mask = this.ownedSlots.length - 1;
    const want = addr >>> 0;
    let i = slotHash(0, addr, 0) & mask;
    for (;;) {
      const a = this.ownedSlots[i];
      if (a === 0 || a === undefined) return false;
      if (a === want) return true;
      i = (i + 1) & mask;
    }
  }

  /**
   * The service for a packet to addr:port, or undefined, in ip_vs_service_find's order: a mark
   * service when the packet carries a mark, then VIP:port, then a catch-all VIP:0. No
   * allocation: hot path. addr may be uint32 or int32; the per-packet caller passes int32
   * (`x | 0`), which V8 keeps unboxed where a uint32 of 2^31 or more becomes a heap number.
   */
  find(proto: number, addr: number, port: number): RuntimeService | undefined {
    if (this.byMark.size > 0) {
      const mark = this.marker.mark(proto, addr >>> 0, port);
      const svc = mark === 0 ? undefined : this.byMark.get(mark);
      if (svc !== undefined) return svc;
    }
    const exact = this.findExact(proto, addr, port);
    return exact === undefined && this.hasCatchAll && port !== 0 ? this.findExact(proto, addr, 0) : exact;
  }

  /** True for an owned IPv6 address, the four words at off of w (meta's DST_IP6_0, say). */
  owns6(w: Uint32Array, off: number): boolean {
    const o = this.owned6;
    for (let i = 0; i < o.length; i += 4) {
      if (o[i] === w[off] && o[i + 1] === w[off + 1] && o[i + 2] === w[off + 2] && o[i + 3] === w[off + 3]) return true;
    }
    return false;
  }

  /** The IPv6 service for a packet to the address at off of w and port (then a catch-all VIP:0), or undefined. */
  find6(proto: number, w: Uint32Array, off: number, port: number): RuntimeService | undefined {
    let any: RuntimeService | undefined;
    for (const svc of this.services6) {
      const v = svc.vip6!;
      if (svc.proto !== proto || v[0] !== w[off] || v[1] !== w[off + 1] || v[2] !== w[off + 2] || v[3] !== w[off + 3]) continue;
      if (svc.vport === port) return svc;
      if (svc.vport === 0) any = svc;
    }
    return any;
  }

  /** Returns an IPv6 FULLNAT (local address handle, port) pair. */
  releaseLocalPort6(handle: number, lport: number): void {
    this.localAddresses6.get(handle)?.release(lport);
  }

  /** The mark service for mark (ipvsadm -f), or undefined. */
  findMark(mark: number): RuntimeService | undefined {
    return this.byMark.get(mark);
  }

  private findExact(proto: number, addr: number, port: number): RuntimeService | undefined {
    const a = addr >>> 0;
    let i = slotHash(proto, addr, port) & this.slotMask;
    for (;;) {
      const svc = this.services[this.slots[i] ?? EMPTY];
      if (svc === undefined) return undefined;
      if (svc.vip === a && svc.vport === port && svc.proto === proto) return svc;
      i = (i + 1) & this.slotMask;
    }
  }

  /**
   * Tells svc's scheduler that its real servers' weights or flags changed (IPVS upd_dest), so
   * it rebuilds what depends on them.
   */
  destsChanged(svc: RuntimeService): void {
    svc.schedState = svc.scheduler.update(svc.schedState, svc.sched, this.clock);
    this.onDestsChanged?.();
  }

  /** Told after every destsChanged (the main thread hands weights to the other workers then). */
  onDestsChanged: (() => void) | null = null;

  /** Frees the ids of drained real servers (the data plane calls it about once a second). */
  reap(): void {
    this.registry.reap();
  }

  /**
   * True once something this table keeps only for draining connections has none left: a
   * removed service (and its VIP), a local address no group lists. A table built anew from the
   * same config lets it go.
   */
  hasDrained(): boolean {
    const held = this.registry.drainingServices();
    const live = new Set(this.services.map((s) => s.id));
    if (this.serviceById.some((s) => !live.has(s.id) && !held.has(s.id))) return true;
    const listed = new Set([...this.allocators.values()].flatMap((a) => a.addresses));
    return [...this.localAddresses.values()].some((p) => p.inUse === 0 && !listed.has(p.addr))
      || [...this.localAddresses6.values()].some((p) => p.inUse === 0 && !listed.has(p.addr));
  }

  /** Returns a FULLNAT (local address, port) pair, whichever group handed it out. */
  releaseLocalPort(laddr: number, lport: number): void {
    this.localAddresses.get(laddr)?.release(lport);
  }
}

/**
 * A plan's identities and the weights new ones start with: a new sorry server starts at 0, so
 * no packet goes to it before the weight governor has decided whether the quorum needs it.
 */
function identitiesOf(p: ServicePlan): { key: string; dests: Array<{ key: string; weight: number }> } {
  return { key: p.key, dests: p.dests.map((d) => ({ key: d.key, weight: d.rs.sorry === true ? 0 : d.rs.weight })) };
}

function serviceKey(vs: VirtualServerConfig): string {
  return vs.fwmark ? `fwm ${vs.fwmark}` : `${vs.protocol} ${vs.vip}:${vs.port}`;
}

/** The addresses a config's services own: VIPs, and every address a mark service's matches cover. */
export function serviceAddresses(config: DirectorConfig): string[] {
  const marks = config.virtualServers.flatMap((vs) => (vs.fwmark ? [vs.fwmark] : []));
  const vips = config.virtualServers.flatMap((vs) => (vs.fwmark ? [] : [vs.vip]));
  return [...new Set([...vips, ...markedAddresses(config.fwmarkMatches ?? {}, marks)])];
}

function planService(vs: VirtualServerConfig, locals: LocalPlan): ServicePlan {
  const v6 = vs.family === 'inet6';
  const key = serviceKey(vs);
  const servers = vs.sorryServer ? [...vs.realServers, sorryRealServer(vs.sorryServer)] : vs.realServers;
  if (v6) checkServed6(vs, servers);
  const usesFnat = servers.some((rs) => rs.method === 'fnat');
  const localPorts = usesFnat ? locals.allocators.get(vs.laddrGroup ?? '') : undefined;
  if (usesFnat && !localPorts) {
    throw new Error(`line ${vs.line}: virtual_server ${serviceName(vs)}: FNAT needs laddr_group_name naming a local_address_group`);
  }
  if (localPorts && locals.groups6.has(vs.laddrGroup ?? '') !== v6) {
    throw new Error(`line ${vs.line}: virtual_server ${serviceName(vs)}: local_address_group '${vs.laddrGroup}' is ${v6 ? 'IPv4' : 'IPv6'}; `
      + `an ${v6 ? 'IPv6' : 'IPv4'} service's FULLNAT local addresses must be ${v6 ? 'IPv6' : 'IPv4'} too`);
  }
  // The SYN proxy translates both directions: an ipvsadm edit may not add a DR or TUN real server under it.
  const direct = vs.synProxy ? servers.find((rs) => rs.method === 'dr' || rs.method === 'tun') : undefined;
  if (direct) {
    throw new Error(`virtual_server ${vs.vip} ${vs.port}: syn_proxy needs NAT or FNAT real servers (${direct.address}:${direct.port} is ${direct.method.toUpperCase()})`);
  }
  return {
    vs, key, proto: vs.protocol === 'tcp' ? PROTO_TCP : PROTO_UDP, vip: v6 ? 0 : parseIpv4(vs.vip),
    vip6: v6 ? Uint32Array.from(ipv6Words(parseIpv6(vs.vip))) : null,
    scheduler: getScheduler(vs.scheduler), localPorts: localPorts ?? null,
    persistNetmask: v6 ? parsePersistencePrefix(vs.persistenceGranularity) : parseNetmask(vs.persistenceGranularity),
    dests: servers.map((rs) => {
      const rs6 = rs.address.includes(':');  // an IPv4 one under an IPv6 service: TUN by 6in4
      return {
        rs, key: destKey(key, rs), addr: rs6 ? 0 : parseIpv4(rs.address),
        addr6: rs6 ? Uint32Array.from(ipv6Words(parseIpv6(rs.address))) : null, method: METHOD_BY_NAME[rs.method],
      };
    }),
  };
}

/**
 * What of IPv6 is served (docs/datapath.md#ipv6): VIP:port services over IPv6 real servers, any
 * method, and IPv4 real servers by TUN (6in4). Everything else is refused here, at load, reload and adm edit alike.
 */
function checkServed6(vs: VirtualServerConfig, servers: readonly RealServerConfig[]): void {
  const refuse = (why: string): never => {
    throw new Error(`line ${vs.line}: virtual_server ${serviceName(vs)}: ${why} (docs/datapath.md#ipv6)`);
  };
  if (vs.fwmark !== undefined) refuse('IPv6 firewall-mark services are not served yet');
  if (vs.synProxy) refuse('syn_proxy is not served on IPv6 yet');
  const v4 = servers.find((rs) => !rs.address.includes(':') && rs.method !== 'tun');
  if (v4 !== undefined) refuse(`real server ${v4.address} is IPv4: only TUN reaches one from an IPv6 service (6in4); NAT64 is not served`);
}

/** A sorry server has an identity of its own, even at the address of one of the real servers (keepalived allows that). */
function destKey(serviceKey: string, rs: RealServerConfig): string {
  return `${serviceKey} ${rs.sorry === true ? 'sorry ' : ''}${rs.address}:${rs.port}`;
}

/** The sorry server as the last destination of its service: weight 1 (keepalived's), no checkers. */
function sorryRealServer(s: SorryServerConfig): RealServerConfig {
  return {
    address: s.address, port: s.port, weight: 1, method: s.method, upperThreshold: 0, lowerThreshold: 0, line: s.line,
    inhibitOnFailure: s.inhibit, sorry: true,
  };
}

/** A service or real server twice would share one id: refused, whatever built the config. */
function checkUnique(plans: readonly ServicePlan[]): void {
  const seen = new Set<string>();
  for (const key of plans.flatMap((p) => [p.key, ...p.dests.map((d) => d.key)])) {
    if (seen.has(key)) throw new Error(`${key} is configured twice`);
    seen.add(key);
  }
}

function runtimeService(
  plan: ServicePlan, id: number, dests: RuntimeDest[], clock: Clock, registry: IdentityRegistry, before?: RuntimeService,
): RuntimeService {
  const vs = plan.vs;
  const sched: RuntimeSchedService = { dests, schedFlags: new Set(vs.schedFlags as SchedFlag[]), schedOptions: {} };
  const same = before !== undefined && before.scheduler === plan.scheduler && sameFlags(before.config, vs);
  const schedState = same ? plan.scheduler.update(before.schedState, sched, clock) : plan.scheduler.init(sched, clock);
  const fwmark = vs.fwmark ?? 0;
  const persistScope = vs.group !== undefined ? PERSIST_GROUP + registry.groupScope(vs.group)
    : fwmark !== 0 ? PERSIST_MARK + fwmark : plan.vip6 !== null ? PERSIST_V6 + id : (plan.vip >>> 0) * 65536 + vs.port;
  return {
    id, proto: plan.proto, vip: plan.vip, vip6: plan.vip6, family: plan.vip6 !== null ? 6 : 4, vport: vs.port, config: vs, scheduler: plan.scheduler, schedState, sched,
    localPorts: plan.localPorts, persistNetmask: plan.persistNetmask, fwmark, persistScope,
    persistAnyProto: persistScope >= PERSIST_MARK, ops: vs.ops === true,
  };
}

/**
 * The very config object, local ports and real servers it ran with (a table built again once
 * something drained): kept whole, so its scheduler goes on where it was instead of being told
 * of a change there was none (IPVS schedulers hear only of real changes; wrr's would restart).
 */
function untouched(before: RuntimeService, plan: ServicePlan, destIds: readonly number[]): boolean {
  const dests = before.sched.dests;
  return before.config === plan.vs && before.localPorts === plan.localPorts
    && dests.length === destIds.length && dests.every((d, i) => d.id === destIds[i]);
}

function sameFlags(a: VirtualServerConfig, b: VirtualServerConfig): boolean {
  return a.schedFlags.length === b.schedFlags.length && a.schedFlags.every((f) => b.schedFlags.includes(f));
}

function byId<T extends { readonly id: number }>(items: readonly T[]): T[] {
  const out = new Array<T>(Math.max(0, ...items.map((i) => i.id + 1)));
  for (const item of items) out[item.id] = item;
  return out;
}

/** A power of two with room for four times n (short probes). */
function tableSize(n: number): number {
  let size = 16;
  while (size < n * 4) size *= 2;
  return size;
}
