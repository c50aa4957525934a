// The per-method in and out handlers: each writes the verdict for one packet of a connection
// whose method was fixed when it was created, so no packet switches over modes. A packet whose
// next hop has no MAC yet is parked in the hold queue with the verdict it will get; one the
// director routes (NAT, FULLNAT) with TTL 1 gets time-exceeded, one too big for the tunnel
// with DF set gets fragmentation-needed, as IPVS answers.

import type { ArpResolver } from '../arp/resolver.js';
import type { ConnTable } from '../conntable/conn-table.js';
import type { NativeLayout } from '../native/types.js';
import { DropReason, type DropCounters } from './drop-reasons.js';
import type { HoldQueue } from './hold-queue.js';
import type { MetaIndex } from './meta-reader.js';
import { ConnMethod, type RuntimeDest } from './service-table.js';
import { req, type VerdictWriter } from './verdict-writer.js';

export type PacketHandler = (entry: number, dest: RuntimeDest, mb: number, vb: number) => void;

/** IPIP adds one IPv4 header. */
const IPIP_OVERHEAD = 20;

export interface ForwarderDeps {
  layout: NativeLayout;
  meta: Uint32Array;
  conns: ConnTable;
  arp: ArpResolver;
  hold: HoldQueue;
  drops: DropCounters;
  writer: VerdictWriter;
  metaIndex: MetaIndex;
  lanPort: number;
  localIp: number;
  /** IP MTU toward real servers and clients. */
  mtu: number;
  /** ICMP errors the director originated. */
  replies: { timeExceeded: number; fragNeeded: number; echo: number };
}

export class Forwarders {
  /** Handlers for client-side packets, indexed by ConnMethod. */
  readonly inbound: PacketHandler[] = [];
  /** Handlers for real-server-side packets (NAT, FULLNAT), indexed by ConnMethod. */
  readonly outbound: PacketHandler[] = [];
  /** Set by the classifier once per batch. */
  nowMs = 0;
  private readonly method: Record<'DR' | 'TUN' | 'NAT_IN' | 'NAT_OUT' | 'FNAT_IN' | 'FNAT_OUT' | 'ICMP_NAT_IN' | 'ICMP_NAT_OUT', number>;
  private readonly actionTimeExceeded: number;
  private readonly actionFragNeeded: number;

  constructor(private readonly d: ForwarderDeps) {
    const m = d.layout.method;
    this.method = {
      DR: req(m, 'DR'), TUN: req(m, 'TUN'), NAT_IN: req(m, 'NAT_IN'), NAT_OUT: req(m, 'NAT_OUT'),
      FNAT_IN: req(m, 'FNAT_IN'), FNAT_OUT: req(m, 'FNAT_OUT'), ICMP_NAT_IN: req(m, 'ICMP_NAT_IN'),
      ICMP_NAT_OUT: req(m, 'ICMP_NAT_OUT'),
    };
    this.actionTimeExceeded = req(d.layout.action, 'ICMP_TIME_EXCEEDED');
    this.actionFragNeeded = req(d.layout.action, 'ICMP_FRAG_NEEDED');
    this.inbound[ConnMethod.DR] = (e, dest, mb, vb) => this.drIn(e, dest, mb, vb);
    this.inbound[ConnMethod.TUN] = (e, dest, mb, vb) => this.tunIn(e, dest, mb, vb);
    this.inbound[ConnMethod.NAT] = (e, dest, mb, vb) => this.natIn(e, dest, mb, vb);
    this.inbound[ConnMethod.FNAT] = (e, dest, mb, vb) => this.fnatIn(e, dest, mb, vb);
    // DR and TUN replies bypass the director: such connections have no out key.
    const never: PacketHandler = (_e, _dest, _mb, vb) => this.drop(vb, DropReason.NOT_OURS);
    this.outbound[ConnMethod.DR] = never;
    this.outbound[ConnMethod.TUN] = never;
    this.outbound[ConnMethod.NAT] = (e, dest, mb, vb) => this.natOut(e, dest, mb, vb);
    this.outbound[ConnMethod.FNAT] = (e, dest, mb, vb) => this.fnatOut(e, dest, mb, vb);
  }

  /** DR: only the destination MAC changes; the real server holds the VIP itself. */
  private drIn(_e: number, dest: RuntimeDest, _mb: number, vb: number): void {
    this.toNeighbour(vb, this.method.DR, dest.nhop);
  }

  /** TUN: IPIP from the director's address to the real server. */
  private tunIn(_e: number, dest: RuntimeDest, mb: number, vb: number): void {
    if (this.tooBigForTunnel(mb, vb)) return;
    const w = this.d.writer;
    w.verdict[vb + w.TUN_SRC] = this.d.localIp;
    w.verdict[vb + w.TUN_DST] = dest.addr;
    w.verdict[vb + w.MTU] = this.d.mtu;
    this.toNeighbour(vb, this.method.TUN, dest.nhop);
  }

  /** NAT in: the real server becomes the destination. */
  private natIn(_e: number, dest: RuntimeDest, mb: number, vb: number): void {
    if (this.ttlExpired(mb, vb)) return;
    this.setDst(vb, dest.addr, dest.port);
    this.toNeighbour(vb, this.method.NAT_IN, dest.nhop);
  }

  /** NAT out: the reply leaves with the VIP:vport as its source. */
  private natOut(e: number, _dest: RuntimeDest, mb: number, vb: number): void {
    if (this.ttlExpired(mb, vb)) return;
    const c = this.d.conns;
    this.setSrc(vb, c.vaddr[e]!, c.vport[e]!);
    this.toNeighbour(vb, this.method.NAT_OUT, c.nhop[e]!);
  }

  /** FULLNAT in: from our local address and port, to the real server. */
  private fnatIn(e: number, dest: RuntimeDest, mb: number, vb: number): void {
    if (this.ttlExpired(mb, vb)) return;
    const c = this.d.conns;
    this.setSrc(vb, c.laddr[e]!, c.lport[e]!);
    this.setDst(vb, dest.addr, dest.port);
    this.toNeighbour(vb, this.method.FNAT_IN, dest.nhop);
  }

  /** FULLNAT out: exactly reversed, VIP:vport to the client. */
  private fnatOut(e: number, _dest: RuntimeDest, mb: number, vb: number): void {
    if (this.ttlExpired(mb, vb)) return;
    const c = this.d.conns;
    this.setSrc(vb, c.vaddr[e]!, c.vport[e]!);
    this.setDst(vb, c.caddr[e]!, c.cport[e]!);
    this.toNeighbour(vb, this.method.FNAT_OUT, c.nhop[e]!);
  }

  /**
   * An ICMP error from the client side about a packet we sent toward the client (its quoted
   * packet matched the connection's in key). DR/TUN: forwarded like the connection's packets;
   * NAT/FULLNAT: to the real server, quoted packet mirrored (ICMP_NAT_IN).
   */
  icmpIn(e: number, dest: RuntimeDest, mb: number, vb: number): void {
    const c = this.d.conns;
    const method = c.method[e]!;
    if (method === ConnMethod.DR || method === ConnMethod.TUN) {
      this.inbound[method]!(e, dest, mb, vb);
      return;
    }
    const fnat = method === ConnMethod.FNAT;
    this.setSrc(vb, fnat ? c.laddr[e]! : 0, fnat ? c.lport[e]! : 0);
    this.setDst(vb, dest.addr, dest.port);
    this.toNeighbour(vb, this.method.ICMP_NAT_IN, dest.nhop);
  }

  /**
   * An ICMP error from the real server side about a packet it got from us (its quoted packet
   * matched the out key): toward the client with the VIP as source (ICMP_NAT_OUT).
   */
  icmpOut(e: number, _dest: RuntimeDest, _mb: number, vb: number): void {
    const c = this.d.conns;
    const fnat = c.method[e] === ConnMethod.FNAT;
    this.setSrc(vb, c.vaddr[e]!, c.vport[e]!);
    this.setDst(vb, fnat ? c.caddr[e]! : 0, fnat ? c.cport[e]! : 0);
    this.toNeighbour(vb, this.method.ICMP_NAT_OUT, c.nhop[e]!);
  }

  private setSrc(vb: number, addr: number, port: number): void {
    const w = this.d.writer;
    w.verdict[vb + w.SRC_IP] = addr;
    w.verdict[vb + w.SRC_PORT] = port;
  }

  private setDst(vb: number, addr: number, port: number): void {
    const w = this.d.writer;
    w.verdict[vb + w.DST_IP] = addr;
    w.verdict[vb + w.DST_PORT] = port;
  }

  /** Routed methods answer a packet whose TTL would expire here, as a router does. */
  private ttlExpired(mb: number, vb: number): boolean {
    if (this.d.meta[mb + this.d.metaIndex.TTL]! > 1) return false;
    const w = this.d.writer;
    w.verdict[vb + w.ACTION] = this.actionTimeExceeded;
    w.verdict[vb + w.PORT] = this.d.lanPort;
    this.d.replies.timeExceeded++;
    return true;
  }

  /**
   * IPVS answers a DF packet that would not fit the tunnel with fragmentation-needed carrying
   * the MTU left after encapsulation. A GSO super-frame is judged by its segment size.
   */
  private tooBigForTunnel(mb: number, vb: number): boolean {
    const meta = this.d.meta;
    const m = this.d.metaIndex;
    if (!(meta[mb + m.FRAG]! & m.fragDf)) return false;
    const gso = meta[mb + m.GSO_SIZE]!;
    const ipLen = gso ? meta[mb + m.PAYLOAD_OFF]! - meta[mb + m.L3_OFF]! + gso : meta[mb + m.IP_LEN]!;
    if (ipLen + IPIP_OVERHEAD <= this.d.mtu) return false;
    const w = this.d.writer;
    w.verdict[vb + w.ACTION] = this.actionFragNeeded;
    w.verdict[vb + w.PORT] = this.d.lanPort;
    w.verdict[vb + w.MTU] = this.d.mtu - IPIP_OVERHEAD;
    this.d.replies.fragNeeded++;
    return true;
  }

  /**
   * Finishes a FORWARD verdict toward neighbour nhop: with its MAC when known, else parked
   * until it resolves (the native side copies the frame into the hold slot).
   */
  private toNeighbour(vb: number, method: number, nhop: number): void {
    const arp = this.d.arp;
    const w = this.d.writer;
    w.forward(vb, method, this.d.lanPort, arp.macHi[nhop]!, arp.macLo[nhop]!);
    if (arp.ready[nhop] === 1) return;
    const slot = this.d.hold.hold(nhop, this.nowMs);
    if (slot < 0) {
      this.drop(vb, DropReason.UNRESOLVED);
      return;
    }
    const pending = this.d.hold.pending;
    const base = slot * w.words;
    for (let k = 0; k < w.words; k++) pending[base + k] = w.verdict[vb + k]!;
    w.verdict[vb + w.ACTION] = w.actionHold;
    w.verdict[vb + w.SLOT] = slot;
  }

  private drop(vb: number, reason: (typeof DropReason)[keyof typeof DropReason]): void {
    this.d.writer.drop(vb, reason);
    this.d.drops.add(reason);
  }
}
