// Decides each frame of a batch: answers ARP for owned addresses, finds or creates the
// connection of TCP/UDP packets to a virtual service (or of replies from its real servers),
// follows fragments and ICMP errors to their connection, counts the packet for its real server
// and service (by their stable ids), and hands it to the forwarding method chosen when the
// connection was created. Everything else is a counted drop.

import type { ArpResolver } from '../arp/resolver.js';
import { ConnFlag, type ConnTable, KeyKind } from '../conntable/conn-table.js';
import { Action, FragBits, FrameKind, Meta, Method, Verdict } from '../native/layout.generated.js';
import { wallClockIsn } from '../fullnat/isn-clock.js';
import type { RouteTable } from '../net/routes.js';
import type { RouteTable6 } from '../net/routes6.js';
import { DestFlags, type Clock, type SchedPacket } from '../sched/types.js';
import { ConnFactory } from './conn-factory.js';
import { stepConn } from './conn-step.js';
import { FlowDirection, type ConnStateModel } from './conn-state-model.js';
import { DropReason, type DropCounters, type DropReasonValue } from './drop-reasons.js';
import type { FloodGuard } from './flood-guard.js';
import { Forwarders, type PacketHandler } from './forwarders.js';
import { Forwarders6 } from './forwarders6.js';
import { Classifier6 } from './classifier6.js';
import type { FragCache } from './frag-cache.js';
import type { HoldQueue } from './hold-queue.js';
import { PROTO_TCP, PROTO_UDP, type RuntimeDest, type RuntimeService, type ServiceTable } from './service-table.js';
import type { SourceRateLimiter } from './source-rate.js';
import { ProxyState, SynProxy } from './syn-proxy.js';
import { VerdictWriter } from './verdict-writer.js';
import type { VipGate } from './vip-gate.js';
import { NdHandler } from '../nd/nd-handler.js';

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const PROTO_ICMP = 1;
const ICMP_ECHO_REQUEST = 8;

/** Why a frame to no owned address is dropped: a group's (224.0.0.0/4, broadcast) or a unicast stray's. */
function notOurs(dst: number): DropReasonValue {
  return dst >>> 28 === 0xe || dst >>> 0 === 0xffffffff ? DropReason.MULTICAST : DropReason.NOT_OURS;
}

export interface ClassifierDeps {
  meta: Uint32Array;
  verdict: Uint32Array;
  conns: ConnTable;
  states: ConnStateModel;
  arp: ArpResolver;
  hold: HoldQueue;
  drops: DropCounters;
  routes: RouteTable;
  /** IPv6 routes toward clients. */
  routes6: RouteTable6;
  clock: Clock;
  /** Which owned addresses are answered now (VRRP). */
  gate: VipGate;
  guard: FloodGuard;
  /** First fragments, for their later fragments (frag_cache_size). */
  frags: FragCache;
  /** source_conn_rate: null when sources are not limited. */
  sourceRate: SourceRateLimiter | null;
  /** Told when a proxied connection's real server answered: release its parked segments. */
  onProxyAnswered: (entry: number) => void;
  /** The port real servers, clients' next hops and everything else are reached on. */
  lanPort: number;
  /** The director's own address on that port (TUN outer source); 0 if none. */
  localIp: number;
  /** The director's own IPv6 address on that port (ip6ip6 outer source), four words; zero if none. */
  localIp6: Uint32Array;
  /** The port's MAC as parse splits it (hi: first two bytes, lo: last four). */
  portMac: { hi: number; lo: number };
  mtu: number;
  /** Clock value (ms) that connection-table second 0 stands for. */
  epochMs: number;
  /**
   * IPVS sloppy_tcp: a TCP segment without a connection (other than a RST) is scheduled as if it
   * opened one, so flows a restart or a failover left without state go on (sh or mh pick the
   * same real server again; others may not).
   */
  sloppyTcp?: boolean;
  /** The ISN clock of FULLNAT connections toward real servers (int32; default the wall clock's, src/fullnat/isn-clock.ts). */
  isn?: () => number;
}

/** Told about connections as packets meet them (connection sync's master side). */
export interface ConnObserver {
  /** Entry e was just created by a packet. */
  created(e: number): void;
  /** One more client-side packet of entry e, its state already stepped. */
  inbound(e: number): void;
}

export class Classifier {
  readonly replies = { timeExceeded: 0, fragNeeded: 0, echo: 0 };
  readonly factory: ConnFactory;
  private readonly frags: FragCache;
  /** SYN proxy state of the services that have syn_proxy on. */
  readonly proxy: SynProxy;
  private readonly w: VerdictWriter;
  private readonly forwarders: Forwarders;
  /** The IPv6 handlers, and the IPv6 branch of handle(). */
  readonly forwarders6: Forwarders6;
  private readonly v6: Classifier6;
  /** Neighbour Discovery: answers solicitations for owned IPv6 addresses, learns neighbours. */
  readonly nd: NdHandler;
  private readonly packet: SchedPacket = {
    proto: 0, family: 4, srcAddr: 0, srcPort: 0, dstAddr: 0, dstPort: 0, srcAddr6: new Uint32Array(4), dstAddr6: new Uint32Array(4),
  };
  nowSec = 0;
  /** Connection sync's master side while this node sends; null otherwise. */
  observer: ConnObserver | null = null;
  /** The TCP flags a segment needs to be scheduled without a connection (SYN, or any but RST when sloppy). */
  readonly opensMask: number;
  readonly opensWant: number;
  nowMs = 0;
  /** The ISN clock's value for this batch (int32). */
  private isnNow = 0;
  private readonly isn: () => number;

  constructor(private readonly d: ClassifierDeps, public services: ServiceTable) {
    this.isn = d.isn ?? wallClockIsn;
    this.w = new VerdictWriter(d.verdict);
    this.frags = d.frags;
    this.forwarders = new Forwarders({ ...d, writer: this.w, replies: this.replies });
    this.proxy = new SynProxy({ meta: d.meta, writer: this.w, hold: d.hold, capacity: d.conns.capacity, mss: d.mtu - 40 });
    this.factory = new ConnFactory({ ...d, proxy: this.proxy }, services);
    this.nd = new NdHandler({
      meta: d.meta, writer: this.w, drops: d.drops, learner: d.arp, lanPort: d.lanPort,
      owner: { answers6: (w, off) => d.gate.answers6(w, off, this.services) },
    });
    this.opensMask = d.sloppyTcp === true ? TCP_RST : TCP_SYN | TCP_RST;
    this.opensWant = d.sloppyTcp === true ? 0 : TCP_SYN;
    this.forwarders6 = new Forwarders6({
      meta: d.meta, conns: d.conns, drops: d.drops, writer: this.w, localIp6: d.localIp6, localIp: d.localIp, lanPort: d.lanPort,
      mtu: d.mtu, replies: this.replies, v4: this.forwarders,
    });
    this.v6 = new Classifier6(d, this);
  }

  /** Swaps in a new service table between batches (connections keep their real servers by id). */
  setServices(services: ServiceTable): void {
    this.services = services;
    this.factory.services = services;
  }

  /** Connection-table time now, in whole seconds since the epoch. */
  seconds(): number {
    return Math.floor((this.d.clock.now() - this.d.epochMs) / 1000);
  }

  handle(_port: number, count: number): void {
    const nowMs = this.d.clock.now();
    this.nowMs = nowMs;
    this.nowSec = Math.floor((nowMs - this.d.epochMs) / 1000);
    this.forwarders.nowMs = nowMs;
    this.isnNow = this.isn() | 0;
    this.d.guard.setTime(nowMs);
    const meta = this.d.meta;
    for (let i = 0; i < count; i++) {
      const mb = i * Meta.WORDS;
      const vb = i * Verdict.WORDS;
      if (meta[mb + Meta.ERROR] !== 0) {
        this.w.drop(vb, DropReason.PARSE_ERROR);
        this.d.drops.addParse(meta[mb + Meta.ERROR]!);
      }
      else if (meta[mb + Meta.KIND] === FrameKind.IPV4) {
        if (this.toOtherHost(mb)) this.drop(vb, DropReason.OTHER_HOST);
        else this.ipv4(mb, vb);
      }
      else if (meta[mb + Meta.KIND] === FrameKind.ARP) this.arp(mb, vb);
      else if (meta[mb + Meta.KIND] === FrameKind.IPV6) {
        if (this.toOtherHost(mb)) this.drop(vb, DropReason.OTHER_HOST);
        else this.v6.handle(mb, vb);
      }
      else this.drop(vb, DropReason.NOT_IP);
    }
  }

  /**
   * True for a frame unicast to another host's MAC: an AF_PACKET socket (and a bridge flooding
   * an unknown MAC) hands those over too, and forwarding one would relay traffic that was never
   * sent to the director (the kernel forwards only frames addressed to it, PACKET_HOST).
   * Broadcast and multicast frames go on to the address checks.
   */
  private toOtherHost(mb: number): boolean {
    const hi = this.d.meta[mb + Meta.DST_MAC_HI]!;
    if (hi & 0x100) return false;
    return hi !== this.d.portMac.hi || this.d.meta[mb + Meta.DST_MAC_LO]! !== this.d.portMac.lo;
  }

  answerEcho(vb: number): void {
    this.w.answer(vb, Action.ICMP_ECHO_REPLY, this.d.lanPort);
    this.replies.echo++;
  }

  drop(vb: number, reason: DropReasonValue): void {
    this.w.drop(vb, reason);
    this.d.drops.add(reason);
  }

  private arp(mb: number, vb: number): void {
    const meta = this.d.meta;
    const sender = meta[mb + Meta.SRC_IP]!;
    const target = meta[mb + Meta.DST_IP]!;
    this.d.arp.learn(sender, meta[mb + Meta.SRC_MAC_HI]!, meta[mb + Meta.SRC_MAC_LO]!);
    // Answer who-has for our addresses; a gratuitous ARP (sender == target) gets no answer.
    if (meta[mb + Meta.ARP_OP] === 1 && sender !== target && this.d.gate.answers(target, this.services)) {
      this.w.answer(vb, Action.ARP_REPLY, this.d.lanPort);
    } else {
      this.drop(vb, DropReason.ARP_CONSUMED);
    }
  }

  private ipv4(mb: number, vb: number): void {
    const proto = this.d.meta[mb + Meta.PROTO]!;
    if (proto === PROTO_TCP || proto === PROTO_UDP) this.transport(proto, mb, vb);
    else if (proto === PROTO_ICMP) this.icmp(mb, vb);
    else this.drop(vb, this.services.owns(this.d.meta[mb + Meta.DST_IP]!) ? DropReason.UNSUPPORTED_PROTO : notOurs(this.d.meta[mb + Meta.DST_IP]!));
  }

  private transport(proto: number, mb: number, vb: number): void {
    const meta = this.d.meta;
    const src = meta[mb + Meta.SRC_IP]!;
    const dst = meta[mb + Meta.DST_IP]!;
    const frag = meta[mb + Meta.FRAG]!;
    if (frag & FragBits.NONFIRST) {
      this.laterFragment(proto, src, dst, mb, vb);
      return;
    }
    const sport = meta[mb + Meta.SRC_PORT]!;
    const dport = meta[mb + Meta.DST_PORT]!;
    // int32 arguments: no heap number per packet (see ConnTable.lookup).
    let hit = this.d.conns.lookup(meta[mb + Meta.HASH]! | 0, proto, src | 0, sport, dst | 0, dport);
    if (hit >= 0 && (hit & 1) === KeyKind.IN && this.services.expireNodestConn && this.destGone(hit >> 1)) {
      // IPVS expire_nodest_conn: the connection ends now; a packet that may open one is
      // scheduled afresh (as current kernels do), anything else is dropped.
      this.factory.release(hit >> 1);
      this.d.conns.evict(hit >> 1);
      hit = -1;
      if (proto === PROTO_TCP && (meta[mb + Meta.TCP_FLAGS]! & (TCP_SYN | TCP_RST)) !== TCP_SYN) {
        this.drop(vb, DropReason.DEST_GONE);
        return;
      }
    }
    if (hit >= 0 && proto === PROTO_TCP && (hit & 1) === KeyKind.IN
      && (meta[mb + Meta.TCP_FLAGS]! & (TCP_SYN | TCP_RST)) === TCP_SYN && this.d.states.reusable(proto, this.d.conns.state[hit >> 1]!)) {
      // IPVS conn_reuse_mode 1: a client reusing the ports of a connection that is closing
      // gets a new one, scheduled afresh (its old real server may be gone or taken out).
      this.factory.release(hit >> 1);
      this.d.conns.evict(hit >> 1);
      hit = -1;
    }
    if (hit < 0) {
      const svc = this.services.find(proto, dst | 0, dport);
      if (!svc) {
        this.drop(vb, this.services.owns(dst | 0) ? DropReason.NO_SERVICE : notOurs(dst));
        return;
      }
      if (proto === PROTO_TCP && svc.config.synProxy) {
        this.proxyOpen(svc, mb, vb);
        return;
      }
      // IPVS schedules TCP only on a SYN without RST (with sloppy_tcp: anything but a RST);
      // anything else has no connection to join.
      if (proto === PROTO_TCP && (meta[mb + Meta.TCP_FLAGS]! & this.opensMask) !== this.opensWant) {
        this.drop(vb, DropReason.NO_CONN);
        return;
      }
      // Before the flood guard: a source over its rate neither counts as an attempt nor takes budget.
      if (this.d.sourceRate !== null && !this.d.sourceRate.admit(src, this.nowMs)) {
        this.drop(vb, DropReason.SOURCE_RATE);
        return;
      }
      const refused = this.d.guard.admit(proto);
      if (refused !== -1) {
        this.drop(vb, refused);
        return;
      }
      const e = this.factory.create(svc, this.fill(proto, src | 0, sport, dst | 0, dport), this.nowSec);
      if (e < 0) {
        this.drop(vb, this.factory.failure);
        return;
      }
      hit = (e << 1) | KeyKind.IN;
      if (proto === PROTO_TCP) this.startClientSeq(e, mb);
      if (svc.ops && proto === PROTO_UDP) {
        this.onePacket(e, mb, vb);
        return;
      }
      if (this.observer !== null) this.observer.created(e);
    }
    this.forward(hit, mb, vb, true);
    if (frag & FragBits.MF) this.frags.remember(proto, src, dst, meta[mb + Meta.IP_ID]!, hit, this.nowSec);
  }

  /**
   * One-packet scheduling (IPVS IP_VS_CONN_F_ONE_PACKET): the datagram goes out through the
   * entry just made, which then goes at once, so the next datagram is scheduled afresh. Not
   * synced (IPVS does not sync them either). A first fragment keeps it one second for the
   * fragments that follow it (IPVS sees whole datagrams, reassembled before it).
   */
  private onePacket(e: number, mb: number, vb: number): void {
    const hit = (e << 1) | KeyKind.IN;
    this.forward(hit, mb, vb, true);
    const meta = this.d.meta;
    if (meta[mb + Meta.FRAG]! & FragBits.MF) {
      this.frags.remember(PROTO_UDP, meta[mb + Meta.SRC_IP]!, meta[mb + Meta.DST_IP]!, meta[mb + Meta.IP_ID]!, hit, this.nowSec);
      this.d.conns.wheel.touch(e, this.nowSec + 1);
      return;
    }
    this.factory.release(e);
    this.d.conns.evict(e);
  }

  /**
   * A FULLNAT TCP connection a client's SYN opened (proxied: the ACK that proved its cookie, one
   * past its ISN): its side toward the real server is numbered from the ISN clock
   * (src/fullnat/isn-clock.ts), every segment moved by the difference. One opened mid-flow
   * (sloppy_tcp) keeps the client's numbers: the real server knows those already.
   */
  startClientSeq(e: number, mb: number, proxied = false): void {
    const c = this.d.conns;
    const meta = this.d.meta;
    if (c.method[e] !== Method.FNAT) return;
    if (!proxied && (meta[mb + Meta.TCP_FLAGS]! & (TCP_SYN | TCP_ACK | TCP_RST)) !== TCP_SYN) return;
    const clientIsn = (meta[mb + Meta.TCP_SEQ]! - (proxied ? 1 : 0)) | 0;
    c.seqDelta[e] = (this.isnNow - clientIsn) | 0;
    c.flags[e] = c.flags[e]! | ConnFlag.CLIENT_SEQ;
  }

  /** True when a connection's real server is no longer available (removed, or failed without inhibit_on_failure). */
  destGone(e: number): boolean {
    const dest = this.services.destById[this.d.conns.dest[e]!];
    return dest === undefined || (dest.flags & DestFlags.AVAILABLE) === 0;
  }

  /** Non-first fragments carry no ports: they follow their first fragment, or are orphans. */
  private laterFragment(proto: number, src: number, dst: number, mb: number, vb: number): void {
    const hit = this.frags.find(proto, src, dst, this.d.meta[mb + Meta.IP_ID]!, this.nowSec);
    const c = this.d.conns;
    const e = hit >> 1;
    const stillOurs = hit >= 0 && c.proto[e] === proto &&
      ((hit & 1) === KeyKind.IN ? c.caddr[e] === src : c.daddr[e] === src);
    if (!stillOurs) {
      this.drop(vb, DropReason.FRAGMENT);
      return;
    }
    this.forward(hit, mb, vb, false);
  }

  /** One packet of connection hit (tagged with its key kind) goes its method's way (IPv6: the inbound6/outbound6 handlers). */
  forward(hit: number, mb: number, vb: number, stepState: boolean,
    inbound = this.forwarders.inbound, outbound = this.forwarders.outbound): void {
    const c = this.d.conns;
    const e = hit >> 1;
    const id = c.dest[e]!;
    const sid = c.service[e]!;
    const dest = this.services.destById[id]!;
    const len = this.d.meta[mb + Meta.LEN]!;
    const { destCounters, serviceCounters } = this.services.registry;
    let handlers: PacketHandler[];
    if ((hit & 1) === KeyKind.IN) {
      if (stepState) {
        stepConn(this.d, e, dest, mb, c.flags[e]! & ConnFlag.HAS_OUT ? FlowDirection.INPUT : FlowDirection.INPUT_ONLY, this.nowSec);
        if (this.observer !== null) this.observer.inbound(e);
      }
      destCounters.addIn(id, len);
      serviceCounters.addIn(sid, len);
      handlers = inbound;
    } else {
      if (stepState) stepConn(this.d, e, dest, mb, FlowDirection.OUTPUT, this.nowSec);
      destCounters.addOut(id, len);
      serviceCounters.addOut(sid, len);
      handlers = outbound;
    }
    if (this.proxy.state[e] !== ProxyState.NONE && this.proxied(hit, dest, mb, vb, handlers)) return;
    handlers[c.method[e]!]!(e, dest, mb, vb);
  }

  /**
   * No connection, a TCP segment to a SYN-proxied service: a SYN gets a cookie SYN-ACK and
   * nothing is kept (the flood detector counts it); an ACK that echoes a good cookie creates the connection (a proven client's)
   * and becomes the SYN to its real server; anything else is dropped.
   */
  private proxyOpen(svc: RuntimeService, mb: number, vb: number): void {
    const meta = this.d.meta;
    const flags = meta[mb + Meta.TCP_FLAGS]! & (TCP_SYN | TCP_ACK | TCP_RST);
    const proxy = this.proxy;
    if (flags === TCP_SYN) {
      this.d.guard.attempt();
      proxy.answerSyn(mb, vb, this.d.lanPort, this.nowSec);
      return;
    }
    if (flags !== TCP_ACK) {
      this.drop(vb, DropReason.SYNPROXY_NO_CONN);
      return;
    }
    if (!proxy.proves(mb, this.nowSec)) {
      this.drop(vb, DropReason.SYNPROXY_BAD_COOKIE);
      return;
    }
    // A proven (real) address meets source_conn_rate here; the SYN was the flood detector's attempt.
    if (this.d.sourceRate !== null && !this.d.sourceRate.admit(meta[mb + Meta.SRC_IP]!, this.nowMs)) {
      this.drop(vb, DropReason.SOURCE_RATE);
      return;
    }
    const packet = this.fill(PROTO_TCP, meta[mb + Meta.SRC_IP]! | 0, meta[mb + Meta.SRC_PORT]!, meta[mb + Meta.DST_IP]! | 0, meta[mb + Meta.DST_PORT]!);
    const e = this.factory.create(svc, packet, this.nowSec);
    if (e < 0) {
      this.drop(vb, this.factory.failure);
      return;
    }
    this.d.guard.takenOver(e);
    this.startClientSeq(e, mb, true);
    proxy.begin(e, mb, this.d.conns.seqDelta[e]!);
    const dest = this.services.destById[this.d.conns.dest[e]!]!;
    const { destCounters, serviceCounters } = this.services.registry;
    stepConn(this.d, e, dest, mb, FlowDirection.INPUT_ONLY, this.nowSec, TCP_SYN); // the real server sees a SYN
    if (this.observer !== null) this.observer.created(e);
    destCounters.addIn(dest.id, meta[mb + Meta.LEN]!);
    serviceCounters.addIn(svc.id, meta[mb + Meta.LEN]!);
    proxy.synToServer(e, vb, false);
    this.forwarders.proxySyn(e, dest, vb);
  }

  /**
   * One packet of a SYN-proxied connection (state stepped, counted). True when its verdict is
   * written here: the real server's SYN-ACK (answered with the handshake ACK), a segment either
   * side sent before that (parked, a SYN retry, or dropped). False: forward it with handlers,
   * translated once both handshakes are done.
   */
  private proxied(hit: number, dest: RuntimeDest, mb: number, vb: number, handlers: PacketHandler[]): boolean {
    const e = hit >> 1;
    const proxy = this.proxy;
    if (proxy.state[e] === ProxyState.TRANSLATING) {
      proxy.translate(e, vb, (hit & 1) !== KeyKind.IN);
      return false;
    }
    if ((hit & 1) !== KeyKind.IN) {
      const answered = proxy.serverAnswer(e, mb, vb, this.d.lanPort);
      if (answered === null) this.drop(vb, DropReason.SYNPROXY_HANDSHAKE);
      else if (answered) this.d.onProxyAnswered(e);
      else proxy.translate(e, vb, true);
      return answered !== false;
    }
    // From the client, before the real server answered: held until it does, a few per connection.
    handlers[this.d.conns.method[e]!]!(e, dest, mb, vb);
    if (proxy.park(e, vb, this.nowMs)) return true;
    if (this.d.verdict[vb + Verdict.ACTION] === Action.FORWARD && (this.d.meta[mb + Meta.TCP_FLAGS]! & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_ACK) {
      proxy.synToServer(e, vb, true);
      this.forwarders.proxySyn(e, dest, vb);
    } else {
      this.drop(vb, DropReason.SYNPROXY_EARLY);
    }
    return true;
  }

  /** ICMP errors follow the connection of the packet they quote; other ICMP is not ours. */
  private icmp(mb: number, vb: number): void {
    const meta = this.d.meta;
    const type = meta[mb + Meta.ICMP]! >>> 8;
    const innerProto = meta[mb + Meta.INNER_PROTO]!;
    if (type !== 3 && type !== 11 && type !== 12) {
      const owned = this.services.owns(meta[mb + Meta.DST_IP]!);
      if (owned && type === ICMP_ECHO_REQUEST && this.d.gate.answers(meta[mb + Meta.DST_IP]!, this.services)) {
        this.w.answer(vb, Action.ICMP_ECHO_REPLY, this.d.lanPort);
        this.replies.echo++;
      } else {
        this.drop(vb, owned ? DropReason.ICMP_OTHER : notOurs(meta[mb + Meta.DST_IP]!));
      }
      return;
    }
    // The quoted packet travelled the other way: look it up with its ends swapped (parse hashed
    // that swapped tuple).
    const hit = innerProto === PROTO_TCP || innerProto === PROTO_UDP
      ? this.d.conns.lookup(meta[mb + Meta.HASH]! | 0, innerProto, meta[mb + Meta.INNER_DST_IP]! | 0,
        meta[mb + Meta.INNER_DST_PORT]!, meta[mb + Meta.INNER_SRC_IP]! | 0, meta[mb + Meta.INNER_SRC_PORT]!)
      : -1;
    if (hit < 0) {
      this.drop(vb, DropReason.ICMP_UNKNOWN);
      return;
    }
    const e = hit >> 1;
    const dest = this.services.destById[this.d.conns.dest[e]!]!;
    const handlers = (hit & 1) === KeyKind.IN ? this.forwarders.icmpInbound : this.forwarders.icmpOutbound;
    handlers[this.d.conns.method[e]!]!(e, dest, mb, vb);
    // A proxied connection's quoted segment is numbered as the far side saw it: the verdict
    // carries the proxy's delta so the core moves it back (FULLNAT's delta came with fnatIn/Out).
    if (innerProto === PROTO_TCP && this.proxy.state[e] === ProxyState.TRANSLATING && this.d.verdict[vb + Verdict.ACTION] === Action.FORWARD) {
      this.proxy.translate(e, vb, (hit & 1) !== KeyKind.IN);
    }
  }

  /** The reused scheduling packet; addresses arrive as int32 (unboxed across the call) and are stored as uint32. */
  private fill(proto: number, src: number, sport: number, dst: number, dport: number): SchedPacket {
    const p = this.packet;
    p.proto = proto;
    p.srcAddr = src >>> 0;
    p.srcPort = sport;
    p.dstAddr = dst >>> 0;
    p.dstPort = dport;
    return p;
  }
}
