// The shared input decoding, run and bounds check of the packet-core harnesses (fuzz_case.h).
#include "fuzz_case.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fuzz {

namespace {
RewriteOut g_out;

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void put_le(std::vector<uint8_t>& b, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(uint8_t(v >> (8 * i)));
}
}  // namespace

RewriteOut& out() { return g_out; }

bool decode(const uint8_t* data, size_t size, Case& c) {
  if (size < kFrameAt) return false;
  std::memcpy(&c.vnet, data + kVnetAt, sizeof c.vnet);
  for (uint32_t w = 0; w < director::verdict::WORDS; ++w) c.v[w] = le32(data + kVerdictAt + 4 * w);
  c.egress = director::core::Egress{{0x02, 0, 0, 0, 0, 0xaa}, uint32_t(data[kMtuAt] | data[kMtuAt + 1] << 8),
                                    le32(data + kEgressIpAt)};
  c.key = director::core::FlowKey{c.v[director::verdict::SLOT], c.v[director::verdict::REASON]};
  c.len = uint32_t(size - kFrameAt);
  c.orig.assign(data + kFrameAt, data + size);
  c.frame.reset(new uint8_t[c.len ? c.len : 1]);
  restore(c);
  return true;
}

void run(Case& c) {
  director::core::parse_frame(c.frame.get(), c.len, &c.vnet, c.key, c.meta);
  director::core::apply_verdict(c.frame.get(), c.len, c.vnet, c.meta, c.v, c.egress, g_out);
  check_bounds(c);
}

bool unchanged(const Case& c) { return c.len == 0 || std::memcmp(c.frame.get(), c.orig.data(), c.len) == 0; }

void restore(Case& c) {
  if (c.len) std::memcpy(c.frame.get(), c.orig.data(), c.len);
}

std::vector<uint8_t> encode(const VnetHdr& vnet, const uint32_t* verdict, uint16_t mtu,
                            uint32_t egress_ip, const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> b(sizeof vnet);
  std::memcpy(b.data(), &vnet, sizeof vnet);
  for (uint32_t w = 0; w < director::verdict::WORDS; ++w) put_le(b, verdict[w], 4);
  put_le(b, mtu, 2);
  put_le(b, egress_ip, 4);
  b.insert(b.end(), frame.begin(), frame.end());
  return b;
}

void forward(Case& c, const Way& w) {
  c.v[director::verdict::ACTION] = uint32_t(director::Action::FORWARD);
  c.v[director::verdict::METHOD] = uint32_t(w.method);
  c.v[director::verdict::DIRECTION] = uint32_t(w.direction);
}

void finding(const char* file, int line, const char* what) {
  std::fprintf(stderr, "\nPROPERTY VIOLATED at %s:%d: %s\n", file, line, what);
  std::abort();
}

void check_bounds(const Case& c) {
  const RewriteOut& o = g_out;
  PROPERTY(o.error < uint32_t(director::RewriteError::COUNT));
  PROPERTY(o.error == 0 || o.count == 0);
  PROPERTY(o.count <= RewriteOut::MAX_FRAMES);
  const uint8_t* f = c.frame.get();
  for (uint32_t i = 0; i < o.count; ++i) {
    const OutFrame& x = o.frames[i];
    PROPERTY(x.head_len == 0 || (x.head >= o.scratch && x.head + x.head_len <= o.scratch + sizeof o.scratch));
    PROPERTY(x.body_len == 0 || (x.body >= f && x.body + x.body_len <= f + c.len));
  }
}

std::vector<uint8_t> flat(const OutFrame& f) {
  std::vector<uint8_t> b(f.head_len + f.body_len);
  if (f.head_len) std::memcpy(b.data(), f.head, f.head_len);
  if (f.body_len) std::memcpy(b.data() + f.head_len, f.body, f.body_len);
  return b;
}

void next_hop(std::vector<uint8_t>& want, const Case& c) {
  uint32_t hi = c.v[director::verdict::DST_MAC_HI], lo = c.v[director::verdict::DST_MAC_LO];
  const uint8_t mac[6] = {uint8_t(hi >> 8), uint8_t(hi), uint8_t(lo >> 24), uint8_t(lo >> 16), uint8_t(lo >> 8), uint8_t(lo)};
  std::memcpy(want.data(), mac, 6);
  std::memcpy(want.data() + 6, c.egress.mac, 6);
}

void same_field(std::vector<uint8_t>& want, const std::vector<uint8_t>& got, size_t at, size_t n) {
  std::memcpy(want.data() + at, got.data() + at, n);
}

}  // namespace fuzz
