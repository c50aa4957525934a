// The Internet checksum: full computation, RFC 1624 incremental updates, and the rule for
// CHECKSUM_PARTIAL frames whose L4 field holds only the uncomplemented pseudo-header sum.
#include "core/checksum.h"

#include "core/bytes.h"

namespace director::core::csum {

uint64_t add_bytes(const uint8_t* p, uint32_t n, uint64_t acc) {
  uint32_t i = 0;
  // Four bytes a step: the sum of two big-endian words equals the word sums, carries folded later.
  for (; i + 4 <= n; i += 4) acc += rd16(p + i) + static_cast<uint64_t>(rd16(p + i + 2));
  for (; i + 2 <= n; i += 2) acc += rd16(p + i);
  if (i < n) acc += static_cast<uint64_t>(p[i]) << 8;
  return acc;
}

uint16_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

uint16_t compute(const uint8_t* p, uint32_t n, uint64_t acc) {
  return static_cast<uint16_t>(~fold(add_bytes(p, n, acc)));
}

uint64_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4_len) {
  return static_cast<uint64_t>(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
         l4_len;
}

uint64_t pseudo6(const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t l4_len) {
  return add_bytes(dst, 16, add_bytes(src, 16)) + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

static uint64_t change32(uint32_t from, uint32_t to) {
  return static_cast<uint64_t>(static_cast<uint16_t>(~(from >> 16))) +
         static_cast<uint16_t>(~from) + (to >> 16) + (to & 0xffff);
}

uint16_t update16(uint16_t check, uint16_t from, uint16_t to) {
  uint64_t s = static_cast<uint16_t>(~check) + static_cast<uint64_t>(static_cast<uint16_t>(~from)) + to;
  return static_cast<uint16_t>(~fold(s));
}

uint16_t update32(uint16_t check, uint32_t from, uint32_t to) {
  return static_cast<uint16_t>(~fold(static_cast<uint16_t>(~check) + change32(from, to)));
}

uint16_t seed_update32(uint16_t seed, uint32_t from, uint32_t to) {
  return fold(seed + change32(from, to));
}

void l4_addr(uint8_t* p, Field f, uint32_t from, uint32_t to) {
  uint16_t c = rd16(p);
  if (f == Field::PARTIAL) {
    wr16(p, seed_update32(c, from, to));
    return;
  }
  if (f == Field::UDP_FULL && c == 0) return;
  c = update32(c, from, to);
  wr16(p, (f == Field::UDP_FULL && c == 0) ? 0xffff : c);
}

// ~m + m' summed over n bytes of 16-bit words (RFC 1624 eqn. 3, one term per word).
static uint64_t change_bytes(const uint8_t* from, const uint8_t* to, uint32_t n) {
  uint64_t acc = 0;
  for (uint32_t i = 0; i + 2 <= n; i += 2) acc += static_cast<uint16_t>(~rd16(from + i)) + static_cast<uint64_t>(rd16(to + i));
  return acc;
}

void l4_addr6(uint8_t* p, Field f, const uint8_t* from, const uint8_t* to) {
  uint16_t c = rd16(p);
  uint64_t change = change_bytes(from, to, 16);
  if (f == Field::PARTIAL) {
    wr16(p, fold(c + change));
    return;
  }
  if (f == Field::UDP_FULL && c == 0) return;
  c = static_cast<uint16_t>(~fold(static_cast<uint16_t>(~c) + change));
  wr16(p, (f == Field::UDP_FULL && c == 0) ? 0xffff : c);
}

void l4_word(uint8_t* p, Field f, uint16_t from, uint16_t to) {
  uint16_t c = rd16(p);
  if (f == Field::PARTIAL || (f == Field::UDP_FULL && c == 0)) return;
  c = update16(c, from, to);
  wr16(p, (f == Field::UDP_FULL && c == 0) ? 0xffff : c);
}

void ip_header_fill(uint8_t* hdr, uint32_t ihl_bytes) {
  wr16(hdr + 10, 0);
  wr16(hdr + 10, compute(hdr, ihl_bytes));
}

}  // namespace director::core::csum
