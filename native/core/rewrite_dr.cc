// Direct routing: the frame leaves unchanged but for its MACs (next hop's destination, egress
// port's source); the vnet header passes through so the kernel finishes checksums and segments.
#include "core/rewrite_ctx.h"

namespace director::core::rw {

RewriteError forward_dr(Ctx& c) {
  uint32_t l3 = c.meta[meta::L3_OFF];
  if (c.len < 14 || l3 > c.len) return RewriteError::NOT_APPLICABLE;
  if (too_big(c, c.len - (l3 ? l3 : 14), c.egress.mtu)) return RewriteError::TOO_BIG;
  set_next_hop(c, c.frame);
  if (!emit(c, c.vnet, nullptr, 0, c.frame, c.len)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace director::core::rw
