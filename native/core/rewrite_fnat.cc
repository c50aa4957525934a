// FULLNAT: both endpoints replaced. In: client -> VIP becomes LIP:lport -> real server; out:
// real server -> LIP:lport becomes VIP:vport -> client. TTL decremented.
#include "core/nat_edit.h"

namespace director::core::rw {

RewriteError forward_fnat_in(Ctx& c) { return nat_forward(c, true, true); }

RewriteError forward_fnat_out(Ctx& c) { return nat_forward(c, true, true); }

}  // namespace director::core::rw
