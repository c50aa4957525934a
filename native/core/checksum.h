// The Internet checksum: full computation, RFC 1624 incremental updates, and the rule for
// CHECKSUM_PARTIAL frames whose L4 field holds only the uncomplemented pseudo-header sum.
#pragma once
#include <cstdint>

namespace director::core::csum {

// One's-complement sum of n bytes (odd tail padded with zero), added to an unfolded accumulator.
uint64_t add_bytes(const uint8_t* p, uint32_t n, uint64_t acc = 0);

// Folds an accumulator to 16 bits with end-around carry (not complemented).
uint16_t fold(uint64_t acc);

// The checksum field value for n bytes plus an extra accumulator: ~fold(sum).
uint16_t compute(const uint8_t* p, uint32_t n, uint64_t acc = 0);

// Accumulator of the IPv4 pseudo-header (addresses host order, l4_len in bytes).
uint64_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4_len);
// Accumulator of the IPv6 pseudo-header (RFC 8200 8.1; addresses 16 network-order bytes each).
uint64_t pseudo6(const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t l4_len);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word m -> m'.
uint16_t update16(uint16_t check, uint16_t from, uint16_t to);
uint16_t update32(uint16_t check, uint32_t from, uint32_t to);

// The same change applied to an uncomplemented seed (CHECKSUM_PARTIAL): S' = S + ~m + m'.
uint16_t seed_update32(uint16_t seed, uint32_t from, uint32_t to);

// How an L4 checksum field reacts to edits of the packet it covers.
enum class Field : uint8_t {
  FULL,       // a complete checksum: RFC 1624 update
  UDP_FULL,   // a complete UDP checksum: zero stays zero, a computed zero becomes 0xffff
  PARTIAL,    // CHECKSUM_PARTIAL seed: addresses adjust it uncomplemented, ports never touch it
};

// Applies an address change (part of the pseudo-header) to the field at p.
void l4_addr(uint8_t* p, Field f, uint32_t from, uint32_t to);
// The same for an IPv6 address (16 bytes, network order; from and to must not overlap): eight
// 16-bit word changes of the pseudo-header folded into one update.
void l4_addr6(uint8_t* p, Field f, const uint8_t* from, const uint8_t* to);
// Applies a port (or other in-segment 16-bit word) change to the field at p.
void l4_word(uint8_t* p, Field f, uint16_t from, uint16_t to);

// Rewrites the IPv4 header checksum at hdr[10..12) from scratch over ihl_bytes.
void ip_header_fill(uint8_t* hdr, uint32_t ihl_bytes);

}  // namespace director::core::csum
