// ICMPv6 errors the director originates about an IPv6 frame it cannot forward: Packet Too Big
// (type 2, carrying the MTU) and Time Exceeded (type 3 code 0, hop limit exceeded in transit),
// built as Linux icmp6_send builds them: back to the frame's sender (Ethernet dst = its source
// MAC), hop limit 64, traffic class 0, flow label 0 (Linux may hash one; 0 is always allowed),
// quoting as much of the offending packet as fits a 1280-byte message (RFC 4443 2.4(c)). The
// source is the verdict's SRC_IP6 when set, else the address the packet was sent to (the VIP: a
// local address, which is what Linux answers from). Never sent (RFC 4443 2.4(e)) about an ICMPv6
// error or redirect, from or to a non-unicast address, and Packet Too Big not about a later
// fragment (as IPVS).
#include <cstring>

#include "core/bytes.h"
#include "core/parse_parts.h"
#include "core/rewrite_ctx.h"

namespace director::core::rw {

namespace {

constexpr uint32_t IPV6_MIN_MTU = 1280;
constexpr uint32_t REPLY_HDR = 40 + 8;
constexpr uint8_t IP_ICMPV6 = 58, HOP_LIMIT = 64;

bool unicast6(const uint8_t* a) {
  if (a[0] == 0xff) return false;  // multicast
  uint32_t tail = 0;
  for (int i = 0; i < 15; ++i) tail |= a[i];
  return tail != 0 || a[15] > 1;   // not :: or ::1
}

// An ICMPv6 error or redirect, or an ICMPv6 message whose header this frame does not hold.
bool is_error_or_unreadable(const Ctx& c, const Ip4& ip) {
  if (ip.proto != IP_ICMPV6) return false;
  if (ip.l4 == 0) return true;
  uint8_t type = c.frame[ip.l4];
  return type < 128 || type == 137;
}

RewriteError icmp6_reply(Ctx& c, uint8_t type, uint32_t rest, bool first_only) {
  Ip4 ip;
  if (!ip6_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  const uint8_t* h = c.frame + ip.l3;
  if (is_error_or_unreadable(c, ip)) return RewriteError::NOT_APPLICABLE;
  if (first_only) {  // from the bytes, not meta (TypeScript's memory); ip6_view walked it fine
    parse::Chain chain;
    if (parse::walk_chain(h, ip.end - ip.l3, chain) != 0 || chain.nonfirst) return RewriteError::NOT_APPLICABLE;
  }
  uint8_t src[16];
  if (!verdict_addr6(c, verdict::SRC_IP6_0, src)) std::memcpy(src, h + 24, 16);
  if (!unicast6(src) || !unicast6(h + 8)) return RewriteError::NOT_APPLICABLE;
  uint32_t limit = IPV6_MIN_MTU;
  if (c.egress.mtu != 0 && c.egress.mtu < limit) limit = c.egress.mtu;
  if (limit < REPLY_HDR + 40) return RewriteError::TOO_BIG;
  uint32_t quote = ip.end - ip.l3;
  if (quote > limit - REPLY_HDR) quote = limit - REPLY_HDR;
  uint8_t* head = scratch(c, ip.l3 + REPLY_HDR);
  if (!head) return RewriteError::TOO_MANY_SEGMENTS;
  std::memcpy(head, c.frame, ip.l3);  // keeps the VLAN tag and the IPv6 ethertype
  for (int i = 0; i < 6; ++i) head[i] = c.frame[6 + i];
  for (int i = 0; i < 6; ++i) head[6 + i] = c.egress.mac[i];
  uint8_t* o = head + ip.l3;
  wr32(o, 0x60000000u);
  wr16(o + 4, 8 + quote);
  o[6] = IP_ICMPV6;
  o[7] = HOP_LIMIT;
  std::memcpy(o + 8, src, 16);
  std::memcpy(o + 24, h + 8, 16);
  uint8_t* icmp = o + 40;
  icmp[0] = type;
  icmp[1] = 0;
  wr16(icmp + 2, 0);
  wr32(icmp + 4, rest);
  uint64_t acc = csum::add_bytes(icmp, 8, csum::pseudo6(o + 8, o + 24, IP_ICMPV6, 8 + quote));
  wr16(icmp + 2, csum::compute(h, quote, acc));
  if (!emit(c, VnetHdr{}, head, ip.l3 + REPLY_HDR, h, quote)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace

RewriteError icmp6_packet_too_big(Ctx& c) {
  uint32_t mtu = c.v[verdict::MTU] ? c.v[verdict::MTU] : c.egress.mtu;
  if (mtu == 0) return RewriteError::BAD_VERDICT;
  // A path below the IPv6 minimum is announced as the minimum, as Linux's forwarding and
  // tunnels do (hosts ignore smaller values, RFC 8201 and 8021).
  if (mtu < IPV6_MIN_MTU) mtu = IPV6_MIN_MTU;
  return icmp6_reply(c, 2, mtu, true);
}

RewriteError icmp6_time_exceeded(Ctx& c) { return icmp6_reply(c, 3, 0, false); }

}  // namespace director::core::rw
