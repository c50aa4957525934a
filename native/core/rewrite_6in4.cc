// TUN of an IPv6 packet to a real server reached over IPv4: 6in4 (RFC 4213 3.5, protocol 41),
// the header IPVS builds for an IPv6 service with an IPv4 real server (ip_vs_tunnel_xmit with
// ip_vs_prepare_tunneled_skb on an IPv6 skb): TTL := the inner hop limit, TOS := the traffic
// class with ECN encapsulated (CE sent as ECT(0)), DF clear (IPVS sets no DF over IPv6, so
// routers past the director may fragment the outer packet), ID derived since DF is clear, from
// TUN_SRC (the director) to TUN_DST (the real server). The Ethernet type becomes IPv4; the inner
// packet stays in the frame untouched, a partial checksum stays partial (TCP ones completed).
// TCPv6 GSO super-frames are segmented (tun_gso.cc), each segment with its own ID.
#include <cstring>

#include "core/bytes.h"
#include "core/tun_head.h"

namespace director::core::rw {

namespace {
constexpr uint8_t IPPROTO_IPV6_IN_IP = 41;
constexpr uint16_t ETH_IPV4 = 0x0800;

// A stateless ID that changes packet by packet: the inner addresses' last words and the first
// word after the fixed header's next 4 bytes (a TCP sequence number, a UDP length and checksum).
uint16_t id_6in4(const uint8_t* inner, uint32_t inner_total) {
  uint32_t varying = inner_total >= 48 ? rd32(inner + 44) : inner_total;
  return derived_ip_id(rd32(inner + 20) ^ rd32(inner + 36), varying ^ inner_total);
}
}  // namespace

void write_6in4_head(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total,
                     uint8_t* head) {
  std::memcpy(head, c.frame, l3);  // Ethernet and VLAN tag, then the type made IPv4
  set_next_hop(c, head);
  wr16(head + l3 - 2, ETH_IPV4);
  uint8_t* o = head + l3;
  o[0] = 0x45;
  o[1] = ecn_encapsulate(static_cast<uint8_t>((inner[0] & 0x0f) << 4 | inner[1] >> 4));
  wr16(o + 2, OUTER_IP_LEN + inner_total);
  wr16(o + 4, id_6in4(inner, inner_total));
  wr16(o + 6, 0);
  o[8] = inner[7];
  o[9] = IPPROTO_IPV6_IN_IP;
  wr32(o + 12, c.v[verdict::TUN_SRC]);
  wr32(o + 16, c.v[verdict::TUN_DST]);
  csum::ip_header_fill(o, OUTER_IP_LEN);
}

RewriteError forward_6in4(Ctx& c) {
  Ip4 ip;
  if (!ip6_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  uint8_t unused[16];
  if (c.v[verdict::TUN_SRC] == 0 || c.v[verdict::TUN_DST] == 0 ||
      verdict_addr6(c, verdict::SRC_IP6_0, unused) || verdict_addr6(c, verdict::DST_IP6_0, unused)) {
    return RewriteError::BAD_VERDICT;  // exactly one outer family
  }
  // The outer IPv4 total length counts its own header too.
  return tunnel_ip6(c, ip, TunOuter{OUTER_IP_LEN, write_6in4_head}, 0xffff - OUTER_IP_LEN);
}

}  // namespace director::core::rw
