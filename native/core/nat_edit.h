// Address, port and TTL edits of an IPv4 frame in place, each keeping the IP header checksum and
// the L4 checksum right by RFC 1624 (or keeping a CHECKSUM_PARTIAL seed right).
#pragma once
#include <cstdint>

#include "core/rewrite_ctx.h"

namespace director::core::rw {

// Which endpoint of the packet an edit replaces.
enum class End : uint8_t { SRC, DST };

void set_addr(const Ctx& c, const Ip4& ip, End end, uint32_t addr);
// No-op when the frame carries no TCP/UDP ports (ICMP, other protocols, non-first fragments).
void set_port(const Ctx& c, const Ip4& ip, End end, uint16_t port);
// Decrements the TTL; false (frame untouched) when it would reach 0.
bool dec_ttl(const Ctx& c, const Ip4& ip);

// NAT and FULLNAT in either direction differ only in which endpoints change (src: SRC_IP and
// SRC_PORT, dst: DST_IP and DST_PORT): the routed rewrite they share. An ICMP error goes to
// icmp_nat; any other packet gets checks, edits, TTL, next hop, one frame out (a partial TCP
// checksum completed, see complete_partial_tcp).
RewriteError routed(Ctx& c, bool src, bool dst);

// The end every routed rewrite shares, after its address and port edits: sequence translation,
// a partial TCP checksum completed, next-hop MACs, the datagram out without any trailer.
RewriteError send_routed(Ctx& c, const Ip4& ip);

// routed() for an IPv6 frame (nat_edit6.cc): addresses from the verdict's SRC_IP6 and DST_IP6
// words, hop limit decremented; an ICMPv6 error goes to icmp6_nat.
RewriteError routed6(Ctx& c, bool src, bool dst);

// Replaces one IPv6 address of the packet (16 network-order bytes), the L4 checksum updated.
void set_addr6(const Ctx& c, const Ip4& ip, End end, const uint8_t* addr);

// Destination unreachable, packet too big, time exceeded or parameter problem (ICMPv6 1..4).
bool is_icmp6_error(const Ctx& c, const Ip4& ip);

// routed6() for an ICMPv6 error (rewrite_icmp6_nat.cc): icmp_nat's mirror rule with the
// verdict's SRC_IP6 and DST_IP6 words.
RewriteError icmp6_nat(Ctx& c, const Ip4& ip, bool src, bool dst);

// Destination unreachable, time exceeded or parameter problem: a message quoting a packet.
bool is_icmp_error(const Ctx& c, const Ip4& ip);

// routed() for an ICMP error (rewrite_icmp_nat.cc): the outer header edited like any packet of
// the connection in that direction, the quoted packet (which went the other way) mirrored.
RewriteError icmp_nat(Ctx& c, const Ip4& ip, bool src, bool dst);

}  // namespace director::core::rw
