// The IPIP encapsulation header, as IPVS builds it (net/netfilter/ipvs/ip_vs_xmit.c,
// ip_vs_tunnel_xmit + ip_vs_prepare_tunneled_skb):
//  - DF copied from the inner header (the default pmtu_disc=1); fragment offset and MF cleared;
//  - TTL copied from the inner header (not decremented: the director is not a router here);
//  - TOS = INET_ECN_encapsulate(inner, inner): DSCP copied, ECN copied except CE -> ECT(0);
//  - ID via ip_select_ident(): 0 when DF is set (no socket), otherwise the kernel's hashed
//    per-destination counter. The core keeps no state, so for non-DF packets it derives the ID
//    from the inner packet's source and ID, which changes packet by packet like a counter.
#pragma once
#include <cstdint>

#include "core/rewrite_ctx.h"

namespace director::core::rw {

constexpr uint32_t OUTER_IP_LEN = 20;

// Writes Ethernet (the frame's own layout, VLAN tag kept; next-hop MACs) + outer IPv4 around an
// inner packet of inner_total bytes whose header is `inner`. Returns bytes written (l3 + 20).
uint32_t write_tun_head(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total,
                        uint16_t inner_id, uint8_t* head);

// INET_ECN_encapsulate of a TOS or traffic class byte: DSCP and ECN copied, CE sent as ECT(0).
uint8_t ecn_encapsulate(uint8_t tos);

// A stateless 16-bit IP ID that varies with both inputs.
uint16_t derived_ip_id(uint32_t a, uint32_t b);

// An outer header kind for tun_segment: its length, and the writer of Ethernet + outer header
// around one segment's inner packet of inner_total bytes whose header is `inner`.
struct TunOuter {
  uint32_t len;
  void (*write)(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total, uint8_t* head);
};

// The ip6ip6 and 6in4 outer headers (rewrite_tun6.cc, rewrite_6in4.cc).
void write_ip6ip6_head(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total,
                       uint8_t* head);
void write_6in4_head(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total,
                     uint8_t* head);

// TUN of a TCP GSO super-frame (TCPv4 or TCPv6 inner): segmented here, since virtio cannot
// express tunnel GSO.
RewriteError tun_segment(Ctx& c, const Ip4& ip, uint32_t mtu, const TunOuter& outer);

// An IPv6 packet (a TCPv6 GSO super-frame segmented) inside outer to the verdict's tunnel end:
// TOO_BIG over the MTU or when the inner packet is over max_inner, the most the outer header's
// length field can count (rewrite_tun6.cc).
RewriteError tunnel_ip6(Ctx& c, const Ip4& ip, const TunOuter& outer, uint32_t max_inner);

// A TCPv6 GSO super-frame through ip6ip6 or 6in4; extension headers refused (NOT_APPLICABLE).
RewriteError tun6_segment(Ctx& c, const Ip4& ip, uint32_t mtu, const TunOuter& outer);

}  // namespace director::core::rw
