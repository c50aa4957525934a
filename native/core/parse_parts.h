// The pieces of parse_frame shared by its IPv4 (parse.cc) and IPv6 (parse6.cc) halves, and the
// IPv6 header chain walk the rewrites re-run on the bytes rather than trust meta.
#pragma once
#include <cstdint>

#include "core/flow_hash.h"
#include "core/records.h"

namespace director::core::parse {

constexpr uint8_t IP_TCP = 6, IP_UDP = 17, IP_ICMP = 1, IP_ICMPV6 = 58;

inline uint32_t err(ParseError e) { return static_cast<uint32_t>(e); }

// The TCP, UDP or ICMP (ICMPv6 when v6) header at f[l4..end), end being the IP packet's end:
// ports, flags, L4_OFF and PAYLOAD_OFF; other protocols leave L4_OFF 0. Returns a ParseError.
uint32_t parse_l4(const uint8_t* f, uint32_t l4, uint32_t end, uint32_t proto, uint32_t* m, bool v6);

// ICMPv6 message p[0..n) (parse6.cc).
uint32_t parse_icmp6(const uint8_t* p, uint32_t n, uint32_t* m);

// The IPv6 packet at f[l3..len): fixed header, extension headers, upper layer, hash.
uint32_t parse_ipv6(const uint8_t* f, uint32_t len, uint32_t l3, const FlowKey& key, uint32_t* m);

// Where an IPv6 packet's extension header chain ends.
struct Chain {
  uint32_t upper;      // offset (from the fixed header) of the upper-layer header, or of the
                       // fragment data of a non-first fragment
  uint8_t proto;       // the upper-layer protocol (a non-first fragment: the fragment header's
                       // next header)
  bool fragment;       // a fragment header with offset or MF set
  bool nonfirst;       // fragment offset != 0
  bool more;           // MF
  uint32_t frag_id;
};

// Walks the extension headers of the IPv6 packet ip[0..n) (n >= 40, the payload length already
// checked against n), at most IPV6_MAX_EXT_HEADERS of them. Returns a ParseError; when
// `partial` (a quoted packet, cut short by design) a chain that runs past n ends the walk with
// upper = n and proto 0 instead of an error.
uint32_t walk_chain(const uint8_t* ip, uint32_t n, Chain& out, bool partial = false);

}  // namespace director::core::parse
