// NAT and FULLNAT of an IPv6 frame: the checked view of the packet (its extension header chain
// walked again on the bytes, since meta lives in memory TypeScript can write), address edits
// that keep the TCP, UDP and ICMPv6 checksums right over the IPv6 pseudo-header (RFC 1624 per
// 16-bit word; a CHECKSUM_PARTIAL seed adjusted uncomplemented), and the hop limit. IPv6 has no
// header checksum, so the fixed header needs no update of its own.
#include "core/bytes.h"
#include "core/nat_edit.h"
#include "core/parse_parts.h"

namespace director::core::rw {

namespace {

constexpr uint8_t IP_TCP = 6, IP_UDP = 17, IP_ICMPV6 = 58;

uint32_t l4_min6(uint8_t proto) {
  if (proto == IP_TCP) return 20;
  if (proto == IP_UDP || proto == IP_ICMPV6) return 8;
  return 0;
}

bool l4_ok6(const Ctx& c, const parse::Chain& chain, Ip4& ip) {
  uint32_t l4 = c.meta[meta::L4_OFF];
  uint32_t need = l4_min6(ip.proto);
  if (need == 0 || chain.nonfirst) {
    ip.l4 = 0;
    return l4 == 0;
  }
  if (l4 != ip.l3 + chain.upper || ip.end - l4 < need) return false;
  if (ip.proto == IP_TCP) {
    uint32_t thl = (c.frame[l4 + 12] >> 4) * 4u;
    if (thl < 20 || l4 + thl > ip.end) return false;
  }
  ip.l4 = l4;
  return true;
}

}  // namespace

void set_addr6(const Ctx& c, const Ip4& ip, End end, const uint8_t* addr) {
  uint8_t* at = c.frame + ip.l3 + (end == End::SRC ? 8 : 24);
  uint8_t old[16];
  bool same = true;
  for (int i = 0; i < 16; ++i) {
    old[i] = at[i];
    same = same && at[i] == addr[i];
  }
  if (same) return;
  for (int i = 0; i < 16; ++i) at[i] = addr[i];
  csum::Field kind;
  if (uint8_t* f = l4_check_field(c, ip, kind)) csum::l4_addr6(f, kind, old, addr);
}

bool verdict_addr6(const Ctx& c, uint32_t word0, uint8_t* out) {
  uint32_t any = 0;
  for (uint32_t i = 0; i < 4; ++i) {
    wr32(out + 4 * i, c.v[word0 + i]);
    any |= c.v[word0 + i];
  }
  return any != 0;
}

bool ip6_view(const Ctx& c, Ip4& ip) {
  const uint32_t* m = c.meta;
  if (m[meta::ERROR] != 0 || m[meta::KIND] != static_cast<uint32_t>(FrameKind::IPV6)) return false;
  if (m[meta::LEN] != c.len) return false;
  ip.l3 = m[meta::L3_OFF];
  if ((ip.l3 != 14 && ip.l3 != 18) || c.len < ip.l3 + 40) return false;
  const uint8_t* h = c.frame + ip.l3;
  uint32_t total = 40u + rd16(h + 4);
  if ((h[0] >> 4) != 6 || ip.l3 + total > c.len) return false;
  parse::Chain chain;
  if (parse::walk_chain(h, total, chain) != 0) return false;
  ip.ihl = chain.upper;
  ip.end = ip.l3 + total;
  ip.proto = chain.proto;
  if (!l4_ok6(c, chain, ip)) return false;
  ip.partial = vnet_partial(c.vnet);
  if (!ip.partial) return true;
  uint32_t field = ip.proto == IP_TCP ? 16u : ip.proto == IP_UDP ? 6u : 0u;
  return ip.l4 != 0 && field != 0 && c.vnet.csum_start == ip.l4 && c.vnet.csum_offset == field;
}

bool is_icmp6_error(const Ctx& c, const Ip4& ip) {
  if (ip.proto != IP_ICMPV6 || ip.l4 == 0) return false;
  uint8_t type = c.frame[ip.l4];
  return type >= 1 && type <= 4;
}

RewriteError routed6(Ctx& c, bool src, bool dst) {
  Ip4 ip;
  if (!ip6_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  if (is_icmp6_error(c, ip)) return icmp6_nat(c, ip, src, dst);
  const uint32_t* v = c.v;
  bool ports = ip.l4 != 0 && (ip.proto == IP_TCP || ip.proto == IP_UDP);
  uint8_t new_src[16], new_dst[16];
  bool have_src = verdict_addr6(c, verdict::SRC_IP6_0, new_src);
  bool have_dst = verdict_addr6(c, verdict::DST_IP6_0, new_dst);
  if ((src && (!have_src || (ports && (v[verdict::SRC_PORT] - 1) > 0xfffe))) ||
      (dst && (!have_dst || (ports && (v[verdict::DST_PORT] - 1) > 0xfffe)))) {
    return RewriteError::BAD_VERDICT;  // addresses must be set, ports in 1..65535
  }
  if (too_big(c, ip.end - ip.l3, c.egress.mtu)) return RewriteError::TOO_BIG;
  uint8_t* h = c.frame + ip.l3;
  if (h[7] <= 1) return RewriteError::NOT_APPLICABLE;  // hop limit would reach 0
  h[7] = static_cast<uint8_t>(h[7] - 1);
  if (src) {
    set_addr6(c, ip, End::SRC, new_src);
    set_port(c, ip, End::SRC, static_cast<uint16_t>(v[verdict::SRC_PORT]));
  }
  if (dst) {
    set_addr6(c, ip, End::DST, new_dst);
    set_port(c, ip, End::DST, static_cast<uint16_t>(v[verdict::DST_PORT]));
  }
  return send_routed(c, ip);
}

}  // namespace director::core::rw
