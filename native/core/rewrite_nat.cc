// NAT (LVS masquerading): client -> real server gets the real server as destination; the real
// server's reply gets the VIP:vport back as source. TTL decremented, as a router does. An ICMP
// error about the connection is rewritten the same way, its quoted packet mirrored.
#include "core/nat_edit.h"

namespace director::core::rw {

RewriteError nat_in(Ctx& c) { return routed(c, false, true); }

RewriteError nat_out(Ctx& c) { return routed(c, true, false); }

}  // namespace director::core::rw
