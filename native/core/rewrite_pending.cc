// Handlers not written yet (issue 3 follow-up in this same series): each refuses the verdict
// with BAD_VERDICT, so a caller sees a clear error instead of a wrong frame.
#include "core/rewrite_ctx.h"

namespace director::core::rw {

RewriteError forward_tun(Ctx&) { return RewriteError::BAD_VERDICT; }
RewriteError icmp_nat_in(Ctx&) { return RewriteError::BAD_VERDICT; }
RewriteError icmp_nat_out(Ctx&) { return RewriteError::BAD_VERDICT; }
RewriteError icmp_frag_needed(Ctx&) { return RewriteError::BAD_VERDICT; }
RewriteError icmp_time_exceeded(Ctx&) { return RewriteError::BAD_VERDICT; }

}  // namespace director::core::rw
