// The IPv6 branch of the batch classifier: TCP and UDP to an IPv6 virtual service find or create
// their connection (replies from NAT and FULLNAT real servers by the out key) and go their
// method's IPv6 way, later fragments after their first; ICMPv6 errors follow the connection they
// quote; neighbour discovery goes to src/nd and echo requests to an owned address are answered;
// other ICMPv6 to an owned address is a counted drop.

import { ADDR6_WORDS, Addr6, ConnFlag, KeyKind } from '../conntable/conn-table.js';
import { FragBits, Meta } from '../native/layout.generated.js';
import type { SchedPacket } from '../sched/types.js';
import type { ClassifierDeps, ConnObserver } from './classifier.js';
import type { ConnFactory } from './conn-factory.js';
import { DropReason, type DropReasonValue } from './drop-reasons.js';
import type { Forwarders6 } from './forwarders6.js';
import type { NdHandler } from '../nd/nd-handler.js';
import { PROTO_TCP, PROTO_UDP, type ServiceTable } from './service-table.js';

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const PROTO_ICMPV6 = 58;
/** Router solicitation .. redirect: Neighbour Discovery (RFC 4861). */
const ND_FIRST = 133;
const ND_LAST = 137;
const ICMP6_ECHO_REQUEST = 128;

/** What the IPv4 classifier shares with its IPv6 branch (the Classifier itself). */
export interface Classifier6Host {
  readonly services: ServiceTable;
  readonly factory: ConnFactory;
  readonly forwarders6: Forwarders6;
  readonly observer: ConnObserver | null;
  readonly nowSec: number;
  readonly nowMs: number;
  readonly opensMask: number;
  readonly opensWant: number;
  /** Neighbour Discovery (src/nd): answers solicitations for owned addresses, learns neighbours. */
  readonly nd: NdHandler;
  drop(vb: number, reason: DropReasonValue): void;
  /** Answers an echo request to an owned address (natively: ICMP_ECHO_REPLY) and counts it. */
  answerEcho(vb: number): void;
  destGone(e: number): boolean;
  /** A FULLNAT TCP connection a SYN opened: numbered toward the real server from the ISN clock. */
  startClientSeq(e: number, mb: number): void;
  forward(hit: number, mb: number, vb: number, stepState: boolean, inbound: Forwarders6['inbound'], outbound: Forwarders6['outbound']): void;
}

export class Classifier6 {
  /** The reused scheduling packet (family 6). */
  private readonly packet: SchedPacket = {
    proto: 0, family: 6, srcAddr: 0, srcPort: 0, dstAddr: 0, dstPort: 0, srcAddr6: new Uint32Array(4), dstAddr6: new Uint32Array(4),
  };

  constructor(private readonly d: ClassifierDeps, private readonly host: Classifier6Host) {}

  /** One well-formed IPv6 frame unicast to us (or multicast). */
  handle(mb: number, vb: number): void {
    const proto = this.d.meta[mb + Meta.PROTO]!;
    if (proto === PROTO_TCP || proto === PROTO_UDP) this.transport(proto, mb, vb);
    else if (proto === PROTO_ICMPV6) this.icmp6(mb, vb);
    else this.host.drop(vb, this.owned(mb) ? DropReason.UNSUPPORTED_PROTO : this.notOurs(mb));
  }

  private icmp6(mb: number, vb: number): void {
    const type = this.d.meta[mb + Meta.ICMP]! >>> 8;
    if (type >= ND_FIRST && type <= ND_LAST) this.host.nd.handle(mb, vb);
    else if (type >= 1 && type <= 4) this.icmp6Error(mb, vb);
    else if (type === ICMP6_ECHO_REQUEST && this.d.gate.answers6(this.d.meta, mb + Meta.DST_IP6_0, this.host.services)) this.host.answerEcho(vb);
    // Other ICMPv6 to an owned address: not handled.
    else if (this.owned(mb)) this.host.drop(vb, DropReason.ICMP6_UNHANDLED);
    else this.host.drop(vb, this.notOurs(mb));
  }

  /**
   * An ICMPv6 error follows the connection of the packet it quotes, which travelled the other
   * way: looked up with its ends swapped (parse hashed that swapped tuple), as IPv4's.
   */
  private icmp6Error(mb: number, vb: number): void {
    const meta = this.d.meta;
    const proto = meta[mb + Meta.INNER_PROTO]!;
    const hit = proto === PROTO_TCP || proto === PROTO_UDP
      ? this.d.conns.lookup6(meta[mb + Meta.HASH]! | 0, proto, meta, mb + Meta.INNER_DST_IP6_0, meta[mb + Meta.INNER_DST_PORT]!,
        meta, mb + Meta.INNER_SRC_IP6_0, meta[mb + Meta.INNER_SRC_PORT]!)
      : -1;
    if (hit < 0) {
      this.host.drop(vb, DropReason.ICMP_UNKNOWN);
      return;
    }
    const e = hit >> 1;
    const dest = this.host.services.destById[this.d.conns.dest[e]!]!;
    const f = this.host.forwarders6;
    const handlers = (hit & 1) === KeyKind.IN ? f.icmpInbound : f.icmpOutbound;
    handlers[this.d.conns.method[e]!]!(e, dest, mb, vb);
  }

  /** Why a frame to no owned address is dropped: a group's (ff00::/8) or a unicast stray's. */
  private notOurs(mb: number): DropReasonValue {
    return this.d.meta[mb + Meta.DST_IP6_0]! >>> 24 === 0xff ? DropReason.MULTICAST : DropReason.NOT_OURS;
  }

  private owned(mb: number): boolean {
    return this.host.services.owns6(this.d.meta, mb + Meta.DST_IP6_0);
  }

  private transport(proto: number, mb: number, vb: number): void {
    const meta = this.d.meta;
    const host = this.host;
    if (meta[mb + Meta.FRAG]! & FragBits.NONFIRST) {
      this.laterFragment(proto, mb, vb);
      return;
    }
    const sport = meta[mb + Meta.SRC_PORT]!;
    const dport = meta[mb + Meta.DST_PORT]!;
    let hit = this.d.conns.lookup6(meta[mb + Meta.HASH]! | 0, proto, meta, mb + Meta.SRC_IP6_0, sport, meta, mb + Meta.DST_IP6_0, dport);
    if (hit >= 0 && (hit & 1) === KeyKind.IN) {
      const e = hit >> 1;
      const opens = proto !== PROTO_TCP || (meta[mb + Meta.TCP_FLAGS]! & (TCP_SYN | TCP_RST)) === TCP_SYN;
      if (host.services.expireNodestConn && host.destGone(e)) {
        // expire_nodest_conn: the connection ends now; a packet that may open one is scheduled afresh.
        this.end(e);
        hit = -1;
        if (!opens) {
          host.drop(vb, DropReason.DEST_GONE);
          return;
        }
      } else if (proto === PROTO_TCP && opens && this.d.states.reusable(proto, this.d.conns.state[e]!)) {
        // conn_reuse_mode 1: a SYN reusing a closing connection's ports gets a new one.
        this.end(e);
        hit = -1;
      }
    }
    if (hit < 0) {
      hit = this.open(proto, sport, dport, mb, vb);
      if (hit < 0) return;
    }
    host.forward(hit, mb, vb, true, host.forwarders6.inbound, host.forwarders6.outbound);
    if (meta[mb + Meta.FRAG]! & FragBits.MF) this.d.frags.remember6(proto, meta, mb, hit, host.nowSec);
  }

  /**
   * Later fragments carry no ports: they follow their first fragment's connection while it still
   * belongs to their source (client for the in key, real server for the out key), else orphans.
   */
  private laterFragment(proto: number, mb: number, vb: number): void {
    const hit = this.d.frags.find6(proto, this.d.meta, mb, this.host.nowSec);
    const c = this.d.conns;
    const e = hit >> 1;
    const at = e * ADDR6_WORDS + ((hit & 1) === KeyKind.IN ? Addr6.C : Addr6.D);
    const meta = this.d.meta;
    const a = c.addr6;
    const ours = hit >= 0 && c.proto[e] === proto && (c.flags[e]! & ConnFlag.V6) !== 0 && a[at] === meta[mb + Meta.SRC_IP6_0]
      && a[at + 1] === meta[mb + Meta.SRC_IP6_1] && a[at + 2] === meta[mb + Meta.SRC_IP6_2] && a[at + 3] === meta[mb + Meta.SRC_IP6_3];
    if (!ours) {
      this.host.drop(vb, DropReason.FRAGMENT);
      return;
    }
    this.host.forward(hit, mb, vb, false, this.host.forwarders6.inbound, this.host.forwarders6.outbound);
  }

  private end(e: number): void {
    this.host.factory.release(e);
    this.d.conns.evict(e);
  }

  /** No connection: schedule one for a packet that may open it; -1 when dropped (counted). */
  private open(proto: number, sport: number, dport: number, mb: number, vb: number): number {
    const host = this.host;
    const meta = this.d.meta;
    const svc = host.services.find6(proto, meta, mb + Meta.DST_IP6_0, dport);
    if (!svc) {
      host.drop(vb, this.owned(mb) ? DropReason.NO_SERVICE : this.notOurs(mb));
      return -1;
    }
    if (proto === PROTO_TCP && (meta[mb + Meta.TCP_FLAGS]! & host.opensMask) !== host.opensWant) {
      host.drop(vb, DropReason.NO_CONN);
      return -1;
    }
    // source_conn_rate keys on one word: the client's address folded (an approximation for IPv6).
    const folded = meta[mb + Meta.SRC_IP6_0]! ^ meta[mb + Meta.SRC_IP6_1]! ^ meta[mb + Meta.SRC_IP6_2]! ^ meta[mb + Meta.SRC_IP6_3]!;
    if (this.d.sourceRate !== null && !this.d.sourceRate.admit(folded >>> 0, host.nowMs)) {
      host.drop(vb, DropReason.SOURCE_RATE);
      return -1;
    }
    const refused = this.d.guard.admit(proto);
    if (refused !== -1) {
      host.drop(vb, refused);
      return -1;
    }
    const e = host.factory.create(svc, this.fill(proto, sport, dport, mb), host.nowSec);
    if (e < 0) {
      host.drop(vb, host.factory.failure);
      return -1;
    }
    if (proto === PROTO_TCP) host.startClientSeq(e, mb);
    if (svc.ops && proto === PROTO_UDP) {
      // One-packet scheduling: the datagram goes, the entry goes with it (a first fragment's
      // stays a second for the fragments that follow, as IPv4's).
      const hit = (e << 1) | KeyKind.IN;
      host.forward(hit, mb, vb, true, host.forwarders6.inbound, host.forwarders6.outbound);
      if (meta[mb + Meta.FRAG]! & FragBits.MF) {
        this.d.frags.remember6(proto, meta, mb, hit, host.nowSec);
        this.d.conns.wheel.touch(e, host.nowSec + 1);
      } else {
        this.end(e);
      }
      return -1;
    }
    if (host.observer !== null) host.observer.created(e);
    return (e << 1) | KeyKind.IN;
  }

  /** The reused scheduling packet, its addresses copied word by word (no subarray). */
  private fill(proto: number, sport: number, dport: number, mb: number): SchedPacket {
    const p = this.packet;
    const meta = this.d.meta;
    p.proto = proto;
    p.srcPort = sport;
    p.dstPort = dport;
    for (let i = 0; i < 4; i++) {
      p.srcAddr6[i] = meta[mb + Meta.SRC_IP6_0 + i]!;
      p.dstAddr6[i] = meta[mb + Meta.DST_IP6_0 + i]!;
    }
    return p;
  }
}
