// Why the data path sent nothing for a frame: one counter per reason, reported in stats, and
// for frames the native parser refused, one counter per ParseError too (which layer broke how:
// an IPv6 extension header loop, a truncation, a bad length).

import { ParseError } from '../native/layout.generated.js';

export const DropReason = {
  /** The native parser rejected the frame (counted by ParseError too: DropCounters.parseErrors). */
  PARSE_ERROR: 0,
  /** Not addressed to an address the director owns: passed over, never forwarded. */
  NOT_OURS: 1,
  /** Neither IPv4, IPv6 nor ARP (another ethertype). */
  NOT_IP: 2,
  /** To an owned address, but no virtual service on that protocol and port. */
  NO_SERVICE: 3,
  /** TCP segment without SYN and without a connection (IPVS schedules on SYN only). */
  NO_CONN: 4,
  /** The scheduler found no real server that can take a new connection. */
  NO_DEST: 5,
  /** The connection table is full. */
  TABLE_FULL: 6,
  /** A later fragment whose first fragment was not seen (or was forgotten): an orphan. */
  FRAGMENT: 7,
  /** The next hop's MAC could not be resolved (timeout or ARP failure). */
  UNRESOLVED: 8,
  /** ARP that asks for none of our addresses, or replies we only learn from. */
  ARP_CONSUMED: 9,
  /** IP protocol the director does not balance (not TCP/UDP/ICMP). */
  UNSUPPORTED_PROTO: 10,
  /** NAT/FULLNAT: no route back toward the client. */
  NO_ROUTE: 11,
  /** FULLNAT: every local address and port of the group is in use. */
  NO_LOCAL_PORT: 12,
  /** An ICMP error about no connection the director knows. */
  ICMP_UNKNOWN: 13,
  /**
   * ICMP to an owned address that is neither an echo request (answered) nor an error about a
   * connection: echo replies, timestamps, redirects and the like.
   */
  ICMP_OTHER: 14,
  /**
   * With expire_nodest_conn: a packet of a connection whose real server is gone (removed by a
   * reload, or by a failed check without inhibit_on_failure), which expired the connection and
   * cannot start a new one (a TCP segment without SYN).
   */
  DEST_GONE: 15,
  /** A new TCP connection refused: the budget of unconfirmed ones (not yet shown to be a real client's) is full. */
  UNCONFIRMED_FULL: 16,
  /** drop_packet: a new connection beyond the flood rate in this second, while under flood. */
  FLOOD_RATE: 17,
  /** source_conn_rate: a new connection from a client address over its rate. */
  SOURCE_RATE: 18,
  /** A frame for a next hop still being resolved found the hold queue (hold_queue_size) or its next hop's share full. */
  HOLD_FULL: 19,
  /** IPv4 unicast to another host's MAC (seen on a flooding bridge or shared segment): never forwarded. */
  OTHER_HOST: 20,
  /** SYN proxy: an ACK without a connection that acknowledges no cookie the director made lately. */
  SYNPROXY_BAD_COOKIE: 21,
  /**
   * SYN proxy: a client segment before the real server answered, beyond what the connection may
   * park (and not an ACK that could carry a SYN retry).
   */
  SYNPROXY_EARLY: 22,
  /** SYN proxy: a real server segment before its handshake, neither the SYN-ACK for our SYN nor a RST. */
  SYNPROXY_HANDSHAKE: 23,
  /** SYN proxy: a TCP segment to a proxied service without a connection that is neither SYN nor ACK (RST, ...). */
  SYNPROXY_NO_CONN: 24,
  /**
   * IPv6 NAT/FULLNAT: an ICMPv6 error about a connection with hop limit 1, which would reach 0
   * here (no error is answered with an error; other packets get Time Exceeded).
   */
  HOP_LIMIT: 25,
  /**
   * IPv6 TUN: an ICMPv6 error too big for the tunnel (other packets too big, GSO super-frames
   * judged by their segment size, get Packet Too Big).
   */
  TOO_BIG: 26,
  /** ICMPv6 to an owned address other than neighbour discovery, echo requests and errors. */
  ICMP6_UNHANDLED: 27,
  /**
   * Neighbour Discovery that RFC 4861 7.1 says to discard: hop limit not 255, code not 0, a
   * multicast target, an option of length 0 or past the message, a solicitation from :: with a
   * source link-layer option or not to the solicited-node group, a multicast solicited NA.
   */
  ND_INVALID: 28,
  /** Neighbour Discovery not asking for an owned address (solicitations for others, advertisements learnt from, router messages). */
  ND_CONSUMED: 29,
  /**
   * Multicast or broadcast to a group the director serves nothing on (MLD reports, IGMP, mDNS):
   * a port takes all multicast so that solicitations for its VIPs reach it, and the hosts on the
   * segment talk to their groups; kept apart from not_ours, which counts unicast strays.
   */
  MULTICAST: 30,
} as const;

export type DropReasonValue = (typeof DropReason)[keyof typeof DropReason];

const NAMES = Object.keys(DropReason) as (keyof typeof DropReason)[];

const PARSE_NAMES = Object.keys(ParseError).filter((name) => name !== 'OK' && name !== 'COUNT') as (keyof typeof ParseError)[];

export class DropCounters {
  readonly counts = new Float64Array(NAMES.length);
  /** Frames counted as PARSE_ERROR, by ParseError code. */
  readonly parse = new Float64Array(ParseError.COUNT);

  add(reason: DropReasonValue): void {
    this.counts[reason]!++;
  }

  /** A frame the parser refused with code (meta ERROR): PARSE_ERROR, and the code's own counter. */
  addParse(code: number): void {
    this.counts[DropReason.PARSE_ERROR]!++;
    if (code < this.parse.length) this.parse[code]!++;
  }

  /** Non-zero parse error counters by lower-case ParseError name (their sum is parse_error). */
  parseErrors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of PARSE_NAMES) {
      const n = this.parse[ParseError[name]];
      if (n) out[name.toLowerCase()] = n;
    }
    return out;
  }

  /** Non-zero counters by lower-case name, for stats output. */
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    NAMES.forEach((name, i) => {
      const n = this.counts[i];
      if (n) out[name.toLowerCase()] = n;
    });
    return out;
  }
}
