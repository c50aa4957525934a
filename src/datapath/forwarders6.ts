// The per-method in and out handlers of IPv6 connections, as forwarders.ts for IPv4: each writes
// the verdict of one packet (method, direction, next hop MAC, and the SRC_IP6/DST_IP6 words and
// ports the native rewrite reads). As IPVS answers: a routed packet whose hop limit would expire
// gets ICMPv6 Time Exceeded, one too big for the tunnel Packet Too Big; ICMPv6 errors about a
// connection take its verdict (the core translates their quote) and are never answered.

import { ADDR6_WORDS, Addr6, type ConnTable } from '../conntable/conn-table.js';
import { Action, Direction, Meta, Method, Verdict } from '../native/layout.generated.js';
import { DropReason, type DropCounters, type DropReasonValue } from './drop-reasons.js';
import type { Forwarders, PacketHandler } from './forwarders.js';
import type { RuntimeDest } from './service-table.js';
import type { VerdictWriter } from './verdict-writer.js';

/** ip6ip6 adds one IPv6 header, 6in4 one IPv4 header. */
const IP6IP6_OVERHEAD = 40;
const SIXIN4_OVERHEAD = 20;

export interface Forwarder6Deps {
  meta: Uint32Array;
  conns: ConnTable;
  drops: DropCounters;
  writer: VerdictWriter;
  /** The director's IPv6 address (ip6ip6 outer source), four words; all zero if none. */
  localIp6: Uint32Array;
  /** The director's IPv4 address: the 6in4 outer source toward an IPv4 real server. */
  localIp: number;
  lanPort: number;
  mtu: number;
  /** ICMP errors the director originated (shared with IPv4's counts). */
  replies: { timeExceeded: number; fragNeeded: number };
  /** The IPv4 forwarders: their toNeighbour finishes every verdict (MAC, or the hold queue). */
  v4: Forwarders;
}

export class Forwarders6 {
  readonly inbound: PacketHandler[] = [];
  readonly outbound: PacketHandler[] = [];
  /** ICMPv6 errors about a connection, by the side they came from (never answered). */
  readonly icmpInbound: PacketHandler[] = [];
  readonly icmpOutbound: PacketHandler[] = [];

  constructor(private readonly d: Forwarder6Deps) {
    const dr: PacketHandler = (_e, dest, _mb, vb) => d.v4.toNeighbour(vb, Method.DR, Direction.IN, dest.nhop);
    this.inbound[Method.DR] = dr;
    this.inbound[Method.TUN] = (_e, dest, mb, vb) => { if (!this.tooBigForTunnel(dest, mb, vb, true)) this.tunIn(dest, vb); };
    this.inbound[Method.NAT] = (e, dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb, -1)) this.natIn(e, dest, vb); };
    this.inbound[Method.FNAT] = (e, dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb, -1)) this.fnatIn(e, dest, vb); };
    const never: PacketHandler = (_e, _dest, _mb, vb) => this.drop(vb, DropReason.NOT_OURS);
    this.outbound[Method.DR] = never;
    this.outbound[Method.TUN] = never;
    this.outbound[Method.NAT] = (e, _dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb, e)) this.natOut(e, vb); };
    this.outbound[Method.FNAT] = (e, _dest, mb, vb) => { if (!this.hopLimitExpired(mb, vb, e)) this.fnatOut(e, vb); };
    // Errors: never answered (no error about an error); a hop limit of 1 is a counted drop.
    this.icmpInbound[Method.DR] = dr;
    this.icmpInbound[Method.TUN] = (_e, dest, mb, vb) => { if (!this.tooBigForTunnel(dest, mb, vb, false)) this.tunIn(dest, vb); };
    this.icmpInbound[Method.NAT] = (e, dest, mb, vb) => { if (!this.lastHop(mb, vb)) this.natIn(e, dest, vb); };
    this.icmpInbound[Method.FNAT] = (e, dest, mb, vb) => { if (!this.lastHop(mb, vb)) this.fnatIn(e, dest, vb); };
    this.icmpOutbound[Method.DR] = never;
    this.icmpOutbound[Method.TUN] = never;
    this.icmpOutbound[Method.NAT] = (e, _dest, mb, vb) => { if (!this.lastHop(mb, vb)) this.natOut(e, vb); };
    this.icmpOutbound[Method.FNAT] = (e, _dest, mb, vb) => { if (!this.lastHop(mb, vb)) this.fnatOut(e, vb); };
  }

  /**
   * TUN: ip6ip6 from the director's IPv6 address to an IPv6 real server, or 6in4 from its IPv4
   * address to a real server given as an IPv4 address (the core picks by which words are set).
   */
  private tunIn(dest: RuntimeDest, vb: number): void {
    const v = this.d.writer.verdict;
    if (dest.addr6 !== null) {
      v.set(this.d.localIp6, vb + Verdict.SRC_IP6_0);
      v.set(dest.addr6, vb + Verdict.DST_IP6_0);
    } else {
      v[vb + Verdict.TUN_SRC] = this.d.localIp;
      v[vb + Verdict.TUN_DST] = dest.addr;
    }
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
    this.d.v4.clientSeq(e, vb);
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
    this.d.v4.clientSeq(e, vb);
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
   * A routed packet whose hop limit would reach 0 here gets Time Exceeded, as IPVS's
   * decrement_ttl sends it, from the connection's VIP: the address a client's packet was sent to
   * (the core's default source), and named explicitly for a real server's packet (e >= 0), whose
   * destination is the client.
   */
  private hopLimitExpired(mb: number, vb: number, e: number): boolean {
    if (this.d.meta[mb + Meta.TTL]! > 1) return false;
    const w = this.d.writer;
    w.answer(vb, Action.ICMP_TIME_EXCEEDED, this.d.lanPort);
    if (e >= 0) this.setAddr(vb + Verdict.SRC_IP6_0, e, Addr6.V);
    this.d.replies.timeExceeded++;
    return true;
  }

  /** An ICMPv6 error whose hop limit would reach 0 here: dropped (`hop_limit`), never answered. */
  private lastHop(mb: number, vb: number): boolean {
    if (this.d.meta[mb + Meta.TTL]! > 1) return false;
    this.drop(vb, DropReason.HOP_LIMIT);
    return true;
  }

  /**
   * A packet the tunnel cannot carry. IPv6 has no DF: any packet over the MTU with the outer
   * header gets Packet Too Big carrying the MTU left (the core says 1280 for less), a GSO
   * super-frame judged by its segment size (the core cuts TCPv6 ones into segments that fit).
   * An ICMPv6 error that would not fit is dropped (`too_big`), never answered.
   */
  private tooBigForTunnel(dest: RuntimeDest, mb: number, vb: number, answer: boolean): boolean {
    const meta = this.d.meta;
    const gso = meta[mb + Meta.GSO_SIZE]!;
    const overhead = dest.addr6 !== null ? IP6IP6_OVERHEAD : SIXIN4_OVERHEAD;
    const ipLen = gso ? meta[mb + Meta.PAYLOAD_OFF]! - meta[mb + Meta.L3_OFF]! + gso : meta[mb + Meta.IP_LEN]!;
    if (ipLen + overhead <= this.d.mtu) return false;
    if (!answer) {
      this.drop(vb, DropReason.TOO_BIG);
      return true;
    }
    const w = this.d.writer;
    w.answer(vb, Action.ICMP_FRAG_NEEDED, this.d.lanPort);
    w.verdict[vb + Verdict.MTU] = this.d.mtu - overhead;
    this.d.replies.fragNeeded++;
    return true;
  }

  private drop(vb: number, reason: DropReasonValue): void {
    this.d.writer.drop(vb, reason);
    this.d.drops.add(reason);
  }
}
