// The per-method in and out handlers: each writes the verdict for one packet of a connection
// whose method was fixed when it was created (the verdict carries that method and the packet's
// direction), so no packet switches over modes. A packet whose next hop has no MAC yet is
// parked in the hold queue with the verdict it will get; one the director routes (NAT, FULLNAT)
// with TTL 1 gets time-exceeded, one too big for the tunnel with DF set gets
// fragmentation-needed, as IPVS answers.

import type { ArpResolver } from '../arp/resolver.js';
import { ConnFlag, type ConnTable } from '../conntable/conn-table.js';
import {
  Action, type ActionValue, Direction, type DirectionValue, FragBits, Meta, Method, type MethodValue, SeqMode, Verdict,
} from '../native/layout.generated.js';
import { DropReason, type DropCounters } from './drop-reasons.js';
import type { HoldQueue } from './hold-queue.js';
import type { RuntimeDest } from './service-table.js';
import type { VerdictWriter } from './verdict-writer.js';

export type PacketHandler = (entry: number, dest: RuntimeDest, mb: number, vb: number) => void;

/** IPIP adds one IPv4 header. */
const IPIP_OVERHEAD = 20;

export interface ForwarderDeps {
  meta: Uint32Array;
  conns: ConnTable;
  arp: ArpResolver;
  hold: HoldQueue;
  drops: DropCounters;
  writer: VerdictWriter;
  lanPort: number;
  localIp: number;
  /** IP MTU toward real servers and clients. */
  mtu: number;
  /** ICMP errors the director originated. */
  replies: { timeExceeded: number; fragNeeded: number; echo: number };
}

export class Forwarders {
  /** Handlers for client-side packets, indexed by Method. */
  readonly inbound: PacketHandler[] = [];
  /** Handlers for real-server-side packets (NAT, FULLNAT), indexed by Method. */
  readonly outbound: PacketHandler[] = [];
  /**
   * ICMP errors about a connection, by the side they came from, indexed by Method. They get the
   * verdict of that side's packets (the native core also rewrites the packet they quote), but
   * never a time-exceeded answer: no ICMP error is sent about an ICMP error.
   */
  readonly icmpInbound: PacketHandler[] = [];
  readonly icmpOutbound: PacketHandler[] = [];
  /** Set by the classifier once per batch. */
  nowMs = 0;

  constructor(private readonly d: ForwarderDeps) {
    const dr: PacketHandler = (e, dest, mb, vb) => this.drIn(e, dest, mb, vb);
    const tun: PacketHandler = (e, dest, mb, vb) => this.tunIn(e, dest, mb, vb);
    this.inbound[Method.DR] = dr;
    this.inbound[Method.TUN] = tun;
    this.inbound[Method.NAT] = (e, dest, mb, vb) => { if (!this.ttlExpired(mb, vb)) this.natIn(e, dest, vb); };
    this.inbound[Method.FNAT] = (e, dest, mb, vb) => { if (!this.ttlExpired(mb, vb)) this.fnatIn(e, dest, vb); };
    // DR and TUN replies bypass the director: such connections have no out key.
    const never: PacketHandler = (_e, _dest, _mb, vb) => this.drop(vb, DropReason.NOT_OURS);
    this.outbound[Method.DR] = never;
    this.outbound[Method.TUN] = never;
    this.outbound[Method.NAT] = (e, _dest, mb, vb) => { if (!this.ttlExpired(mb, vb)) this.natOut(e, vb); };
    this.outbound[Method.FNAT] = (e, _dest, mb, vb) => { if (!this.ttlExpired(mb, vb)) this.fnatOut(e, vb); };
    this.icmpInbound[Method.DR] = dr;
    this.icmpInbound[Method.TUN] = tun;
    this.icmpInbound[Method.NAT] = (e, dest, _mb, vb) => this.natIn(e, dest, vb);
    this.icmpInbound[Method.FNAT] = (e, dest, _mb, vb) => this.fnatIn(e, dest, vb);
    this.icmpOutbound[Method.DR] = never;
    this.icmpOutbound[Method.TUN] = never;
    this.icmpOutbound[Method.NAT] = (e, _dest, _mb, vb) => this.natOut(e, vb);
    this.icmpOutbound[Method.FNAT] = (e, _dest, _mb, vb) => this.fnatOut(e, vb);
  }

  /** DR: only the destination MAC changes; the real server holds the VIP itself. */
  private drIn(_e: number, dest: RuntimeDest, _mb: number, vb: number): void {
    this.toNeighbour(vb, Method.DR, Direction.IN, dest.nhop);
  }

  /** TUN: IPIP from the director's address to the real server. */
  private tunIn(_e: number, dest: RuntimeDest, mb: number, vb: number): void {
    if (this.tooBigForTunnel(mb, vb)) return;
    const w = this.d.writer;
    w.verdict[vb + Verdict.TUN_SRC] = this.d.localIp;
    w.verdict[vb + Verdict.TUN_DST] = dest.addr;
    w.verdict[vb + Verdict.MTU] = this.d.mtu;
    this.toNeighbour(vb, Method.TUN, Direction.IN, dest.nhop);
  }

  /** NAT in: the real server becomes the destination (its port as the connection has it: a port-0 server keeps the packet's). */
  private natIn(e: number, dest: RuntimeDest, vb: number): void {
    this.setDst(vb, dest.addr | 0, this.d.conns.dport[e]!);
    this.toNeighbour(vb, Method.NAT, Direction.IN, dest.nhop);
  }

  /** NAT out: the reply leaves with the VIP:vport as its source. */
  private natOut(e: number, vb: number): void {
    const c = this.d.conns;
    this.setSrc(vb, c.vaddr[e]! | 0, c.vport[e]!);
    this.toNeighbour(vb, Method.NAT, Direction.OUT, c.nhop[e]!);
  }

  /** FULLNAT in: from our local address and port, to the real server. */
  private fnatIn(e: number, dest: RuntimeDest, vb: number): void {
    const c = this.d.conns;
    this.setSrc(vb, c.laddr[e]! | 0, c.lport[e]!);
    this.setDst(vb, dest.addr | 0, c.dport[e]!);
    this.clientSeq(e, vb);
    this.toNeighbour(vb, Method.FNAT, Direction.IN, dest.nhop);
  }

  /** FULLNAT out: exactly reversed, VIP:vport to the client. */
  private fnatOut(e: number, vb: number): void {
    const c = this.d.conns;
    this.setSrc(vb, c.vaddr[e]! | 0, c.vport[e]!);
    this.setDst(vb, c.caddr[e]! | 0, c.cport[e]!);
    this.clientSeq(e, vb);
    this.toNeighbour(vb, Method.FNAT, Direction.OUT, c.nhop[e]!);
  }

  /**
   * A FULLNAT TCP connection whose client side is renumbered toward the real server
   * (ConnFlag.CLIENT_SEQ): the verdict translates by its delta. Written before the verdict may
   * be parked, so a held segment leaves translated too.
   */
  clientSeq(e: number, vb: number): void {
    const c = this.d.conns;
    if ((c.flags[e]! & ConnFlag.CLIENT_SEQ) === 0) return;
    const v = this.d.writer.verdict;
    v[vb + Verdict.SEQ_MODE] = SeqMode.TRANSLATE;
    v[vb + Verdict.CLIENT_DELTA] = c.seqDelta[e]!;
  }

  /**
   * The SYN proxy's SYN toward the real server of NAT or FULLNAT connection e (its ISN and
   * options words written already): from the client (NAT) or the connection's local address
   * and port (FULLNAT), to the real server.
   */
  proxySyn(e: number, dest: RuntimeDest, vb: number): void {
    const c = this.d.conns;
    const fnat = c.method[e] === Method.FNAT;
    this.setSrc(vb, (fnat ? c.laddr[e]! : c.caddr[e]!) | 0, fnat ? c.lport[e]! : c.cport[e]!);
    this.setDst(vb, dest.addr | 0, dest.port);
    this.toNeighbour(vb, c.method[e]! as MethodValue, Direction.IN, dest.nhop, Action.SYNPROXY_SYN);
  }

  /** addr as int32 (`x | 0`): unboxed across the call; the Uint32Array store gives back the uint32. */
  private setSrc(vb: number, addr: number, port: number): void {
    const w = this.d.writer;
    w.verdict[vb + Verdict.SRC_IP] = addr;
    w.verdict[vb + Verdict.SRC_PORT] = port;
  }

  private setDst(vb: number, addr: number, port: number): void {
    const w = this.d.writer;
    w.verdict[vb + Verdict.DST_IP] = addr;
    w.verdict[vb + Verdict.DST_PORT] = port;
  }

  /** Routed methods answer a packet whose TTL would expire here, as a router does. */
  private ttlExpired(mb: number, vb: number): boolean {
    if (this.d.meta[mb + Meta.TTL]! > 1) return false;
    const w = this.d.writer;
    w.answer(vb, Action.ICMP_TIME_EXCEEDED, this.d.lanPort);
    this.d.replies.timeExceeded++;
    return true;
  }

  /**
   * IPVS answers a DF packet that would not fit the tunnel with fragmentation-needed carrying
   * the MTU left after encapsulation. A GSO super-frame is judged by its segment size.
   */
  private tooBigForTunnel(mb: number, vb: number): boolean {
    const meta = this.d.meta;
    if (!(meta[mb + Meta.FRAG]! & FragBits.DF)) return false;
    const gso = meta[mb + Meta.GSO_SIZE]!;
    const ipLen = gso ? meta[mb + Meta.PAYLOAD_OFF]! - meta[mb + Meta.L3_OFF]! + gso : meta[mb + Meta.IP_LEN]!;
    if (ipLen + IPIP_OVERHEAD <= this.d.mtu) return false;
    const w = this.d.writer;
    w.answer(vb, Action.ICMP_FRAG_NEEDED, this.d.lanPort);
    w.verdict[vb + Verdict.MTU] = this.d.mtu - IPIP_OVERHEAD;
    this.d.replies.fragNeeded++;
    return true;
  }

  /**
   * Finishes a FORWARD verdict toward neighbour nhop: with its MAC when known, else parked
   * until it resolves (the native side copies the frame into the hold slot).
   */
  toNeighbour(vb: number, method: MethodValue, direction: DirectionValue, nhop: number, action: ActionValue = Action.FORWARD): void {
    const arp = this.d.arp;
    const w = this.d.writer;
    w.forward(vb, method, direction, this.d.lanPort, arp.macHi[nhop]!, arp.macLo[nhop]!);
    w.verdict[vb + Verdict.ACTION] = action;
    if (arp.ready[nhop] === 1) return;
    if (this.d.hold.park(nhop, this.nowMs, w.verdict, vb) < 0) this.drop(vb, DropReason.HOLD_FULL);
  }

  private drop(vb: number, reason: (typeof DropReason)[keyof typeof DropReason]): void {
    this.d.writer.drop(vb, reason);
    this.d.drops.add(reason);
  }
}
