// TUN (IPIP): the inner IP packet stays where it is in the frame (the body); a new Ethernet +
// outer IPv4 header goes in scratch (the head). Partial checksums stay partial, their vnet
// csum_start moved past the outer header (TCP ones are completed, see complete_partial_tcp);
// TCPv4 GSO super-frames are segmented (tun_gso.cc).
#include "core/bytes.h"
#include "core/tun_head.h"

namespace director::core::rw {

namespace {
void write_ipip_head(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total, uint8_t* head) {
  write_tun_head(c, inner, l3, inner_total, rd16(inner + 4), head);
}
}  // namespace

RewriteError forward_tun(Ctx& c) {
  if (c.meta[meta::KIND] == static_cast<uint32_t>(FrameKind::IPV6)) return forward_tun6(c);
  Ip4 ip;
  if (!ip4_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  if (c.v[verdict::TUN_SRC] == 0 || c.v[verdict::TUN_DST] == 0) return RewriteError::BAD_VERDICT;
  uint32_t mtu = c.v[verdict::MTU] ? c.v[verdict::MTU] : c.egress.mtu;
  const uint8_t* inner = c.frame + ip.l3;
  uint32_t inner_total = ip.end - ip.l3;
  if (c.vnet.gso_type != 0) {
    if (c.vnet.gso_type != 1) return RewriteError::NOT_APPLICABLE;  // only TCPv4 GSO is cut here
    return tun_segment(c, ip, mtu, TunOuter{OUTER_IP_LEN, write_ipip_head});
  }
  if (too_big(c, inner_total + OUTER_IP_LEN, mtu)) return RewriteError::TOO_BIG;
  uint8_t* head = scratch(c, ip.l3 + OUTER_IP_LEN);
  if (!head) return RewriteError::TOO_MANY_SEGMENTS;
  uint32_t head_len = write_tun_head(c, inner, ip.l3, inner_total, rd16(inner + 4), head);
  VnetHdr vnet{};
  if (ip.partial && !complete_partial_tcp(c, ip)) {
    vnet.flags = 1;
    vnet.csum_start = static_cast<uint16_t>(c.vnet.csum_start + OUTER_IP_LEN);
    vnet.csum_offset = c.vnet.csum_offset;
  }
  if (!emit(c, vnet, head, head_len, inner, inner_total)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace director::core::rw
