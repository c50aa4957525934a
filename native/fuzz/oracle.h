// The harnesses' independent view of a frame: where the IPv4 packet is and whether its checksums
// hold, worked out from the bytes alone (sums from native/test's reference, never native/core).
//
// Checksum properties are stated as residues. The residue of a checksummed range is its
// one's-complement sum (checksum field included) taken modulo 0xffff, so 0x0000 and 0xffff, the
// two zeros, compare equal. A correct checksum has residue 0; an RFC 1624 update keeps any
// residue as it was, so "residue preserved" says both "a correct checksum stays correct" and "a
// wrong one stays exactly as wrong" (a rewrite never launders a corrupted packet).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fuzz::oracle {

using Bytes = std::vector<uint8_t>;

uint16_t be16(const uint8_t* p);
uint32_t be32(const uint8_t* p);
void put16(Bytes& b, size_t at, uint32_t v);
void put32(Bytes& b, size_t at, uint32_t v);

// Residue of bytes [p, p+n) plus an unfolded extra sum.
uint16_t residue(const uint8_t* p, size_t n, uint64_t extra = 0);
// True when the checksum over [p, p+n) (+ extra) verifies as a receiver checks it.
bool verifies(const uint8_t* p, size_t n, uint64_t extra = 0);

constexpr uint8_t TCP = 6, UDP = 17, ICMP = 1;

// An IPv4 packet inside an Ethernet frame (802.1Q tag allowed).
struct Ip {
  size_t l3 = 0, ihl = 0, total = 0, end = 0;
  uint8_t proto = 0;
  uint16_t frag = 0;  // flags + fragment offset word
  bool nonfirst() const { return (frag & 0x1fff) != 0; }
  size_t l4() const { return l3 + ihl; }
  // Offset of the TCP/UDP checksum field, 0 when the packet carries no such header.
  size_t l4_check() const;
};

// False unless the frame holds a structurally sound IPv4 packet (lengths inside the frame).
bool find_ip(const Bytes& f, Ip& ip);

// An IPv6 packet inside an Ethernet frame, its extension header chain walked by the oracle's own
// reading of RFC 8200 (hop-by-hop first, destination options at most twice, the others once,
// fragment headers 8 bytes): upper is where the upper layer starts, proto its protocol.
struct Ip6 {
  size_t l3 = 0, end = 0, upper = 0;
  uint8_t proto = 0;
  bool nonfirst = false;
};
// False unless the frame holds an IPv6 packet whose fixed header and extension header chain lie
// inside it and follow RFC 8200's order and repetition rules, with no header the core does not
// walk (AH, ESP, Mobility, HIP, Shim6, 253, 254) and no ragged fragment.
bool find_ip6(const Bytes& f, Ip6& ip);

// Unfolded pseudo-header sum of the packet (its addresses, protocol, total - ihl).
uint64_t pseudo(const Bytes& f, const Ip& ip);
// Residue of the TCP/UDP checksum: pseudo-header + segment, the checksum field included.
uint16_t l4_residue(const Bytes& f, const Ip& ip);
// CHECKSUM_PARTIAL: residue of (seed in the checksum field - pseudo-header sum). 0 means the
// kernel's completion (a sum from csum_start over the seeded field) gives a correct checksum.
uint16_t seed_residue(const Bytes& f, const Ip& ip);

// Destination unreachable, time exceeded or parameter problem (with its 8-byte header present).
bool is_icmp_error(const Bytes& f, const Ip& ip);

// True when the core completes this CHECKSUM_PARTIAL frame's checksum itself: TCP the kernel
// would not segment (no GSO, or a GSO frame of one segment or less), which the kernel's software
// completion would write as 0xffff when the result is zero. UDP and real super-frames stay partial.
bool core_completes(const Bytes& f, const Ip& ip, bool partial, uint8_t gso_type, uint16_t gso_size);
// The residue a checksum completed from a seed has: the seed residue negated (0 when the seed
// was right, as the kernel's completion would give).
uint16_t completed_residue(const Bytes& f, const Ip& ip);

// The quoted packet inside an ICMP error at l4 (within [l4+8, end)), per RFC 792 / 1812.
struct Quote {
  size_t at = 0, n = 0, ihl = 0;
  uint8_t proto = 0;
  bool ports = false;      // both ports quoted
  size_t seq = 0;          // offset of the quoted TCP sequence number, 0 if not all 4 bytes quoted
  size_t check = 0;        // offset of the quoted TCP/UDP checksum field, 0 if not quoted
};
bool find_quote(const Bytes& f, const Ip& ip, Quote& q);
// The quoted transport checksum covers bytes the quote lacks; what the quote does carry (its
// addresses, ports, TCP sequence number and checksum field) must keep the same one's-complement
// sum across a NAT, which may move all of those (the number: a translating connection's).
uint16_t quote_residue(const Bytes& f, const Quote& q);

// ICMPv6 destination unreachable, packet too big, time exceeded or parameter problem.
bool is_icmp6_error(const Bytes& f, const Ip6& ip);
// The quoted IPv6 packet of an ICMPv6 error (RFC 4443, cut anywhere): its fixed header present
// and its extension header chain walked inside the quote (ip.end = the message's end).
struct Quote6 {
  Ip6 ip;
  bool ports = false;  // both ports quoted (TCP/UDP, not a later fragment)
  size_t seq = 0;      // offset of the quoted TCP sequence number, 0 if not all 4 bytes quoted
  size_t check = 0;    // offset of the quoted TCP/UDP/ICMPv6 checksum field, 0 if not quoted
};
bool find_quote6(const Bytes& f, const Ip6& ip, Quote6& q);
// quote_residue for IPv6: addresses, ports, sequence number and checksum field the quote carries.
uint16_t quote6_residue(const Bytes& f, const Quote6& q);

}  // namespace fuzz::oracle
