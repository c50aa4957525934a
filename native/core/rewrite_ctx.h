// Shared shape of every rewrite handler: the frame, its meta and verdict, the egress port and
// the output being filled, plus the checked view of an IPv4 frame the IP rewrites work on.
#pragma once
#include <cstdint>

#include "core/checksum.h"
#include "core/core.h"

namespace director::core::rw {

struct Ctx {
  uint8_t* frame;
  uint32_t len;
  const VnetHdr& vnet;
  const uint32_t* meta;
  const uint32_t* v;  // verdict words
  const Egress& egress;
  RewriteOut& out;
  uint32_t scratch_used;
};

// An IP frame's layout as meta describes it (IPv6 too, see ip6_view), re-checked against the bytes (meta lives in
// memory TypeScript can write, so the rewrite never trusts an offset it has not checked).
struct Ip4 {
  uint32_t l3;       // IP header offset
  uint32_t ihl;      // header length in bytes
  uint32_t end;      // l3 + total length
  uint32_t l4;       // L4 header offset, 0 when absent (non-first fragment, other protocol)
  uint8_t proto;
  bool partial;      // vnet NEEDS_CSUM covering this frame's L4 checksum
};

using Handler = RewriteError (*)(Ctx&);

// Fills ip from meta and the frame; false when they disagree or the frame is not usable IPv4.
bool ip4_view(const Ctx& c, Ip4& ip);
// The same for IPv6 (nat_edit6.cc): ihl is the fixed header plus the extension headers, proto
// the upper-layer protocol, l4 0 for a non-first fragment.
bool ip6_view(const Ctx& c, Ip4& ip);
// The verdict's four IPv6 address words from word0 as 16 network-order bytes; false when all are
// zero (an address the verdict did not set).
bool verdict_addr6(const Ctx& c, uint32_t word0, uint8_t* out);

// The L4 checksum field (nullptr when none is present or covered) and how it reacts to edits.
uint8_t* l4_check_field(const Ctx& c, const Ip4& ip, csum::Field& kind);

// Completes the TCP checksum of a CHECKSUM_PARTIAL frame that the kernel would otherwise finish
// in software on an egress without checksum offload: that completion writes a zero TCP checksum
// as 0xffff (a UDP rule it applies to every protocol), which RFC 1624 rules out and capture
// tools call bad. Done the kernel's way otherwise (the sum over the seeded segment, so a wrong
// seed stays exactly as wrong). True when done; the frame must then leave with a plain vnet
// header. False for UDP (0xffff is its zero) and for GSO frames the kernel segments (each
// segment comes out right).
bool complete_partial_tcp(const Ctx& c, const Ip4& ip);

// Bytes from the per-call scratch area (nullptr when exhausted).
uint8_t* scratch(Ctx& c, uint32_t n);

// Appends one output frame; false when RewriteOut is full.
bool emit(Ctx& c, const VnetHdr& vnet, const uint8_t* head, uint32_t head_len,
          const uint8_t* body, uint32_t body_len);

// Ethernet destination := verdict DST_MAC, source := egress port MAC.
void set_next_hop(const Ctx& c, uint8_t* eth);

// True when a non-GSO IP packet of ip_len bytes exceeds mtu (0 = no limit known).
bool too_big(const Ctx& c, uint32_t ip_len, uint32_t mtu);

bool vnet_partial(const VnetHdr& v);

// Handlers, one per concept, each in its own file.
RewriteError forward_dr(Ctx& c);         // rewrite_dr.cc
RewriteError arp_reply(Ctx& c);          // rewrite_arp.cc
RewriteError nat_in(Ctx& c);             // rewrite_nat.cc
RewriteError nat_out(Ctx& c);
RewriteError fnat(Ctx& c);               // rewrite_fnat.cc (both directions)
RewriteError forward_tun(Ctx& c);        // rewrite_tun.cc
RewriteError forward_tun6(Ctx& c);       // rewrite_tun6.cc (ip6ip6)
RewriteError icmp_frag_needed(Ctx& c);   // icmp_reply.cc
RewriteError icmp_time_exceeded(Ctx& c);
RewriteError icmp6_packet_too_big(Ctx& c);  // icmp6_reply.cc
RewriteError icmp6_time_exceeded(Ctx& c);
RewriteError forward_6in4(Ctx& c);       // rewrite_6in4.cc
RewriteError icmp_echo_reply(Ctx& c);    // rewrite_echo.cc
RewriteError nd_advert(Ctx& c);          // rewrite_nd.cc
RewriteError synproxy_synack(Ctx& c);    // rewrite_synproxy.cc
RewriteError synproxy_syn(Ctx& c);
RewriteError synproxy_ack(Ctx& c);

}  // namespace director::core::rw
