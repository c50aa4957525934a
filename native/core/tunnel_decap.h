// Where the inner packet of a tunnelled Ethernet frame starts, for a real server's user-space
// decapsulator: IPv4 or IPv6 outer header (protocol / next header 4 or 41, an IPv6 one possibly
// behind one destination options header, the encapsulation limit Linux's ip6_tunnel adds),
// addressed to one of the local addresses. Pure and bounded: every length is checked against
// the frame before it is read, so any bytes give a verdict (fuzzed by fuzz_decap).
#pragma once
#include <cstddef>
#include <cstdint>

namespace director::core {

struct TunnelLocals {
  const uint32_t* v4 = nullptr;  // host order
  size_t v4_count = 0;
  const uint8_t (*v6)[16] = nullptr;
  size_t v6_count = 0;
};

enum class TunnelVerdict : uint8_t {
  kInner,      // offset/length/protocol name the inner packet
  kNotForUs,   // not a tunnel, or not to one of our addresses
  kMalformed,  // a tunnel to us whose headers or lengths do not hold together
};

struct TunnelInner {
  TunnelVerdict verdict = TunnelVerdict::kNotForUs;
  uint32_t offset = 0;    // from the frame's first byte
  uint32_t length = 0;    // the inner packet's own length, which the outer header agrees with
  uint8_t protocol = 0;   // 4: IPv4 inside, 41: IPv6 inside
};

TunnelInner locate_tunnel_inner(const uint8_t* frame, uint32_t len, const TunnelLocals& local);

}  // namespace director::core
