// Shared helpers of the rewrite handlers: the checked IPv4 view of a frame, the L4 checksum
// field and its kind, scratch space and output frames.
#include "core/rewrite_ctx.h"

#include "core/bytes.h"

namespace director::core::rw {

namespace {
constexpr uint8_t IP_TCP = 6, IP_UDP = 17, IP_ICMP = 1, IP_ICMPV6 = 58;

// Minimum L4 header the rewrites touch; 0 for protocols they leave alone.
uint32_t l4_min(uint8_t proto) {
  if (proto == IP_TCP) return 20;
  if (proto == IP_UDP || proto == IP_ICMP) return 8;
  return 0;
}

bool l4_ok(const Ctx& c, Ip4& ip) {
  uint32_t l4 = c.meta[meta::L4_OFF];
  uint32_t need = l4_min(ip.proto);
  bool nonfirst = (rd16(c.frame + ip.l3 + 6) & 0x1fff) != 0;
  if (need == 0 || nonfirst) {
    ip.l4 = 0;
    return !(nonfirst && need != 0 && l4 != 0);
  }
  if (l4 != ip.l3 + ip.ihl || ip.end - l4 < need) return false;
  if (ip.proto == IP_TCP) {
    uint32_t thl = (c.frame[l4 + 12] >> 4) * 4u;
    if (thl < 20 || l4 + thl > ip.end) return false;
  }
  ip.l4 = l4;
  return true;
}
}  // namespace

bool vnet_partial(const VnetHdr& v) { return (v.flags & 1) != 0; }

bool ip4_view(const Ctx& c, Ip4& ip) {
  const uint32_t* m = c.meta;
  if (m[meta::ERROR] != 0 || m[meta::KIND] != static_cast<uint32_t>(FrameKind::IPV4)) return false;
  if (m[meta::LEN] != c.len) return false;
  ip.l3 = m[meta::L3_OFF];
  if ((ip.l3 != 14 && ip.l3 != 18) || c.len < ip.l3 + 20) return false;
  const uint8_t* h = c.frame + ip.l3;
  ip.ihl = (h[0] & 0x0f) * 4u;
  uint32_t total = rd16(h + 2);
  if ((h[0] >> 4) != 4 || ip.ihl < 20 || total < ip.ihl || ip.l3 + total > c.len) return false;
  ip.end = ip.l3 + total;
  ip.proto = h[9];
  if (!l4_ok(c, ip)) return false;
  ip.partial = vnet_partial(c.vnet);
  if (!ip.partial) return true;
  // A partial frame must have its checksum where the kernel will finish it: our L4 field.
  uint32_t field = ip.proto == IP_TCP ? 16u : ip.proto == IP_UDP ? 6u : 0u;
  return ip.l4 != 0 && field != 0 && c.vnet.csum_start == ip.l4 && c.vnet.csum_offset == field;
}

uint8_t* l4_check_field(const Ctx& c, const Ip4& ip, csum::Field& kind) {
  if (ip.l4 == 0) return nullptr;
  if (ip.proto == IP_TCP) {
    kind = ip.partial ? csum::Field::PARTIAL : csum::Field::FULL;
    return c.frame + ip.l4 + 16;
  }
  if (ip.proto == IP_UDP) {
    kind = ip.partial ? csum::Field::PARTIAL : csum::Field::UDP_FULL;
    return c.frame + ip.l4 + 6;
  }
  // ICMPv6 sums the pseudo-header (ICMP does not). ip6_view is the only view that sets l4 for
  // protocol 58, so an IPv4 frame carrying it is never touched here.
  if (ip.proto == IP_ICMPV6) {
    kind = csum::Field::FULL;
    return c.frame + ip.l4 + 2;
  }
  return nullptr;  // ICMP: no pseudo-header, no ports
}

bool complete_partial_tcp(const Ctx& c, const Ip4& ip) {
  if (!ip.partial || ip.proto != IP_TCP) return false;
  uint8_t* tcp = c.frame + ip.l4;
  uint32_t len = ip.end - ip.l4;
  uint32_t payload = len - (tcp[12] >> 4) * 4u;
  // As the kernel's virtio header check: a GSO frame of one segment or less is not segmented.
  if (c.vnet.gso_type != 0 && payload > c.vnet.gso_size) return false;
  // As the kernel completes it: the sum from csum_start over the seeded field, so a seed that
  // was wrong stays exactly as wrong; only a zero result keeps its TCP form, 0x0000.
  wr16(tcp + 16, csum::compute(tcp, len));
  return true;
}

uint8_t* scratch(Ctx& c, uint32_t n) {
  if (n > RewriteOut::SCRATCH_BYTES - c.scratch_used) return nullptr;
  uint8_t* p = c.out.scratch + c.scratch_used;
  c.scratch_used += n;
  return p;
}

bool emit(Ctx& c, const VnetHdr& vnet, const uint8_t* head, uint32_t head_len,
          const uint8_t* body, uint32_t body_len) {
  if (c.out.count >= RewriteOut::MAX_FRAMES) return false;
  c.out.frames[c.out.count++] = OutFrame{vnet, head, head_len, body, body_len};
  return true;
}

void set_next_hop(const Ctx& c, uint8_t* eth) {
  wr_mac(eth, c.v[verdict::DST_MAC_HI], c.v[verdict::DST_MAC_LO]);
  for (int i = 0; i < 6; ++i) eth[6 + i] = c.egress.mac[i];
}

bool too_big(const Ctx& c, uint32_t ip_len, uint32_t mtu) {
  return mtu != 0 && c.vnet.gso_type == 0 && ip_len > mtu;
}

}  // namespace director::core::rw
