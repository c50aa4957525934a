// Answers an ICMP echo request to an address the director owns in place, as the kernel of an
// IPVS director answers pings to its VIPs: addresses and MACs swapped, type 8 -> 0, fresh TTL.
// An ICMPv6 echo request (type 128) the same way: type 129, hop limit 64; swapping the
// addresses leaves the pseudo-header sum unchanged, so only the type changes the checksum.
#include <cstring>

#include "core/bytes.h"
#include "core/rewrite_ctx.h"

namespace director::core::rw {

namespace {

constexpr uint8_t kEchoTtl = 64;

// Swaps the n-byte source and destination addresses at src and dst.
void swap_addresses(uint8_t* src, uint8_t* dst, size_t n) {
  uint8_t held[16];
  std::memcpy(held, src, n);
  std::memcpy(src, dst, n);
  std::memcpy(dst, held, n);
}

// Sends the answer built in place back to the requester's MAC from the egress port's.
RewriteError back_to_sender(Ctx& c, uint32_t end) {
  uint8_t requester[6];
  std::memcpy(requester, c.frame + 6, 6);
  std::memcpy(c.frame, requester, 6);
  std::memcpy(c.frame + 6, c.egress.mac, 6);
  VnetHdr plain{};
  if (!emit(c, plain, nullptr, 0, c.frame, end)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace

static RewriteError icmp6_echo_reply(Ctx& c) {
  Ip4 ip;
  if (!ip6_view(c, ip) || ip.proto != 58 || ip.l4 == 0 || ip.partial) return RewriteError::NOT_APPLICABLE;
  uint8_t* h = c.frame + ip.l3;
  uint8_t* icmp = c.frame + ip.l4;
  // Only a plain packet to a unicast address: no extension headers to answer about (a fragment
  // would need reassembly), never from the unspecified or a multicast address.
  if (ip.ihl != 40 || ip.end - ip.l4 < 8 || icmp[0] != 128 || icmp[1] != 0 || h[8] == 0xff || h[24] == 0xff) {
    return RewriteError::NOT_APPLICABLE;
  }
  swap_addresses(h + 8, h + 24, 16);
  h[7] = kEchoTtl;
  wr16(icmp + 2, csum::update16(rd16(icmp + 2), 0x8000, 0x8100));
  icmp[0] = 129;
  return back_to_sender(c, ip.end);
}

RewriteError icmp_echo_reply(Ctx& c) {
  if (c.meta[meta::KIND] == static_cast<uint32_t>(FrameKind::IPV6)) return icmp6_echo_reply(c);
  Ip4 ip;
  if (!ip4_view(c, ip) || ip.proto != 1 || ip.l4 == 0 || ip.partial) return RewriteError::NOT_APPLICABLE;
  uint8_t* h = c.frame + ip.l3;
  uint8_t* icmp = c.frame + ip.l4;
  // Fragmented echo requests would need reassembly to answer; they are refused.
  if ((rd16(h + 6) & 0x3fff) != 0 || ip.end - ip.l4 < 8 || icmp[0] != 8 || icmp[1] != 0) {
    return RewriteError::NOT_APPLICABLE;
  }
  swap_addresses(h + 12, h + 16, 4);
  h[8] = kEchoTtl;
  csum::ip_header_fill(h, ip.ihl);
  wr16(icmp + 2, csum::update16(rd16(icmp + 2), 0x0800, 0x0000));
  icmp[0] = 0;
  return back_to_sender(c, ip.end);
}

}  // namespace director::core::rw
