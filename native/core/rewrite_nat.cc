// NAT (LVS masquerading): client -> real server gets the real server as destination; the real
// server's reply gets the VIP:vport back as source. TTL decremented, as a router does.
#include "core/nat_edit.h"

namespace director::core::rw {

RewriteError forward_nat_in(Ctx& c) { return nat_forward(c, false, true); }

RewriteError forward_nat_out(Ctx& c) { return nat_forward(c, true, false); }

}  // namespace director::core::rw
