// IPv6 golden-frame builders; checksums from native/test's reference sum only.
#include "builders6.h"

#include <arpa/inet.h>

#include <cstring>

namespace t6 {

namespace {

void append(Bytes& a, const Bytes& b) {
  size_t n = a.size();
  a.resize(n + b.size());
  if (!b.empty()) std::memcpy(a.data() + n, b.data(), b.size());
}

uint32_t pseudo_of(const Ip6& i, uint8_t proto, size_t n) {
  Bytes s = addr(i.src), d = addr(i.dst);
  uint32_t sum = 0;
  for (size_t k = 0; k < 16; k += 2) sum += uint32_t(s[k] << 8 | s[k + 1]) + uint32_t(d[k] << 8 | d[k + 1]);
  return sum + uint32_t(n >> 16) + uint32_t(n & 0xffff) + proto;
}

}  // namespace

Bytes addr(const char* text) {
  Bytes b(16, 0);
  if (inet_pton(AF_INET6, text, b.data()) != 1) std::fill(b.begin(), b.end(), 0);
  return b;
}

void words(const char* text, uint32_t out[4]) {
  Bytes b = addr(text);
  for (size_t k = 0; k < 4; ++k) out[k] = t::rd32(b, 4 * k);
}

Ext options(uint8_t type, size_t size) {
  Ext e{type, Bytes(size, 0)};
  e.bytes[1] = uint8_t(size / 8 - 1);
  e.bytes[2] = 1;  // PadN covering the rest
  e.bytes[3] = uint8_t(size - 4);
  return e;
}

Ext routing(size_t size) {
  Ext e{43, Bytes(size, 0)};
  e.bytes[1] = uint8_t(size / 8 - 1);
  return e;
}

Ext fragment(uint16_t offset, bool more, uint32_t id) {
  Ext e{44, Bytes(8, 0)};
  t::wr16(e.bytes, 2, (offset & 0xfff8u) | (more ? 1u : 0u));
  t::wr16(e.bytes, 4, id >> 16);
  t::wr16(e.bytes, 6, id);
  return e;
}

Ext raw(uint8_t type, uint8_t len_byte, size_t size) {
  Ext e{type, Bytes(size, 0)};
  if (size > 1) e.bytes[1] = len_byte;
  return e;
}

Bytes ipv6(const Ip6& i, const std::vector<Ext>& chain, uint8_t proto, const Bytes& upper) {
  Bytes payload;
  for (size_t k = 0; k < chain.size(); ++k) {
    Bytes h = chain[k].bytes;
    if (!h.empty()) h[0] = k + 1 < chain.size() ? chain[k + 1].type : proto;
    append(payload, h);
  }
  append(payload, upper);
  Bytes p(40, 0);
  p[0] = uint8_t(i.version << 4 | i.tclass >> 4);
  p[1] = uint8_t((i.tclass & 0x0f) << 4 | (i.flow >> 16 & 0x0f));
  t::wr16(p, 2, i.flow);
  t::wr16(p, 4, i.payload_len >= 0 ? uint32_t(i.payload_len) : uint32_t(payload.size()));
  p[6] = chain.empty() ? proto : chain[0].type;
  p[7] = i.hop;
  Bytes s = addr(i.src), d = addr(i.dst);
  std::memcpy(p.data() + 8, s.data(), 16);
  std::memcpy(p.data() + 24, d.data(), 16);
  append(p, payload);
  return p;
}

Bytes tcp_segment(const Ip6& i, const t::Tcp& s) {
  size_t hl = 20 + s.options.size();
  Bytes b(hl, 0);
  t::wr16(b, 0, s.sport);
  t::wr16(b, 2, s.dport);
  t::wr16(b, 4, s.seq >> 16);
  t::wr16(b, 6, s.seq);
  t::wr16(b, 8, s.ack >> 16);
  t::wr16(b, 10, s.ack);
  b[12] = uint8_t((s.data_off >= 0 ? s.data_off : int(hl / 4)) << 4);
  b[13] = s.flags;
  t::wr16(b, 14, s.window);
  if (!s.options.empty()) std::memcpy(b.data() + 20, s.options.data(), s.options.size());
  append(b, s.payload);
  t::wr16(b, 16, t::ref_checksum(b.data(), b.size(), pseudo_of(i, 6, b.size())));
  return b;
}

Bytes udp_datagram(const Ip6& i, const t::Udp& u) {
  Bytes b(8, 0);
  t::wr16(b, 0, u.sport);
  t::wr16(b, 2, u.dport);
  t::wr16(b, 4, uint32_t(8 + u.payload.size()));
  append(b, u.payload);
  if (u.checksum) {
    uint16_t c = t::ref_checksum(b.data(), b.size(), pseudo_of(i, 17, b.size()));
    t::wr16(b, 6, c == 0 ? 0xffff : c);
  }
  return b;
}

Bytes icmp6(const Ip6& i, uint8_t type, uint8_t code, uint32_t rest, const Bytes& body) {
  Bytes b(8, 0);
  b[0] = type;
  b[1] = code;
  t::wr16(b, 4, rest >> 16);
  t::wr16(b, 6, rest);
  append(b, body);
  t::wr16(b, 2, t::ref_checksum(b.data(), b.size(), pseudo_of(i, 58, b.size())));
  return b;
}

Bytes tcp_frame(const t::Eth& e, const Ip6& i, const t::Tcp& s, const std::vector<Ext>& chain) {
  return t::ethernet(e, 0x86dd, ipv6(i, chain, 6, tcp_segment(i, s)));
}

Bytes udp_frame(const t::Eth& e, const Ip6& i, const t::Udp& u, const std::vector<Ext>& chain) {
  return t::ethernet(e, 0x86dd, ipv6(i, chain, 17, udp_datagram(i, u)));
}

Bytes icmp6_frame(const t::Eth& e, const Ip6& i, const Bytes& icmp, const std::vector<Ext>& chain) {
  return t::ethernet(e, 0x86dd, ipv6(i, chain, 58, icmp));
}

uint32_t pseudo(const Bytes& f, size_t l3, uint8_t proto, uint32_t n) {
  uint32_t sum = 0;
  for (size_t k = 8; k < 40; k += 2) sum += t::rd16(f, l3 + k);
  return sum + (n >> 16) + (n & 0xffff) + proto;
}

bool l4_ok(const Bytes& f, size_t l3, size_t l4, uint8_t proto) {
  size_t end = l3 + 40 + t::rd16(f, l3 + 4);
  uint32_t n = uint32_t(end - l4);
  return t::ref_checksum(f.data() + l4, n, pseudo(f, l3, proto, n)) == 0;
}

}  // namespace t6
