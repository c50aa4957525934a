// Sequence-number translation of a SYN-proxied or FULLNAT TCP connection (see tcp_seq.h).
#include "core/tcp_seq.h"

#include "core/bytes.h"

namespace director::core::rw {

namespace {
constexpr uint8_t kTcpSyn = 0x02, kTcpAck = 0x10;
constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptSack = 5, kOptTimestamp = 8;

// Replaces the 32 bits at tcp + at, carrying the change into the L4 checksum field (a partial
// seed covers no segment bytes, so it stays as it is). The checksum sums 16-bit words from the
// TCP header's start, and a SACK edge may sit at an odd offset (after a single NOP): the
// update goes word by word over the aligned words the 4 bytes touch.
void set32(uint8_t* tcp, uint32_t at, uint32_t to, uint8_t* check, csum::Field kind) {
  uint32_t first = at & ~1u;
  uint32_t words = (at + 4 + 1 - first) / 2;  // 2, or 3 when at is odd
  uint16_t before[3];
  for (uint32_t k = 0; k < words; ++k) before[k] = rd16(tcp + first + 2 * k);
  wr32(tcp + at, to);
  if (!check) return;
  for (uint32_t k = 0; k < words; ++k) csum::l4_word(check, kind, before[k], rd16(tcp + first + 2 * k));
}

// Overwrites n option bytes at tcp + at with NOPs, word by word as set32 (at may be odd; the
// header's length is a multiple of 4, so the last word touched is still inside it).
void nops(uint8_t* tcp, uint32_t at, uint32_t n, uint8_t* check, csum::Field kind) {
  for (uint32_t w = at & ~1u; w < at + n; w += 2) {
    uint16_t before = rd16(tcp + w);
    for (uint32_t b = w; b < w + 2; ++b) {
      if (b >= at && b < at + n) tcp[b] = kOptNop;
    }
    if (check) csum::l4_word(check, kind, before, rd16(tcp + w));
  }
}

// Walks the options of a header of thl bytes, calling f(offset from tcp, kind, length) for each
// well-formed option with a length byte; stops at the end-of-list or a malformed length.
template <typename F>
void each_option(uint8_t* tcp, uint32_t thl, F f) {
  const uint8_t* o = tcp + 20;
  uint32_t n = thl - 20;
  for (uint32_t i = 0; i < n;) {
    if (o[i] == kOptEnd) return;
    if (o[i] == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) return;
    uint32_t len = o[i + 1];
    f(20 + i, o[i], len);
    i += len;
  }
}

// SACK blocks acknowledge the other side's bytes as the sender numbers them.
void sack_edges(uint8_t* tcp, uint32_t thl, uint32_t delta, uint8_t* check, csum::Field kind) {
  each_option(tcp, thl, [&](uint32_t at, uint8_t opt, uint32_t len) {
    if (opt != kOptSack || (len - 2) % 8 != 0) return;
    for (uint32_t e = at + 2; e < at + len; e += 4) set32(tcp, e, rd32(tcp + e) - delta, check, kind);
  });
}

// A client's SYN toward the real server without its timestamp option: with none, the real
// server keeps no timestamp for the connection, and PAWS cannot refuse a later SYN on the same
// tuple while it is in TIME_WAIT (Alibaba's FULLNAT removes it for the same reason).
void strip_timestamp(uint8_t* tcp, uint32_t thl, uint8_t* check, csum::Field kind) {
  each_option(tcp, thl, [&](uint32_t at, uint8_t opt, uint32_t len) {
    if (opt == kOptTimestamp) nops(tcp, at, len, check, kind);
  });
}
// The two sides may scale windows differently (the proxy offered the client its own shift);
// a SYN's window is never scaled (RFC 7323).
void rescale_window(const Ctx& c, uint8_t* tcp, uint8_t* check, csum::Field kind) {
  uint32_t w = c.v[verdict::WINDOW];
  if (w == 0 || (tcp[13] & kTcpSyn)) return;
  uint32_t left = w & 0xff, right = (w >> 8) & 0xff;
  if (left > 14 || right > 14) return;
  uint16_t from = rd16(tcp + 14);
  uint32_t to = (static_cast<uint32_t>(from) << left) >> right;
  if (to > 0xffff) to = 0xffff;
  wr16(tcp + 14, to);
  if (check) csum::l4_word(check, kind, from, static_cast<uint16_t>(to));
}
}  // namespace

void translate_seq(const Ctx& c, const Ip4& ip) {
  if (c.v[verdict::SEQ_MODE] != static_cast<uint32_t>(SeqMode::TRANSLATE)) return;
  if (ip.proto != 6 || ip.l4 == 0) return;
  uint8_t* tcp = c.frame + ip.l4;
  uint32_t delta = c.v[verdict::SEQ_DELTA];
  csum::Field kind = csum::Field::FULL;
  uint8_t* check = l4_check_field(c, ip, kind);
  rescale_window(c, tcp, check, kind);
  uint32_t client = c.v[verdict::CLIENT_DELTA];
  uint32_t thl = (tcp[12] >> 4) * 4u;
  if (c.v[verdict::DIRECTION] == static_cast<uint32_t>(Direction::OUT)) {
    set32(tcp, 4, rd32(tcp + 4) + delta, check, kind);
    if (client == 0) return;
    if (tcp[13] & kTcpAck) set32(tcp, 8, rd32(tcp + 8) - client, check, kind);
    sack_edges(tcp, thl, client, check, kind);
    return;
  }
  if (client != 0) set32(tcp, 4, rd32(tcp + 4) + client, check, kind);
  if (tcp[13] & kTcpSyn) strip_timestamp(tcp, thl, check, kind);
  if (tcp[13] & kTcpAck) set32(tcp, 8, rd32(tcp + 8) - delta, check, kind);
  sack_edges(tcp, thl, delta, check, kind);
}

void untranslate_quoted_seq(const Ctx& c, uint8_t* tcp, uint32_t n, uint8_t* check) {
  if (c.v[verdict::SEQ_MODE] != static_cast<uint32_t>(SeqMode::TRANSLATE) || n < 8) return;
  bool out = c.v[verdict::DIRECTION] == static_cast<uint32_t>(Direction::OUT);
  uint32_t delta = c.v[out ? verdict::CLIENT_DELTA : verdict::SEQ_DELTA];
  if (delta != 0) set32(tcp, 4, rd32(tcp + 4) - delta, check, csum::Field::FULL);
}

}  // namespace director::core::rw
