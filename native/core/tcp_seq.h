// Sequence-number translation of a TCP connection whose two sides number their bytes
// differently: a SYN-proxied one (the client numbers the proxy's side from the cookie ISN, the
// real server from its own ISN) and a FULLNAT one (the real server sees the client's bytes from
// an ISN the director chose). Every segment between them is moved by the differences, its
// checksum kept right by RFC 1624.
#pragma once
#include <cstdint>

#include "core/rewrite_ctx.h"

namespace director::core::rw {

// With verdict SEQ_MODE TRANSLATE: from the client (IN) the sequence number gains CLIENT_DELTA,
// the acknowledgment (ACK set) and every SACK edge lose SEQ_DELTA (they speak of the real
// server's bytes in cookie space); from the real server (OUT) the sequence number gains
// SEQ_DELTA, the acknowledgment and SACK edges lose CLIENT_DELTA. A SYN from the client loses
// its timestamp option (overwritten with NOPs): the real server then negotiates none, so PAWS
// cannot refuse a SYN that reuses a (local address, port, real server) tuple it still holds in
// TIME_WAIT (docs/datapath.md#fullnat-sequence-numbers). The window field moves between the
// sides' window scales as verdict WINDOW says. A no-op for SeqMode NONE or a segment without a
// TCP header.
void translate_seq(const Ctx& c, const Ip4& ip);

// An ICMP or ICMPv6 error about a connection with SeqMode TRANSLATE quotes a segment that went
// the other way, numbered as the far side saw it: its sequence number goes back by the delta
// that moved it, so the sender recognises its own segment (Linux ignores an error whose quoted
// sequence number is outside its unacknowledged window). The error's DIRECTION OUT (from the
// real server leg) quotes a client segment, moved by CLIENT_DELTA; IN (from the client leg)
// quotes a real server's, moved by SEQ_DELTA. tcp: the quoted TCP header, of which n bytes are
// quoted (nothing moves unless all 4 bytes of the number are); check: the quoted TCP checksum
// field, updated by RFC 1624 as for the quoted addresses and ports, or nullptr when not quoted.
// The acknowledgment, SACK edges, window and NOPs of the quote are left as the far side saw them.
void untranslate_quoted_seq(const Ctx& c, uint8_t* tcp, uint32_t n, uint8_t* check);

}  // namespace director::core::rw
