// Address, port and TTL edits of an IPv4 frame in place, each keeping the IP header checksum and
// the L4 checksum right by RFC 1624 (or keeping a CHECKSUM_PARTIAL seed right).
#include "core/nat_edit.h"

#include "core/bytes.h"
#include "core/tcp_seq.h"

namespace director::core::rw {

void set_addr(const Ctx& c, const Ip4& ip, End end, uint32_t addr) {
  uint8_t* h = c.frame + ip.l3;
  uint8_t* at = h + (end == End::SRC ? 12 : 16);
  uint32_t old = rd32(at);
  if (old == addr) return;
  wr32(at, addr);
  wr16(h + 10, csum::update32(rd16(h + 10), old, addr));
  csum::Field kind;
  if (uint8_t* f = l4_check_field(c, ip, kind)) csum::l4_addr(f, kind, old, addr);
}

void set_port(const Ctx& c, const Ip4& ip, End end, uint16_t port) {
  if (ip.l4 == 0 || (ip.proto != 6 && ip.proto != 17)) return;
  uint8_t* at = c.frame + ip.l4 + (end == End::SRC ? 0 : 2);
  uint16_t old = rd16(at);
  if (old == port) return;
  wr16(at, port);
  csum::Field kind;
  if (uint8_t* f = l4_check_field(c, ip, kind)) csum::l4_word(f, kind, old, port);
}

bool dec_ttl(const Ctx& c, const Ip4& ip) {
  uint8_t* h = c.frame + ip.l3;
  if (h[8] <= 1) return false;
  uint16_t old = rd16(h + 8);
  h[8] = static_cast<uint8_t>(h[8] - 1);
  wr16(h + 10, csum::update16(rd16(h + 10), old, rd16(h + 8)));
  return true;
}

bool is_icmp_error(const Ctx& c, const Ip4& ip) {
  if (ip.proto != 1 || ip.l4 == 0 || ip.end - ip.l4 < 8) return false;
  uint8_t type = c.frame[ip.l4];
  return type == 3 || type == 11 || type == 12;
}

RewriteError routed(Ctx& c, bool src, bool dst) {
  if (c.meta[meta::KIND] == static_cast<uint32_t>(FrameKind::IPV6)) return routed6(c, src, dst);
  Ip4 ip;
  if (!ip4_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  if (is_icmp_error(c, ip)) return icmp_nat(c, ip, src, dst);
  const uint32_t* v = c.v;
  bool ports = ip.l4 != 0 && (ip.proto == 6 || ip.proto == 17);
  if ((src && (v[verdict::SRC_IP] == 0 || (ports && (v[verdict::SRC_PORT] - 1) > 0xfffe))) ||
      (dst && (v[verdict::DST_IP] == 0 || (ports && (v[verdict::DST_PORT] - 1) > 0xfffe)))) {
    return RewriteError::BAD_VERDICT;  // addresses must be set, ports in 1..65535
  }
  if (too_big(c, ip.end - ip.l3, c.egress.mtu)) return RewriteError::TOO_BIG;
  if (!dec_ttl(c, ip)) return RewriteError::NOT_APPLICABLE;  // TS answers time-exceeded instead
  if (src) {
    set_addr(c, ip, End::SRC, v[verdict::SRC_IP]);
    set_port(c, ip, End::SRC, static_cast<uint16_t>(v[verdict::SRC_PORT]));
  }
  if (dst) {
    set_addr(c, ip, End::DST, v[verdict::DST_IP]);
    set_port(c, ip, End::DST, static_cast<uint16_t>(v[verdict::DST_PORT]));
  }
  return send_routed(c, ip);
}

RewriteError send_routed(Ctx& c, const Ip4& ip) {
  translate_seq(c, ip);
  VnetHdr vnet = complete_partial_tcp(c, ip) ? VnetHdr{} : c.vnet;
  set_next_hop(c, c.frame);
  // The datagram without any Ethernet padding or trailer, as a router forwards it: a checksum the
  // kernel completes covers every byte sent, and GSO counts them all as segment payload.
  if (!emit(c, vnet, nullptr, 0, c.frame, ip.end)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace director::core::rw
