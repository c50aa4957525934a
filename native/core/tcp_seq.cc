// Sequence-number translation of a SYN-proxied TCP connection (see tcp_seq.h).
#include "core/tcp_seq.h"

#include "core/bytes.h"

namespace director::core::rw {

namespace {
constexpr uint8_t kTcpSyn = 0x02, kTcpAck = 0x10;
constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptSack = 5;

// Replaces the 32-bit word at p, carrying the change into the L4 checksum field (a partial
// seed covers no segment bytes, so it stays as it is).
void set32(uint8_t* p, uint32_t to, uint8_t* check, csum::Field kind) {
  uint32_t from = rd32(p);
  wr32(p, to);
  if (!check) return;
  csum::l4_word(check, kind, static_cast<uint16_t>(from >> 16), static_cast<uint16_t>(to >> 16));
  csum::l4_word(check, kind, static_cast<uint16_t>(from), static_cast<uint16_t>(to));
}

// SACK blocks acknowledge the real server's bytes as the client numbers them.
void sack_edges(uint8_t* tcp, uint32_t thl, uint32_t delta, uint8_t* check, csum::Field kind) {
  uint8_t* o = tcp + 20;
  uint32_t n = thl - 20;
  for (uint32_t i = 0; i < n;) {
    if (o[i] == kOptEnd) return;
    if (o[i] == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) return;
    uint32_t len = o[i + 1];
    if (o[i] == kOptSack && (len - 2) % 8 == 0) {
      for (uint32_t at = i + 2; at < i + len; at += 4) set32(o + at, rd32(o + at) - delta, check, kind);
    }
    i += len;
  }
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
  if (c.v[verdict::DIRECTION] == static_cast<uint32_t>(Direction::OUT)) {
    set32(tcp + 4, rd32(tcp + 4) + delta, check, kind);
    return;
  }
  if (tcp[13] & kTcpAck) set32(tcp + 8, rd32(tcp + 8) - delta, check, kind);
  sack_edges(tcp, (tcp[12] >> 4) * 4u, delta, check, kind);
}

}  // namespace director::core::rw
