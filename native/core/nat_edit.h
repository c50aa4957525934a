// Address, port and TTL edits of an IPv4 frame in place, each keeping the IP header checksum and
// the L4 checksum right by RFC 1624 (or keeping a CHECKSUM_PARTIAL seed right).
#pragma once
#include <cstdint>

#include "core/rewrite_ctx.h"

namespace director::core::rw {

// Which endpoint of the packet an edit replaces.
enum class End : uint8_t { SRC, DST };

void set_addr(const Ctx& c, const Ip4& ip, End end, uint32_t addr);
// No-op when the frame carries no TCP/UDP ports (ICMP, other protocols, non-first fragments).
void set_port(const Ctx& c, const Ip4& ip, End end, uint16_t port);
// Decrements the TTL; false (frame untouched) when it would reach 0.
bool dec_ttl(const Ctx& c, const Ip4& ip);

// The four NAT flavours differ only in which endpoints change: the routed rewrite shared by
// NAT_IN/NAT_OUT/FNAT_IN/FNAT_OUT. Checks, edits, TTL, next hop, one frame out.
RewriteError nat_forward(Ctx& c, bool src, bool dst);

}  // namespace director::core::rw
