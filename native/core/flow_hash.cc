// The 32-bit flow hash parse stores in meta::HASH (definition in flow_hash.h).
#include "core/flow_hash.h"

namespace director::core {

static uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t mix_word(uint32_t h, uint32_t k) {
  k *= 0xcc9e2d51u;
  k = rotl(k, 15);
  k *= 0x1b873593u;
  h ^= k;
  h = rotl(h, 13);
  return h * 5 + 0xe6546b64u;
}

uint32_t flow_hash(uint32_t proto, uint32_t src_ip, uint32_t dst_ip, uint32_t src_port,
                   uint32_t dst_port) {
  uint32_t h = 0x9747b28cu;
  h = mix_word(h, src_ip);
  h = mix_word(h, dst_ip);
  h = mix_word(h, (src_port & 0xffff) << 16 | (dst_port & 0xffff));
  h = mix_word(h, proto);
  h ^= 16;  // length in bytes, as murmur3 folds it in
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h ? h : 1;
}

}  // namespace director::core
