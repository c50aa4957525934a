// The IPIP encapsulation header as IPVS builds it (rules and sources in tun_head.h).
#include "core/tun_head.h"

#include <cstring>

#include "core/bytes.h"
#include "core/flow_hash.h"

namespace director::core::rw {

uint16_t derived_ip_id(uint32_t a, uint32_t b) {
  // A fixed key: the core keeps no state, and an ID needs to vary, not to resist collisions.
  constexpr FlowKey kIdKey{0x5eed1d00u, 0x1d5eed00u};
  uint32_t h = flow_hash(kIdKey, 4, a, 0, b, 0);
  return static_cast<uint16_t>(h ^ (h >> 16));
}

uint8_t ecn_encapsulate(uint8_t tos) {
  uint8_t ecn = tos & 3;
  return static_cast<uint8_t>((tos & ~3) | (ecn == 3 ? 2 : ecn));
}

uint32_t write_tun_head(const Ctx& c, const uint8_t* inner, uint32_t l3, uint32_t inner_total,
                        uint16_t inner_id, uint8_t* head) {
  std::memcpy(head, c.frame, l3);
  set_next_hop(c, head);
  uint8_t* o = head + l3;
  bool df = (inner[6] & 0x40) != 0;
  o[0] = 0x45;
  o[1] = ecn_encapsulate(inner[1]);
  wr16(o + 2, OUTER_IP_LEN + inner_total);
  wr16(o + 4, df ? 0 : derived_ip_id(rd32(inner + 12), inner_id));
  wr16(o + 6, df ? 0x4000 : 0);
  o[8] = inner[8];
  o[9] = 4;  // IPPROTO_IPIP
  wr32(o + 12, c.v[verdict::TUN_SRC]);
  wr32(o + 16, c.v[verdict::TUN_DST]);
  csum::ip_header_fill(o, OUTER_IP_LEN);
  return l3 + OUTER_IP_LEN;
}

}  // namespace director::core::rw
