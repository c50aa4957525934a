// Builders of IPv6 golden frames (fixed header, extension headers, TCP, UDP, ICMPv6) with every
// checksum computed from scratch over the IPv6 pseudo-header by native/test's reference sum,
// never by native/core, and the reference check the tests judge rewritten frames with.
#pragma once
#include <cstdint>
#include <vector>

#include "builders.h"

namespace t6 {

using t::Bytes;

// 16 bytes of an IPv6 address in text form (inet_pton); all zero when it does not parse.
Bytes addr(const char* text);
// The four meta/verdict words of an address (word 0 = its first four bytes).
void words(const char* text, uint32_t out[4]);

struct Ip6 {
  const char* src = "2001:db8:1::10";
  const char* dst = "2001:db8::100";
  uint8_t hop = 64;
  uint8_t tclass = 0;
  uint32_t flow = 0x12345;
  int payload_len = -1, version = 6;  // overrides for malformed frames
};

// One extension header: its type and its bytes from offset 0 (byte 0, the next header, is
// filled in by ipv6()).
struct Ext {
  uint8_t type;
  Bytes bytes;
};
// Hop-by-hop (0) or destination options (60) of `size` bytes (a multiple of 8), PadN-filled.
Ext options(uint8_t type, size_t size = 8);
// A type 0-style routing header with no addresses left (segments left 0) of `size` bytes.
Ext routing(size_t size = 8);
// A fragment header: offset in bytes (a multiple of 8), more fragments, identification.
Ext fragment(uint16_t offset, bool more, uint32_t id);
// Any header with a raw length byte (hdr ext len) and `size` bytes in all.
Ext raw(uint8_t type, uint8_t len_byte, size_t size);

Bytes ipv6(const Ip6& i, const std::vector<Ext>& chain, uint8_t proto, const Bytes& upper);
Bytes tcp_segment(const Ip6& i, const t::Tcp& s);
Bytes udp_datagram(const Ip6& i, const t::Udp& u);
// ICMPv6 message with its checksum over the pseudo-header.
Bytes icmp6(const Ip6& i, uint8_t type, uint8_t code, uint32_t rest, const Bytes& body);

Bytes tcp_frame(const t::Eth& e, const Ip6& i, const t::Tcp& s, const std::vector<Ext>& chain = {});
Bytes udp_frame(const t::Eth& e, const Ip6& i, const t::Udp& u, const std::vector<Ext>& chain = {});
Bytes icmp6_frame(const t::Eth& e, const Ip6& i, const Bytes& icmp, const std::vector<Ext>& chain = {});

// True when the TCP/UDP/ICMPv6 checksum of the upper-layer header at l4 (protocol proto, up to
// the packet's end) verifies over the pseudo-header of the IPv6 packet at l3.
bool l4_ok(const Bytes& frame, size_t l3, size_t l4, uint8_t proto);
// The unfolded IPv6 pseudo-header sum of the packet at l3 for an upper layer of n bytes.
uint32_t pseudo(const Bytes& frame, size_t l3, uint8_t proto, uint32_t n);

}  // namespace t6
