// The per-method in and out handlers of IPv6 connections, as forwarders.ts for IPv4: each writes
// the verdict of one packet (method, direction, next hop MAC, and the SRC_IP6/DST_IP6 words and
// ports the native rewrite reads). What IPv4 answers with ICMP (a hop limit that would expire, a
// packet too big for the tunnel) is a counted drop here until ICMPv6 answers exist; the two
// seams are hopLimitExpired and tooBigForTunnel.

import { ADDR6_WORDS, Addr6, type ConnTable } from '../conntable/conn-table.js';
import { Direction, Meta, Method, Verdict } from '../native/layout.generated.js';
import { DropReason, type DropCounters, type DropReasonValue } from './drop-reasons.js';
import type { Forwarders, PacketHandler } from './forwarders.js';
import type { RuntimeDest } from './service-table.js';
import type { VerdictWriter } from './verdict-writer.js';

/** ip6ip6 adds one IPv6 header. */
const IP6IP6_OVERHEAD = 40;

export interface Forwarder6Deps {
  meta: Uint32Array;
  conns: ConnTable;
  drops: DropCounters;
  writer: VerdictWriter;
  /** The director's IPv6 address (TUN outer source), four words; all zero if none. */
  localIp6: Uint32Array;
  mtu: number;
  /** The IPv4 forwarders: their toNeighbour finishes every verdict (MAC, or the hold queue). */
  v4: Forwarders;
}

export class Forwarders6 {
  readonly inbound: PacketHandler[] = [];
  readonly outbound: PacketHandler[] = [];

  constructor(private readonly d: Forwarder6Deps) {
    this.inbound[Method.DR] = (_e, dest, _mb, vb) => d.v4.toNeighbour(vb, Method.DR, Direction.IN, dest.nhop);
    this.inbound[Method.TUN] = (_e, dest, mb, vb) => this.tunIn(dest, mb, vb);
    this.inbound[Method.NAT] = (e, dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb)) this.natIn(e, dest, vb); };
    this.inbound[Method.FNAT] = (e, dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb)) this.fnatIn(e, dest, vb); };
    const never: PacketHandler = (_e, _dest, _mb, vb) => this.drop(vb, DropReason.NOT_OURS);
    this.outbound[Method.DR] = never;
    this.outbound[Method.TUN] = never;
    this.outbound[Method.NAT] = (e, _dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb)) this.natOut(e, vb); };
    this.outbound[Method.FNAT] = (e, _dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb)) this.fnatOut(e, vb); };
  }

  /** TUN: ip6ip6 from the director's address to the real server. */
  private tunIn(dest: RuntimeDest, mb: number, vb: number): void {
    if (this.tooBigForTunnel(mb, vb)) return;
    const v = this.d.writer.verdict;
    v.set(this.d.localIp6, vb + Verdict.SRC_IP6_0);
    v.set(dest.addr6!, vb + Verdict.DST_IP6_0);
    v[vb + Verdict.MTU] = this.d.mtu;
    this.d.v4.toNeighbour(vb, Method.TUN, Direction.IN, dest.nhop);
  }

  /** NAT in: the real server (and the connection's port) become the destination. */
  private natIn(e: number, dest: RuntimeDest, vb: number): void {
    const v = this.d.writer.verdict;
    v.set(dest.addr6!, vb + Verdict.DST_IP6_0);
    v[vb + Verdict.DST_PORT] = this.d.conns.dport[e]!;
    this.d.v4.toNeighbour(vb, Method.NAT, Direction.IN, dest.nhop);
  }

  /** NAT out: the reply leaves from the VIP:vport. */
  private natOut(e: number, vb: number): void {
    const c = this.d.conns;
    this.setAddr(vb + Verdict.SRC_IP6_0, e, Addr6.V);
    this.d.writer.verdict[vb + Verdict.SRC_PORT] = c.vport[e]!;
    this.d.v4.toNeighbour(vb, Method.NAT, Direction.OUT, c.nhop[e]!);
  }

  /** FULLNAT in: from the local address and port, to the real server. */
  private fnatIn(e: number, dest: RuntimeDest, vb: number): void {
    const c = this.d.conns;
    const v = this.d.writer.verdict;
    this.setAddr(vb + Verdict.SRC_IP6_0, e, Addr6.L);
    v[vb + Verdict.SRC_PORT] = c.lport[e]!;
    v.set(dest.addr6!, vb + Verdict.DST_IP6_0);
    v[vb + Verdict.DST_PORT] = c.dport[e]!;
    this.d.v4.toNeighbour(vb, Method.FNAT, Direction.IN, dest.nhop);
  }

  /** FULLNAT out: VIP:vport to the client. */
  private fnatOut(e: number, vb: number): void {
    const c = this.d.conns;
    const v = this.d.writer.verdict;
    this.setAddr(vb + Verdict.SRC_IP6_0, e, Addr6.V);
    v[vb + Verdict.SRC_PORT] = c.vport[e]!;
    this.setAddr(vb + Verdict.DST_IP6_0, e, Addr6.C);
    v[vb + Verdict.DST_PORT] = c.cport[e]!;
    this.d.v4.toNeighbour(vb, Method.FNAT, Direction.OUT, c.nhop[e]!);
  }

  /** Copies address `which` of entry e into the verdict at word at (no subarray: no allocation). */
  private setAddr(at: number, e: number, which: number): void {
    const a = this.d.conns.addr6;
    const v = this.d.writer.verdict;
    const b = e * ADDR6_WORDS + which;
    v[at] = a[b]!;
    v[at + 1] = a[b + 1]!;
    v[at + 2] = a[b + 2]!;
    v[at + 3] = a[b + 3]!;
  }

  /**
   * A routed packet whose hop limit would reach 0 here. Seam: ICMPv6 time exceeded (another
   * branch) answers it instead of this counted drop.
   */
  private hopLimitExpired(mb: number, vb: number): boolean {
    if (this.d.meta[mb + Meta.TTL]! > 1) return false;
    this.drop(vb, DropReason.HOP_LIMIT);
    return true;
  }

  /**
   * A packet the ip6ip6 tunnel cannot carry: over the MTU with the outer header, or a GSO
   * super-frame (not segmented for TUN yet). Seam: ICMPv6 Packet Too Big answers it instead.
   */
  private tooBigForTunnel(mb: number, vb: number): boolean {
    const meta = this.d.meta;
    if (meta[mb + Meta.GSO_SIZE] === 0 && meta[mb + Meta.IP_LEN]! + IP6IP6_OVERHEAD <= this.d.mtu) return false;
    this.drop(vb, DropReason.TOO_BIG);
    return true;
  }

  private drop(vb: number, reason: DropReasonValue): void {
    this.d.writer.drop(vb, reason);
    this.d.drops.add(reason);
  }
}
