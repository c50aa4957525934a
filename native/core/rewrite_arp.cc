// Turns an ARP request into its reply in place: "target IP is at the ingress port's MAC",
// addressed back to the requester.
#include <cstring>

#include "core/bytes.h"
#include "core/rewrite_ctx.h"

namespace director::core::rw {

RewriteError arp_reply(Ctx& c) {
  const uint32_t* m = c.meta;
  if (m[meta::ERROR] != 0 || m[meta::KIND] != static_cast<uint32_t>(FrameKind::ARP) ||
      m[meta::ARP_OP] != 1 || m[meta::LEN] != c.len) {
    return RewriteError::NOT_APPLICABLE;
  }
  uint32_t l3 = m[meta::L3_OFF];
  if ((l3 != 14 && l3 != 18) || c.len < l3 + 28) return RewriteError::NOT_APPLICABLE;
  uint8_t* a = c.frame + l3;
  if (rd16(a) != 1 || rd16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) return RewriteError::NOT_APPLICABLE;
  uint8_t requester_mac[6], requester_ip[4], asked_ip[4];
  std::memcpy(requester_mac, a + 8, 6);
  std::memcpy(requester_ip, a + 14, 4);
  std::memcpy(asked_ip, a + 24, 4);
  wr16(a + 6, 2);
  std::memcpy(a + 8, c.egress.mac, 6);
  std::memcpy(a + 14, asked_ip, 4);
  std::memcpy(a + 18, requester_mac, 6);
  std::memcpy(a + 24, requester_ip, 4);
  std::memcpy(c.frame, requester_mac, 6);
  std::memcpy(c.frame + 6, c.egress.mac, 6);
  VnetHdr plain{};
  if (!emit(c, plain, nullptr, 0, c.frame, c.len)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace director::core::rw
