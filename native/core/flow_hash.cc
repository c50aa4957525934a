// HalfSipHash-1-3 over a flow's 13 bytes (definition in flow_hash.h), written from the SipHash
// paper's description: four 32-bit lanes, each message word xored into v3, one round, then into
// v0; the last word carries the message length in its top byte.
#include "core/flow_hash.h"

namespace director::core {

namespace {

constexpr uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

struct Lanes {
  uint32_t v0, v1, v2, v3;

  void round() {
    v0 += v1; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
    v2 += v3; v3 = rotl(v3, 8); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 7); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
  }

  void absorb(uint32_t m) {
    v3 ^= m;
    round();
    v0 ^= m;
  }

  uint32_t finish() {
    v2 ^= 0xff;
    round();
    round();
    round();
    return v1 ^ v3;
  }
};

}  // namespace

uint32_t flow_hash(const FlowKey& key, uint32_t proto, uint32_t src_ip, uint32_t src_port,
                   uint32_t dst_ip, uint32_t dst_port) {
  Lanes s{key.k0, key.k1, 0x6c796765u ^ key.k0, 0x74656462u ^ key.k1};
  s.absorb(src_ip);
  s.absorb(dst_ip);
  s.absorb((src_port & 0xffff) << 16 | (dst_port & 0xffff));
  s.absorb(13u << 24 | (proto & 0xff));  // 13 bytes in all; the last one is proto
  return s.finish();
}

uint32_t flow_hash6(const FlowKey& key, uint32_t proto, const uint32_t* src6, uint32_t src_port,
                    const uint32_t* dst6, uint32_t dst_port) {
  Lanes s{key.k0, key.k1, 0x6c796765u ^ key.k0, 0x74656462u ^ key.k1};
  for (int i = 0; i < 4; ++i) s.absorb(src6[i]);
  for (int i = 0; i < 4; ++i) s.absorb(dst6[i]);
  s.absorb((src_port & 0xffff) << 16 | (dst_port & 0xffff));
  s.absorb(37u << 24 | (proto & 0xff));  // 37 bytes in all
  return s.finish();
}

}  // namespace director::core
