// Builders of golden test frames and reference checks; every checksum here is computed from
// scratch with a plain 16-bit loop that shares no code with native/core.
#include "builders.h"

#include <cstdio>
#include <cstring>

namespace t {

uint32_t ip(const char* dotted) {
  unsigned a, b, c, d;
  if (std::sscanf(dotted, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) return 0;
  return a << 24 | b << 16 | c << 8 | d;
}

Bytes mac(const char* text) {
  unsigned x[6];
  std::sscanf(text, "%x:%x:%x:%x:%x:%x", &x[0], &x[1], &x[2], &x[3], &x[4], &x[5]);
  return Bytes{uint8_t(x[0]), uint8_t(x[1]), uint8_t(x[2]), uint8_t(x[3]), uint8_t(x[4]), uint8_t(x[5])};
}

uint16_t rd16(const Bytes& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t rd32(const Bytes& b, size_t at) { return uint32_t(rd16(b, at)) << 16 | rd16(b, at + 2); }
void wr16(Bytes& b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}
static void wr32(Bytes& b, size_t at, uint32_t v) {
  wr16(b, at, v >> 16);
  wr16(b, at + 2, v);
}
// resize + memcpy rather than insert: GCC 12 warns falsely (-Warray-bounds) on vector::insert.
static void append(Bytes& a, const Bytes& b) {
  size_t n = a.size();
  a.resize(n + b.size());
  if (!b.empty()) std::memcpy(a.data() + n, b.data(), b.size());
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 31 + seed * 7 + (i >> 8));
  return b;
}

uint16_t ref_checksum(const uint8_t* p, size_t n, uint32_t extra) {
  uint64_t s = extra;
  for (size_t i = 0; i < n; ++i) s += (i % 2 == 0) ? uint32_t(p[i]) << 8 : p[i];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}

uint32_t ref_pseudo(const uint8_t* h, uint32_t l4_len) {
  uint32_t s = 0;
  for (int i = 12; i < 20; i += 2) s += uint32_t(h[i] << 8 | h[i + 1]);
  return s + h[9] + l4_len;
}

Bytes ethernet(const Eth& e, uint16_t type, const Bytes& payload) {
  Bytes f = mac(e.dst);
  append(f, mac(e.src));
  if (e.vlan >= 0) {
    f.push_back(0x81);
    f.push_back(0x00);
    f.push_back(uint8_t(e.vlan >> 8));
    f.push_back(uint8_t(e.vlan));
  }
  f.push_back(uint8_t(type >> 8));
  f.push_back(uint8_t(type));
  append(f, payload);
  return f;
}

Bytes ipv4(const Ip& i, uint8_t proto, const Bytes& payload) {
  size_t hl = 20 + i.options.size();
  Bytes h(hl, 0);
  h[0] = uint8_t(i.version << 4 | (i.ihl >= 0 ? i.ihl : int(hl / 4)));
  h[1] = i.tos;
  wr16(h, 2, i.total_len >= 0 ? uint32_t(i.total_len) : uint32_t(hl + payload.size()));
  wr16(h, 4, i.id);
  wr16(h, 6, (i.df ? 0x4000u : 0u) | (i.mf ? 0x2000u : 0u) | (i.frag_off / 8u));
  h[8] = i.ttl;
  h[9] = proto;
  wr32(h, 12, ip(i.src));
  wr32(h, 16, ip(i.dst));
  if (!i.options.empty()) std::memcpy(h.data() + 20, i.options.data(), i.options.size());
  wr16(h, 10, i.checksum >= 0 ? uint32_t(i.checksum) : ref_checksum(h.data(), hl));
  append(h, payload);
  return h;
}

static uint32_t pseudo_of(const Ip& i, uint8_t proto, size_t len) {
  Bytes h(20, 0);
  h[9] = proto;
  wr32(h, 12, ip(i.src));
  wr32(h, 16, ip(i.dst));
  return ref_pseudo(h.data(), uint32_t(len));
}

Bytes tcp_segment(const Ip& i, const Tcp& t) {
  Bytes s(20 + t.options.size(), 0);
  wr16(s, 0, t.sport);
  wr16(s, 2, t.dport);
  wr32(s, 4, t.seq);
  wr32(s, 8, t.ack);
  s[12] = uint8_t((t.data_off >= 0 ? t.data_off : int(s.size() / 4)) << 4);
  s[13] = t.flags;
  wr16(s, 14, t.window);
  if (!t.options.empty()) std::memcpy(s.data() + 20, t.options.data(), t.options.size());
  append(s, t.payload);
  wr16(s, 16, ref_checksum(s.data(), s.size(), pseudo_of(i, 6, s.size())));
  return s;
}

Bytes udp_datagram(const Ip& i, const Udp& u) {
  Bytes d(8, 0);
  wr16(d, 0, u.sport);
  wr16(d, 2, u.dport);
  append(d, u.payload);
  wr16(d, 4, uint32_t(d.size()));
  if (u.checksum) {
    uint16_t c = ref_checksum(d.data(), d.size(), pseudo_of(i, 17, d.size()));
    wr16(d, 6, c ? c : 0xffff);
  }
  return d;
}

Bytes icmp_echo(uint8_t type, uint16_t id, uint16_t seq, const Bytes& payload) {
  Bytes m(8, 0);
  m[0] = type;
  wr16(m, 4, id);
  wr16(m, 6, seq);
  append(m, payload);
  wr16(m, 2, ref_checksum(m.data(), m.size()));
  return m;
}

Bytes icmp_error(uint8_t type, uint8_t code, uint32_t rest, const Bytes& quoted, size_t quote_len) {
  size_t n = quote_len ? quote_len : (quoted[0] & 0x0f) * 4u + 8;
  if (n > quoted.size()) n = quoted.size();
  Bytes m(8 + n, 0);
  m[0] = type;
  m[1] = code;
  wr32(m, 4, rest);
  if (n) std::memcpy(m.data() + 8, quoted.data(), n);
  wr16(m, 2, ref_checksum(m.data(), m.size()));
  return m;
}

Bytes tcp_frame(const Eth& e, const Ip& i, const Tcp& t) { return ethernet(e, 0x0800, ipv4(i, 6, tcp_segment(i, t))); }
Bytes udp_frame(const Eth& e, const Ip& i, const Udp& u) { return ethernet(e, 0x0800, ipv4(i, 17, udp_datagram(i, u))); }
Bytes icmp_frame(const Eth& e, const Ip& i, const Bytes& icmp) { return ethernet(e, 0x0800, ipv4(i, 1, icmp)); }

Bytes arp_frame(const Eth& e, uint16_t op, const char* sha, const char* spa, const char* tha,
                const char* tpa) {
  Bytes a{0, 1, 8, 0, 6, 4, 0, 0};
  wr16(a, 6, op);
  append(a, mac(sha));
  a.resize(a.size() + 4);
  wr32(a, 14, ip(spa));
  append(a, mac(tha));
  a.resize(a.size() + 4);
  wr32(a, 24, ip(tpa));
  return ethernet(e, 0x0806, a);
}

size_t l3_of(const Bytes& f) { return (f.size() >= 18 && f[12] == 0x81 && f[13] == 0) ? 18 : 14; }

Bytes ip_packet(const Bytes& f) {
  size_t l3 = l3_of(f);
  return Bytes(f.begin() + long(l3), f.begin() + long(l3 + rd16(f, l3 + 2)));
}

bool ip_header_ok(const Bytes& f, size_t l3) {
  size_t hl = (f[l3] & 0x0f) * 4u;
  return f.size() >= l3 + hl && ref_checksum(f.data() + l3, hl) == 0;
}

bool l4_ok(const Bytes& f, size_t l3) {
  const uint8_t* h = f.data() + l3;
  size_t hl = (h[0] & 0x0f) * 4u, total = rd16(f, l3 + 2);
  const uint8_t* l4 = h + hl;
  uint32_t n = uint32_t(total - hl);
  if (h[9] == 1) return ref_checksum(l4, n) == 0;
  if (h[9] == 17 && l4[6] == 0 && l4[7] == 0) return true;
  return ref_checksum(l4, n, ref_pseudo(h, n)) == 0;
}

Partial make_partial(const Bytes& frame) {
  Partial p{frame, {}};
  size_t l3 = l3_of(frame);
  const uint8_t* h = frame.data() + l3;
  size_t hl = (h[0] & 0x0f) * 4u;
  uint32_t n = uint32_t(rd16(frame, l3 + 2) - hl);
  uint16_t field = h[9] == 6 ? 16 : 6;
  uint16_t seed = uint16_t(~ref_checksum(nullptr, 0, ref_pseudo(h, n)));
  wr16(p.frame, l3 + hl + field, seed);
  p.vnet.flags = 1;
  p.vnet.csum_start = uint16_t(l3 + hl);
  p.vnet.csum_offset = field;
  return p;
}

Bytes complete(const Bytes& frame, const director::core::VnetHdr& v) {
  Bytes f = frame;
  if (!(v.flags & 1)) return f;
  uint16_t c = ref_checksum(f.data() + v.csum_start, f.size() - v.csum_start);
  wr16(f, v.csum_start + v.csum_offset, c);
  return f;
}

bool seed_ok(const Bytes& f, const director::core::VnetHdr& v) {
  size_t l3 = v.csum_start - 20;  // seeds are only checked on option-less IPv4 headers
  const uint8_t* h = f.data() + l3;
  uint32_t n = uint32_t(rd16(f, l3 + 2) - 20);
  return rd16(f, v.csum_start + v.csum_offset) == uint16_t(~ref_checksum(nullptr, 0, ref_pseudo(h, n)));
}

Meta parse(const Bytes& frame, const director::core::VnetHdr* vnet, director::core::FlowKey key) {
  Meta m;
  director::core::parse_frame(frame.data(), uint32_t(frame.size()), vnet, key, m.w);
  return m;
}

director::core::Egress egress(const char* mac_text, uint32_t mtu, const char* ip_text) {
  director::core::Egress e{};
  Bytes m = mac(mac_text);
  std::memcpy(e.mac, m.data(), 6);
  e.mtu = mtu;
  e.ip = ip(ip_text);
  return e;
}

Verdict& Verdict::next_hop(const char* mac_text) {
  Bytes m = mac(mac_text);
  w[director::verdict::DST_MAC_HI] = uint32_t(m[0] << 8 | m[1]);
  w[director::verdict::DST_MAC_LO] = uint32_t(m[2]) << 24 | uint32_t(m[3]) << 16 | uint32_t(m[4]) << 8 | m[5];
  return *this;
}

Verdict forward(director::Method m, director::Direction d, const char* dst_mac) {
  Verdict v;
  v.set(director::verdict::ACTION, uint32_t(director::Action::FORWARD));
  v.set(director::verdict::METHOD, uint32_t(m));
  v.set(director::verdict::DIRECTION, uint32_t(d));
  return v.next_hop(dst_mac);
}

Bytes flat(const director::core::OutFrame& f) {
  Bytes b(f.head, f.head + f.head_len);
  b.insert(b.end(), f.body, f.body + f.body_len);
  return b;
}

}  // namespace t
