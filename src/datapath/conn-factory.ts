// Creates connections as IPVS does: persistence templates first (a client network sticks to its
// real server), then the scheduler; binds the real server (counts, threshold flags), picks the
// next hop toward the client for methods whose replies come back through us, and a FULLNAT
// local address and port. Also the reverse, when a connection expires; and connections learnt
// from a sync peer or a state file, which arrive with their real server, state and expiry.

import { ArpState, type ArpEntry, type ArpResolver } from '../arp/resolver.js';
import { ADDR6_WORDS, Addr6, ConnFlag, type ConnTable, type NewConn } from '../conntable/conn-table.js';
import type { LocalEndpoint } from '../fullnat/lport-allocator.js';
import {
  attachConn, createTemplate, createTemplateTable, detachConn, expireTemplates, lookupTemplate,
  templateKey, templateKey6, type Template, type TemplateKey, type TemplateTable,
} from '../ipvs/persistence.js';
import { flagsAfterBind, flagsAfterUnbind, type Thresholds } from '../ipvs/thresholds.js';
import type { RouteTable } from '../net/routes.js';
import type { RouteTable6 } from '../net/routes6.js';
import { DestFlags, type Clock, type SchedPacket } from '../sched/types.js';
import type { ConnStateModel } from './conn-state-model.js';
import { DropReason, type DropReasonValue } from './drop-reasons.js';
import type { FloodGuard } from './flood-guard.js';
import { Method } from '../native/layout.generated.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from './service-table.js';

export interface ConnFactoryDeps {
  conns: ConnTable;
  states: ConnStateModel;
  arp: ArpResolver;
  routes: RouteTable;
  /** IPv6 routes toward clients (NAT, FULLNAT replies). */
  routes6: RouteTable6;
  clock: Clock;
  guard: FloodGuard;
  /** Forgets a freed connection's SYN proxy state. */
  proxy: { released(entry: number): void };
}

/** What a connection starts with besides its packet and real server. */
export interface LearntConn extends LocalEndpoint {
  state: number;
  /** Absolute expiry, connection-table seconds. */
  expires: number;
  /** FULLNAT TCP learnt from a peer or a state file: its client-side sequence delta (ConnFlag.CLIENT_SEQ). */
  seqDelta?: number;
}

export class ConnFactory {
  /** Why the last create() returned -1. */
  failure: DropReasonValue = DropReason.NO_DEST;
  /** Persistence templates (listings read them; only this factory changes them). */
  readonly templates: TemplateTable = createTemplateTable();
  /** The persistence template each connection was created under (sparse). */
  private readonly controlledBy: (Template | undefined)[] = [];
  /** Reused for every scheduled connection: the data path allocates nothing per packet. */
  private readonly scratch: LearntConn = { laddr: 0, lport: 0, state: 0, expires: 0 };
  /** The row handed to the table, filled in place: an object literal per connection would be garbage. */
  private readonly row: NewConn = {
    proto: 0, caddr: 0, cport: 0, vaddr: 0, vport: 0, daddr: 0, dport: 0, laddr: 0, lport: 0, method: 0, flags: 0,
    service: 0, dest: 0, nhop: 0, state: 0, expires: 0, seqDelta: 0,
  };
  /** An IPv6 connection's addresses as ConnTable.insert6 takes them, and a next hop's words. */
  private readonly words6 = new Uint32Array(ADDR6_WORDS);
  private readonly hop6 = new Uint32Array(4);
  /** The last IPv6 next hop toward a client and its neighbour: most clients share a router (want6 then costs nothing). */
  private readonly lastHop6 = new Uint32Array(4);
  private lastNeighbour6: ArpEntry | undefined;
  /** A client's IPv6 persistence network, as templateKey6 masks it. */
  private readonly net6 = new Uint32Array(4);
  /** A real server's thresholds as the threshold rules want them, filled per bind and unbind. */
  private readonly limits: Thresholds = { upper: 0, lower: 0 };

  /** services: the running table; the classifier swaps in a new one between batches. */
  constructor(private readonly d: ConnFactoryDeps, public services: ServiceTable) {}

  /** A new connection for packet p to svc, or -1 with the reason in `failure`. */
  create(svc: RuntimeService, p: SchedPacket, nowSec: number): number {
    const persistent = svc.config.persistenceTimeout > 0;
    let tpl: Template | null = null;
    let dest: RuntimeDest | null = null;
    if (persistent) {
      const nowMs = this.d.clock.now();
      const key = this.keyOf(svc, p);
      tpl = lookupTemplate(this.templates, key, nowMs, { expireQuiescent: false });
      dest = tpl ? this.templateDest(svc, tpl) : null;
      // A group template whose server this member lacks (an adm edit of one member) starts over.
      if (dest === null) {
        tpl = null;
        dest = this.schedule(svc, p);
      }
      if (dest && !tpl) tpl = createTemplate(this.templates, key, dest, nowMs, svc.config.persistenceTimeout * 1000);
    } else {
      dest = this.schedule(svc, p);
    }
    if (!dest) return this.fail(DropReason.NO_DEST);
    const e = this.insert(svc, dest, p, nowSec);
    if (e < 0) return e;
    if (tpl) {
      attachConn(tpl);
      this.controlledBy[e] = tpl;
    }
    return e;
  }

  /**
   * A template's real server as svc has it in this table: a template outlives table rebuilds,
   * and a group's template serves every member, each with its own copy of the server (same
   * address, its own id); null when svc has no available one.
   */
  private templateDest(svc: RuntimeService, tpl: Template): RuntimeDest | null {
    const d = this.services.destById[tpl.dest.id];
    if (d === undefined || d.service === svc.id) return d ?? null;
    for (const mine of svc.sched.dests) {
      const same = d.addr6 === null ? mine.addr === d.addr : mine.addr6 !== null && mine.addr6.every((w, i) => w === d.addr6![i]);
      if (same && (mine.flags & DestFlags.AVAILABLE) !== 0) return mine;
    }
    return null;
  }

  /** Unbinds an expiring (or evicted) connection: counts, threshold flags, template, local port, flood budget, SYN proxy state. */
  release(e: number): void {
    const c = this.d.conns;
    this.d.guard.released(e);
    this.d.proxy.released(e);
    const dest = this.services.destById[c.dest[e]!];
    if (dest) {
      if (this.d.states.active(c.proto[e]!, c.state[e]!)) dest.activeConns--;
      else dest.inactConns--;
      dest.flags = flagsAfterUnbind(dest, this.thresholdsOf(dest));
    }
    const tpl = this.controlledBy[e];
    if (tpl) {
      detachConn(tpl);
      this.controlledBy[e] = undefined;
    }
    // By address, not by the service's group: a reload may have moved the address to another group.
    if (c.flags[e]! & ConnFlag.OUT_TO_LIP) {
      if (c.flags[e]! & ConnFlag.V6) this.services.releaseLocalPort6(c.laddr[e]!, c.lport[e]!);
      else this.services.releaseLocalPort(c.laddr[e]!, c.lport[e]!);
    }
  }

  /** Once a second: persistence templates whose time is up. */
  tick(): void {
    expireTemplates(this.templates, this.d.clock.now());
  }

  /** The persistence template connection e was created under, if any. */
  templateOf(e: number): Template | undefined {
    return this.controlledBy[e];
  }

  /** Every persistence template alive (a state file's dump). */
  *liveTemplates(): IterableIterator<Template> {
    for (const inner of this.templates.byService.values()) yield* inner.values();
  }

  /**
   * Inserts a connection learnt from a peer or a state file, with its real server, state, expiry
   * and (FULLNAT) the local pair, which must be reserved already; under the template of its
   * client network when one exists. Returns the entry, or -1 with the reason in `failure`.
   */
  adopt(svc: RuntimeService, dest: RuntimeDest, p: SchedPacket, learnt: LearntConn): number {
    const e = this.place(svc, dest, p, learnt);
    if (e < 0) return e;
    const key = this.keyOf(svc, p);
    const tpl = svc.config.persistenceTimeout > 0 ? this.templates.byService.get(key.service)?.get(key.client) : undefined;
    if (tpl) {
      attachConn(tpl);
      this.controlledBy[e] = tpl;
    }
    return e;
  }

  /** A template learnt from a peer or a state file: created, or its real server and timer renewed. */
  adoptTemplate(svc: RuntimeService, dest: RuntimeDest, clientNet: number, proto: number, leftMs: number): void {
    const key = keyOf(svc, proto, clientNet);
    const now = this.d.clock.now();
    const tpl = this.templates.byService.get(key.service)?.get(key.client);
    if (tpl && tpl.dest.id === dest.id) {
      tpl.expires = Math.max(tpl.expires, now + leftMs);
      return;
    }
    const made = createTemplate(this.templates, key, dest, now, svc.config.persistenceTimeout * 1000);
    made.expires = now + leftMs;
  }

  /** A learnt state for an existing connection: counts move between active and inactive, the timer restarts. */
  learnState(e: number, state: number, expires: number): void {
    const c = this.d.conns;
    const states = this.d.states;
    const proto = c.proto[e]!;
    const before = c.state[e]!;
    const dest = this.services.destById[c.dest[e]!];
    if (dest && states.active(proto, before) !== states.active(proto, state)) {
      dest.activeConns += states.active(proto, state) ? 1 : -1;
      dest.inactConns += states.active(proto, state) ? -1 : 1;
    }
    c.state[e] = state;
    c.wheel.touch(e, expires);
  }

  private schedule(svc: RuntimeService, p: SchedPacket): RuntimeDest | null {
    return svc.scheduler.schedule(svc.schedState, svc.sched, p, this.d.clock) as RuntimeDest | null;
  }

  /** A scheduled connection: a FULLNAT pair is allocated here, it starts in the initial state. */
  private insert(svc: RuntimeService, dest: RuntimeDest, p: SchedPacket, nowSec: number): number {
    const n = this.scratch;
    n.laddr = 0;
    n.lport = 0;
    if (dest.method === Method.FNAT && (!svc.localPorts || !svc.localPorts.allocate(n))) return this.fail(DropReason.NO_LOCAL_PORT);
    n.state = this.d.states.initial(p.proto);
    n.expires = nowSec + this.d.states.timeout(p.proto, n.state);
    return this.place(svc, dest, p, n);
  }

  /** Inserts and binds a connection; a FULLNAT pair it holds is given back when it fails. */
  private place(svc: RuntimeService, dest: RuntimeDest, p: SchedPacket, n: LearntConn): number {
    const routed = dest.method === Method.NAT || dest.method === Method.FNAT;
    const v6 = p.family === 6;
    let nhop = 0;
    if (routed) {
      const neighbour = v6 ? this.clientHop6(p) : this.clientHop(p);
      if (!neighbour) return this.failHolding(svc, n, DropReason.NO_ROUTE);
      nhop = neighbour.id;
    }
    const learntSeq = n.seqDelta !== undefined && dest.method === Method.FNAT;
    const flags = (routed ? ConnFlag.HAS_OUT : 0) | (dest.method === Method.FNAT ? ConnFlag.OUT_TO_LIP : 0) | (v6 ? ConnFlag.V6 : 0) |
      (learntSeq ? ConnFlag.CLIENT_SEQ : 0);
    const proto = p.proto;
    const row = this.row;
    row.proto = proto;
    row.caddr = p.srcAddr;
    row.cport = p.srcPort;
    row.vaddr = p.dstAddr;
    row.vport = p.dstPort;
    row.daddr = dest.addr;
    row.dport = dest.port || p.dstPort; // port 0: the packet's port (a mark service's real servers, as IPVS)
    row.laddr = n.laddr;
    row.lport = n.lport;
    row.method = dest.method;
    row.flags = flags;
    row.service = svc.id;
    row.dest = dest.id;
    row.nhop = nhop;
    row.state = n.state;
    row.expires = n.expires;
    row.seqDelta = learntSeq ? n.seqDelta! | 0 : 0;
    const e = v6 ? this.insert6(row, p, dest, n) : this.d.conns.insert(row);
    if (e < 0) return this.failHolding(svc, n, DropReason.TABLE_FULL);
    this.d.guard.created(e);
    // A connection taken over established (sync, a state file) is a real client's: confirmed.
    if (this.d.states.active(proto, n.state)) {
      dest.activeConns++;
      this.d.guard.takenOver(e);
    } else {
      dest.inactConns++;
    }
    dest.flags = flagsAfterBind(dest, this.thresholdsOf(dest));
    const { destCounters, serviceCounters } = this.services.registry;
    destCounters.addConn(dest.id);
    serviceCounters.addConn(svc.id);
    return e;
  }

  /** The neighbour toward an IPv4 client (its router, or itself on-link). */
  private clientHop(p: SchedPacket): { id: number } | undefined {
    const hop = this.d.routes.nextHopI32(p.srcAddr | 0);
    return hop === 0 ? undefined : this.d.arp.want(hop);
  }

  /** The same for an IPv6 client, by the IPv6 routes. */
  private clientHop6(p: SchedPacket): { id: number } | undefined {
    const h = this.hop6;
    if (!this.d.routes6.nextHop(p.srcAddr6, 0, h)) return undefined;
    const last = this.lastHop6;
    const known = this.lastNeighbour6;
    if (known !== undefined && known.state !== ArpState.FAILED && h[0] === last[0] && h[1] === last[1] && h[2] === last[2] && h[3] === last[3]) return known;
    last.set(h);
    this.lastNeighbour6 = this.d.arp.want6(h[0]!, h[1]!, h[2]!, h[3]!);
    return this.lastNeighbour6;
  }

  /** Inserts an IPv6 row (its IPv4 address fields 0): client, VIP, real server and local address words. */
  private insert6(row: NewConn, p: SchedPacket, dest: RuntimeDest, n: LearntConn): number {
    const w = this.words6;
    w.set(p.srcAddr6, Addr6.C);
    w.set(p.dstAddr6, Addr6.V);
    if (dest.addr6 !== null) {
      w.set(dest.addr6, Addr6.D);
    } else {  // 6in4: an IPv4 real server, kept IPv4-mapped (::ffff:a.b.c.d)
      w[Addr6.D] = 0;
      w[Addr6.D + 1] = 0;
      w[Addr6.D + 2] = 0xffff;
      w[Addr6.D + 3] = dest.addr;
    }
    w.set(this.services.localHandles6.words(n.laddr), Addr6.L);
    row.caddr = 0;
    row.vaddr = 0;
    row.daddr = 0;
    return this.d.conns.insert6(row, w, 0);
  }

  /** A template's key in svc's persistence scope (RuntimeService.persistScope); IPv6 by prefix. */
  private keyOf(svc: RuntimeService, p: SchedPacket): TemplateKey {
    return p.family === 6
      ? templateKey6(p.proto, p.srcAddr6, svc.persistNetmask, svc.persistScope, svc.persistAnyProto, this.net6)
      : keyOf(svc, p.proto, p.srcAddr);
  }

  private thresholdsOf(dest: RuntimeDest): Thresholds {
    this.limits.upper = dest.config.upperThreshold;
    this.limits.lower = dest.config.lowerThreshold;
    return this.limits;
  }

  private failHolding(svc: RuntimeService, n: LearntConn, reason: DropReasonValue): number {
    if (n.laddr) svc.localPorts?.release(n.laddr, n.lport);
    return this.fail(reason);
  }

  private fail(reason: DropReasonValue): number {
    this.failure = reason;
    return -1;
  }
}

/** A template's key in svc's persistence scope (RuntimeService.persistScope). */
function keyOf(svc: RuntimeService, proto: number, clientAddr: number): TemplateKey {
  return templateKey(proto, clientAddr, svc.persistNetmask, svc.persistScope, svc.persistAnyProto);
}
