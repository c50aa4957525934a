// ICMP errors the director originates about a frame it cannot forward: fragmentation needed
// (type 3 code 4, carrying the MTU) and time exceeded (type 11 code 0). The reply goes back to
// the frame's sender (Ethernet dst = the frame's source MAC, IP src = the egress port's
// address) and quotes as much of the offending packet as fits in 576 bytes (RFC 1812 section 4.3.2, part 3,
// as Linux icmp_send does). The quote is the body, taken from the frame without copying.
// Never sent (RFC 1812 section 4.3.2, part 7) about an ICMP error, a non-first fragment, or a packet from or
// to a non-unicast address. An IPv6 frame gets the ICMPv6 counterpart (icmp6_reply.cc).
#include "core/bytes.h"
#include "core/tun_head.h"

namespace director::core::rw {

namespace {

constexpr uint32_t ICMP_MAX = 576;  // IP datagram size limit for the whole error
constexpr uint32_t REPLY_HDR = 20 + 8;

bool unicast(uint32_t a) {
  uint32_t top = a >> 24;
  return a != 0 && a != 0xffffffffu && top != 127 && top < 224;
}

bool is_icmp_error(const Ctx& c, const Ip4& ip) {
  if (ip.proto != 1 || ip.l4 == 0) return ip.proto == 1;  // unreadable ICMP: treat as error
  uint8_t type = c.frame[ip.l4];
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

RewriteError icmp_reply(Ctx& c, uint8_t type, uint8_t code, uint32_t rest) {
  Ip4 ip;
  if (!ip4_view(c, ip) || c.egress.ip == 0) return RewriteError::NOT_APPLICABLE;
  const uint8_t* h = c.frame + ip.l3;
  if ((rd16(h + 6) & 0x1fff) != 0 || is_icmp_error(c, ip)) return RewriteError::NOT_APPLICABLE;
  if (!unicast(rd32(h + 12)) || !unicast(rd32(h + 16))) return RewriteError::NOT_APPLICABLE;
  uint32_t limit = ICMP_MAX;
  if (c.egress.mtu != 0 && c.egress.mtu < limit) limit = c.egress.mtu;
  if (limit < REPLY_HDR + ip.ihl + 8) return RewriteError::TOO_BIG;
  uint32_t quote = ip.end - ip.l3;
  if (quote > limit - REPLY_HDR) quote = limit - REPLY_HDR;
  uint8_t* head = scratch(c, ip.l3 + REPLY_HDR);
  if (!head) return RewriteError::TOO_MANY_SEGMENTS;
  for (uint32_t i = 0; i < ip.l3; ++i) head[i] = c.frame[i];  // keeps the VLAN tag
  for (int i = 0; i < 6; ++i) head[i] = c.frame[6 + i];
  for (int i = 0; i < 6; ++i) head[6 + i] = c.egress.mac[i];
  uint8_t* o = head + ip.l3;
  o[0] = 0x45;
  o[1] = 0xc0;  // IPTOS_PREC_INTERNETCONTROL, as Linux marks ICMP errors
  wr16(o + 2, REPLY_HDR + quote);
  wr16(o + 4, derived_ip_id(rd32(h + 12), rd16(h + 4)));
  wr16(o + 6, 0);
  o[8] = 64;
  o[9] = 1;
  wr32(o + 12, c.egress.ip);
  wr32(o + 16, rd32(h + 12));
  csum::ip_header_fill(o, 20);
  uint8_t* icmp = o + 20;
  icmp[0] = type;
  icmp[1] = code;
  wr16(icmp + 2, 0);
  wr32(icmp + 4, rest);
  wr16(icmp + 2, csum::compute(h, quote, csum::add_bytes(icmp, 8)));
  if (!emit(c, VnetHdr{}, head, ip.l3 + REPLY_HDR, h, quote)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace

RewriteError icmp_frag_needed(Ctx& c) {
  if (c.meta[meta::KIND] == static_cast<uint32_t>(FrameKind::IPV6)) return icmp6_packet_too_big(c);
  uint32_t mtu = c.v[verdict::MTU] ? c.v[verdict::MTU] : c.egress.mtu;
  if (mtu < 68 || mtu > 0xffff) return RewriteError::BAD_VERDICT;
  return icmp_reply(c, 3, 4, mtu);
}

RewriteError icmp_time_exceeded(Ctx& c) {
  if (c.meta[meta::KIND] == static_cast<uint32_t>(FrameKind::IPV6)) return icmp6_time_exceeded(c);
  return icmp_reply(c, 11, 0, 0);
}

}  // namespace director::core::rw
