// libFuzzer harness: the real server decapsulator's locate_tunnel_inner on any bytes, with one
// local IPv4 and one local IPv6 address. Properties, checked against the bytes themselves:
//  - the verdict is a function of the frame (twice the same answer);
//  - an inner packet lies inside the frame, starts right after an outer header addressed to a
//    local address, and its own length field (IPv4 total length, IPv6 payload length + 40) is
//    the length found; its version is the one the outer protocol names (4: IPv4, 41: IPv6);
//  - completeness: an untagged IPIP frame to the local IPv4 address with a 20-byte outer header
//    and a sound inner IPv4 header whose lengths agree is always found.
// ASan catches any read outside the frame.
#include <cstring>
#include <vector>

#include "core/tunnel_decap.h"
#include "fuzz_case.h"

using director::core::locate_tunnel_inner;
using director::core::TunnelInner;
using director::core::TunnelLocals;
using director::core::TunnelVerdict;

namespace {

constexpr uint32_t kLocal4 = 0xc613000b;  // 198.19.0.11
constexpr uint8_t kLocal6[1][16] = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x11}};

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void check_inner(const std::vector<uint8_t>& f, const TunnelInner& r) {
  PROPERTY(r.offset >= 14 + 20 && r.length > 0 && r.offset + r.length <= f.size());
  PROPERTY(r.protocol == 4 || r.protocol == 41);
  const uint8_t* in = f.data() + r.offset;
  if (r.protocol == 4) {
    PROPERTY(r.length >= 20 && (in[0] >> 4) == 4 && be16(in + 2) == r.length);
  } else {
    PROPERTY(r.length >= 40 && (in[0] >> 4) == 6 && be16(in + 4) + 40u == r.length);
  }
  const uint8_t* outer = f.data() + 14;
  if (be16(f.data() + 12) == 0x0800) {
    PROPERTY((outer[0] >> 4) == 4 && outer[9] == r.protocol && be32(outer + 16) == kLocal4);
    PROPERTY(r.offset == 14 + (outer[0] & 0x0fu) * 4u && 14 + be16(outer + 2) == r.offset + r.length);
  } else {
    PROPERTY(be16(f.data() + 12) == 0x86dd && (outer[0] >> 4) == 6);
    PROPERTY(std::memcmp(outer + 24, kLocal6[0], 16) == 0);
    PROPERTY(14u + 40u + be16(outer + 4) == r.offset + r.length);
    PROPERTY(outer[6] == r.protocol || (outer[6] == 60 && outer[40] == r.protocol));
  }
}

// The plain IPIP case any decapsulator must take.
bool plain_ipip(const std::vector<uint8_t>& f) {
  if (f.size() < 14 + 40 || be16(f.data() + 12) != 0x0800) return false;
  const uint8_t* outer = f.data() + 14;
  const uint8_t* in = outer + 20;
  uint32_t total = be16(outer + 2);
  return outer[0] == 0x45 && outer[9] == 4 && be32(outer + 16) == kLocal4 && total >= 40 &&
         14 + total <= f.size() && (in[0] >> 4) == 4 && be16(in + 2) == total - 20;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0xffff) return 0;
  // A copy of exactly the input's length, so ASan sees any read past the frame.
  std::vector<uint8_t> frame(data, data + size);
  TunnelLocals local;
  local.v4 = &kLocal4;
  local.v4_count = 1;
  local.v6 = kLocal6;
  local.v6_count = 1;
  const auto len = static_cast<uint32_t>(frame.size());
  TunnelInner r = locate_tunnel_inner(frame.data(), len, local);
  TunnelInner again = locate_tunnel_inner(frame.data(), len, local);
  PROPERTY(r.verdict == again.verdict && r.offset == again.offset && r.length == again.length);
  if (r.verdict == TunnelVerdict::kInner) check_inner(frame, r);
  if (plain_ipip(frame)) PROPERTY(r.verdict == TunnelVerdict::kInner && r.protocol == 4);
  return 0;
}
