// FULLNAT: both endpoints replaced, the same edit either way. In: client -> VIP becomes
// LIP:lport -> real server; out: real server -> LIP:lport becomes VIP:vport -> client. TTL
// decremented; an ICMP error about the connection gets its quoted packet mirrored.
#include "core/nat_edit.h"

namespace director::core::rw {

RewriteError fnat(Ctx& c) { return routed(c, true, true); }

}  // namespace director::core::rw
