// TUN of an IPv6 packet as ip6ip6 (RFC 2473), the way IPVS's ip_vs_tunnel_xmit_v6 builds the
// outer header: next header 41, payload length = the whole inner packet, hop limit and traffic
// class copied from the inner header (ECN copied, CE sent as ECT(0)), flow label 0, addresses
// from the verdict's SRC_IP6 (the director) and DST_IP6 (the real server). The inner packet stays
// in the frame (the body) untouched; a partial checksum stays partial with csum_start moved past
// the outer header (a partial TCP one is completed, see complete_partial_tcp). TCPv6 GSO
// super-frames are segmented (tun_gso.cc); other GSO is refused. A verdict with TUN_SRC/TUN_DST set gets 6in4
// (rewrite_6in4.cc) instead.
#include <cstring>

#include "core/bytes.h"
#include "core/tun_head.h"

namespace director::core::rw {

namespace {
constexpr uint32_t OUTER_IP6_LEN = 40;
constexpr uint8_t NEXT_IPV6 = 41;
}  // namespace

void write_ip6ip6_head(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total,
                       uint8_t* head) {
  std::memcpy(head, c.frame, l3);  // Ethernet (and VLAN tag): already IPv6
  set_next_hop(c, head);
  uint8_t* o = head + l3;
  uint8_t tclass = static_cast<uint8_t>((inner[0] & 0x0f) << 4 | inner[1] >> 4);
  if ((tclass & 3) == 3) tclass = static_cast<uint8_t>(tclass & ~1);  // CE -> ECT(0)
  o[0] = static_cast<uint8_t>(0x60 | tclass >> 4);
  o[1] = static_cast<uint8_t>((tclass & 0x0f) << 4);
  o[2] = o[3] = 0;
  wr16(o + 4, inner_total);
  o[6] = NEXT_IPV6;
  o[7] = inner[7];
  verdict_addr6(c, verdict::SRC_IP6_0, o + 8);  // both checked by forward_tun6
  verdict_addr6(c, verdict::DST_IP6_0, o + 24);
}

RewriteError tunnel_ip6(Ctx& c, const Ip4& ip, const TunOuter& outer, uint32_t max_inner) {
  uint32_t mtu = c.v[verdict::MTU] ? c.v[verdict::MTU] : c.egress.mtu;
  if (c.vnet.gso_type != 0) return tun6_segment(c, ip, mtu, outer);
  const uint8_t* inner = c.frame + ip.l3;
  uint32_t inner_total = ip.end - ip.l3;
  if (too_big(c, inner_total + outer.len, mtu) || inner_total > max_inner) return RewriteError::TOO_BIG;
  uint8_t* head = scratch(c, ip.l3 + outer.len);
  if (!head) return RewriteError::TOO_MANY_SEGMENTS;
  outer.write(c, inner, ip.l3, inner_total, head);
  VnetHdr vnet{};
  if (ip.partial && !complete_partial_tcp(c, ip)) {
    vnet.flags = 1;
    vnet.csum_start = static_cast<uint16_t>(c.vnet.csum_start + outer.len);
    vnet.csum_offset = c.vnet.csum_offset;
  }
  if (!emit(c, vnet, head, ip.l3 + outer.len, inner, inner_total)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

RewriteError forward_tun6(Ctx& c) {
  // The verdict's IPv4 tunnel words name a real server reached over IPv4: 6in4 instead.
  if (c.v[verdict::TUN_SRC] != 0 || c.v[verdict::TUN_DST] != 0) return forward_6in4(c);
  Ip4 ip;
  if (!ip6_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  uint8_t addr[16];
  if (!verdict_addr6(c, verdict::SRC_IP6_0, addr) || !verdict_addr6(c, verdict::DST_IP6_0, addr)) {
    return RewriteError::BAD_VERDICT;
  }
  return tunnel_ip6(c, ip, TunOuter{OUTER_IP6_LEN, write_ip6ip6_head}, 0xffff);
}

}  // namespace director::core::rw
