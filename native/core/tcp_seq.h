// Sequence-number translation of a SYN-proxied TCP connection: the client numbers the proxy's
// side from the cookie ISN, the real server from its own ISN, and every segment between them
// is moved by the difference, its checksum kept right by RFC 1624.
#pragma once
#include <cstdint>

#include "core/rewrite_ctx.h"

namespace director::core::rw {

// With verdict SEQ_MODE TRANSLATE: from the client (IN) the acknowledgment and every SACK edge
// lose SEQ_DELTA (they speak of the real server's bytes in cookie space); from the real server
// (OUT) the sequence number gains it; the window field moves between the sides' window scales
// as verdict WINDOW says. The client's own numbers are the same on both sides. A no-op for
// SeqMode NONE or a segment without a TCP header.
void translate_seq(const Ctx& c, const Ip4& ip);

}  // namespace director::core::rw
