// Decides each frame of a batch: answers ARP for owned addresses, finds or schedules the
// connection of packets to a virtual service, updates its state, and hands it to the
// forwarding method chosen when the connection was created. Everything else is a counted drop.

import type { ArpResolver } from '../arp/resolver.js';
import { ConnFlag, type ConnTable, KeyKind } from '../conntable/conn-table.js';
import type { NativeLayout } from '../native/types.js';
import type { Clock, SchedPacket } from '../sched/types.js';
import type { ConnStateModel } from './conn-state-model.js';
import { DropReason, type DropCounters } from './drop-reasons.js';
import { Forwarders } from './forwarders.js';
import type { HoldQueue } from './hold-queue.js';
import { MetaIndex } from './meta-reader.js';
import { ConnMethod, PROTO_TCP, PROTO_UDP, type RuntimeDest, type RuntimeService, type ServiceTable } from './service-table.js';
import { VerdictWriter } from './verdict-writer.js';

const TCP_SYN = 0x02;
const TCP_RST = 0x04;

export interface ClassifierDeps {
  layout: NativeLayout;
  meta: Uint32Array;
  verdict: Uint32Array;
  conns: ConnTable;
  states: ConnStateModel;
  arp: ArpResolver;
  hold: HoldQueue;
  drops: DropCounters;
  clock: Clock;
  /** The port real servers and next hops are reached on. */
  lanPort: number;
  /** The director's own address on that port (TUN outer source); 0 if none. */
  localIp: number;
  /** Clock value (ms) that connection-table second 0 stands for. */
  epochMs: number;
}

export class Classifier {
  private services: ServiceTable;
  private readonly m: MetaIndex;
  private readonly w: VerdictWriter;
  private readonly forwarders: Forwarders;
  private readonly packet: SchedPacket = { proto: 0, srcAddr: 0, srcPort: 0, dstAddr: 0, dstPort: 0 };
  private nowSec = 0;

  constructor(private readonly d: ClassifierDeps, services: ServiceTable) {
    this.services = services;
    this.m = new MetaIndex(d.layout);
    this.w = new VerdictWriter(d.layout, d.verdict);
    this.forwarders = new Forwarders({ ...d, writer: this.w, metaIndex: this.m });
  }

  /** Swaps in a new service table (connections keep their real servers by id). */
  setServices(services: ServiceTable): void {
    this.services = services;
  }

  /** Connection-table time now, in whole seconds since the epoch. */
  seconds(): number {
    return Math.floor((this.d.clock.now() - this.d.epochMs) / 1000);
  }

  handle(_port: number, count: number): void {
    const nowMs = this.d.clock.now();
    this.nowSec = Math.floor((nowMs - this.d.epochMs) / 1000);
    this.forwarders.nowMs = nowMs;
    const meta = this.d.meta;
    const m = this.m;
    for (let i = 0; i < count; i++) {
      const mb = i * m.words;
      const vb = i * this.w.words;
      if (meta[mb + m.ERROR] !== 0) this.drop(vb, DropReason.PARSE_ERROR);
      else if (meta[mb + m.KIND] === m.kindIpv4) this.ipv4(mb, vb);
      else if (meta[mb + m.KIND] === m.kindArp) this.arp(mb, vb);
      else this.drop(vb, DropReason.NOT_IPV4);
    }
  }

  private drop(vb: number, reason: number): void {
    this.w.drop(vb, reason);
    this.d.drops.add(reason as never);
  }

  private arp(mb: number, vb: number): void {
    const meta = this.d.meta;
    const m = this.m;
    const sender = meta[mb + m.SRC_IP]!;
    const target = meta[mb + m.DST_IP]!;
    this.d.arp.learn(sender, meta[mb + m.SRC_MAC_HI]!, meta[mb + m.SRC_MAC_LO]!);
    // Answer who-has for our addresses; a gratuitous ARP (sender == target) gets no answer.
    if (meta[mb + m.ARP_OP] === 1 && sender !== target && this.services.owns(target)) {
      this.d.verdict[vb + this.w.ACTION] = this.w.actionArpReply;
      this.d.verdict[vb + this.w.PORT] = this.d.lanPort;
    } else {
      this.drop(vb, DropReason.ARP_CONSUMED);
    }
  }

  private ipv4(mb: number, vb: number): void {
    const meta = this.d.meta;
    const m = this.m;
    const proto = meta[mb + m.PROTO]!;
    const dst = meta[mb + m.DST_IP]!;
    if (proto !== PROTO_TCP && proto !== PROTO_UDP) {
      this.drop(vb, this.services.owns(dst) ? DropReason.UNSUPPORTED_PROTO : DropReason.NOT_OURS);
      return;
    }
    if (meta[mb + m.FRAG]! & m.fragNonFirst) {
      this.drop(vb, DropReason.FRAGMENT);
      return;
    }
    const src = meta[mb + m.SRC_IP]!;
    const sport = meta[mb + m.SRC_PORT]!;
    const dport = meta[mb + m.DST_PORT]!;
    const hit = this.d.conns.lookup(proto, src, sport, dst, dport);
    if (hit >= 0) {
      const e = hit >> 1;
      if ((hit & 1) === KeyKind.IN) this.forwardIn(e, mb, vb);
      else this.forwardOut(e, mb, vb);
      return;
    }
    const svc = this.services.find(proto, dst, dport);
    if (!svc) {
      this.drop(vb, this.services.owns(dst) ? DropReason.NO_SERVICE : DropReason.NOT_OURS);
      return;
    }
    const e = this.newConn(svc, mb, vb);
    if (e >= 0) this.forwardIn(e, mb, vb);
  }

  private newConn(svc: RuntimeService, mb: number, vb: number): number {
    const meta = this.d.meta;
    const m = this.m;
    const proto = svc.proto;
    // IPVS schedules TCP only on a SYN without RST; anything else has no connection to join.
    if (proto === PROTO_TCP && (meta[mb + m.TCP_FLAGS]! & (TCP_SYN | TCP_RST)) !== TCP_SYN) {
      this.drop(vb, DropReason.NO_CONN);
      return -1;
    }
    const p = this.packet;
    p.proto = proto;
    p.srcAddr = meta[mb + m.SRC_IP]!;
    p.srcPort = meta[mb + m.SRC_PORT]!;
    p.dstAddr = meta[mb + m.DST_IP]!;
    p.dstPort = meta[mb + m.DST_PORT]!;
    const dest = svc.scheduler.schedule(svc.schedState, svc.sched, p, this.d.clock) as RuntimeDest | null;
    if (!dest) {
      this.drop(vb, DropReason.NO_DEST);
      return -1;
    }
    const state = this.d.states.initial(proto);
    const natLike = dest.method === ConnMethod.NAT || dest.method === ConnMethod.FNAT;
    const e = this.d.conns.insert({
      proto, caddr: p.srcAddr, cport: p.srcPort, vaddr: p.dstAddr, vport: p.dstPort,
      daddr: dest.addr, dport: dest.port, laddr: 0, lport: 0, method: dest.method,
      flags: natLike ? ConnFlag.HAS_OUT : 0, service: svc.id, dest: dest.id, state,
      expires: this.nowSec + this.d.states.timeout(proto, state),
    });
    if (e < 0) {
      this.drop(vb, DropReason.TABLE_FULL);
      return -1;
    }
    if (this.d.states.active(proto, state)) dest.activeConns++;
    else dest.inactConns++;
    dest.counters.conns++;
    svc.counters.conns++;
    return e;
  }

  private forwardIn(e: number, mb: number, vb: number): void {
    const conns = this.d.conns;
    const dest = this.services.dests[conns.dest[e]!]!;
    const natLike = conns.flags[e]! & ConnFlag.HAS_OUT;
    this.step(e, dest, mb, natLike ? 0 : 2);
    const len = this.d.meta[mb + this.m.LEN]!;
    dest.counters.inPkts++;
    dest.counters.inBytes += len;
    this.forwarders.inbound[conns.method[e]!]!(e, dest, mb, vb);
  }

  private forwardOut(e: number, mb: number, vb: number): void {
    const conns = this.d.conns;
    const dest = this.services.dests[conns.dest[e]!]!;
    this.step(e, dest, mb, 1);
    dest.counters.outPkts++;
    dest.counters.outBytes += this.d.meta[mb + this.m.LEN]!;
    this.forwarders.outbound[conns.method[e]!]!(e, dest, mb, vb);
  }

  /** Applies one packet to the connection's state, its counters and its expiry. */
  private step(e: number, dest: RuntimeDest, mb: number, direction: 0 | 1 | 2): void {
    const conns = this.d.conns;
    const states = this.d.states;
    const proto = conns.proto[e]!;
    const before = conns.state[e]!;
    const after = states.next(proto, before, direction, this.d.meta[mb + this.m.TCP_FLAGS]!);
    if (after !== before) {
      conns.state[e] = after;
      const wasActive = states.active(proto, before);
      const isActive = states.active(proto, after);
      if (wasActive !== isActive) {
        dest.activeConns += isActive ? 1 : -1;
        dest.inactConns += isActive ? -1 : 1;
      }
    }
    conns.wheel.touch(e, this.nowSec + states.timeout(proto, after));
  }
}
