// Locating a tunnel's inner packet (see tunnel_decap.h).
#include "core/tunnel_decap.h"

#include <cstring>

#include "core/bytes.h"

namespace director::core {

namespace {

constexpr uint32_t kEth = 14;
constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint8_t kProtoIpip = 4;
constexpr uint8_t kProtoIpv6 = 41;
constexpr uint8_t kProtoDstOpts = 60;
constexpr uint32_t kIpv4Header = 20;
constexpr uint32_t kIpv6Header = 40;

bool local4(const TunnelLocals& l, uint32_t addr) {
  for (size_t i = 0; i < l.v4_count; i++) {
    if (l.v4[i] == addr) return true;
  }
  return false;
}

bool local6(const TunnelLocals& l, const uint8_t* addr) {
  for (size_t i = 0; i < l.v6_count; i++) {
    if (std::memcmp(l.v6[i], addr, 16) == 0) return true;
  }
  return false;
}

bool tunnelled(uint8_t protocol) { return protocol == kProtoIpip || protocol == kProtoIpv6; }

// The inner packet's own length field agrees with what the outer header leaves for it.
bool inner_fits(uint8_t protocol, const uint8_t* inner, uint32_t len) {
  if (protocol == kProtoIpip) return len >= kIpv4Header && (inner[0] >> 4) == 4 && rd16(inner + 2) == len;
  return len >= kIpv6Header && (inner[0] >> 4) == 6 && rd16(inner + 4) + kIpv6Header == len;
}

TunnelInner verdict(TunnelVerdict v) {
  TunnelInner r;
  r.verdict = v;
  return r;
}

}  // namespace

TunnelInner locate_tunnel_inner(const uint8_t* frame, uint32_t len, const TunnelLocals& local) {
  if (len < kEth) return verdict(TunnelVerdict::kMalformed);
  const uint16_t type = rd16(frame + 12);
  const uint8_t* outer = frame + kEth;
  const uint32_t avail = len - kEth;
  uint32_t header = 0, total = 0;
  uint8_t protocol = 0;
  if (type == kEthIpv4) {
    if (avail < kIpv4Header) return verdict(TunnelVerdict::kMalformed);
    protocol = outer[9];
    if ((outer[0] >> 4) != 4 || !tunnelled(protocol) || !local4(local, rd32(outer + 16))) {
      return verdict(TunnelVerdict::kNotForUs);
    }
    header = (outer[0] & 0x0fu) * 4u;
    total = rd16(outer + 2);
    if (header < kIpv4Header) return verdict(TunnelVerdict::kMalformed);
  } else if (type == kEthIpv6) {
    if (avail < kIpv6Header || (outer[0] >> 4) != 6) return verdict(TunnelVerdict::kMalformed);
    if (!local6(local, outer + 24)) return verdict(TunnelVerdict::kNotForUs);
    total = kIpv6Header + rd16(outer + 4);
    header = kIpv6Header;
    protocol = outer[6];
    if (protocol == kProtoDstOpts) {
      // One destination options header (the encapsulation limit) is skipped; nothing deeper.
      if (total > avail || total < header + 8) return verdict(TunnelVerdict::kMalformed);
      protocol = outer[header];
      header += (outer[header + 1] + 1u) * 8u;
    }
    if (!tunnelled(protocol)) return verdict(TunnelVerdict::kNotForUs);
  } else {
    return verdict(TunnelVerdict::kNotForUs);
  }
  if (total < header || total > avail) return verdict(TunnelVerdict::kMalformed);
  const uint32_t inner_len = total - header;
  if (!inner_fits(protocol, outer + header, inner_len)) return verdict(TunnelVerdict::kMalformed);
  TunnelInner r;
  r.verdict = TunnelVerdict::kInner;
  r.offset = kEth + header;
  r.length = inner_len;
  r.protocol = protocol;
  return r;
}

}  // namespace director::core
