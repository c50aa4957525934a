// The IPv6 half of parse_frame: the fixed header, a bounded walk of the extension header chain
// (RFC 8200 section 4), the upper-layer header and ICMPv6. Every way a chain can be malformed
// (cut short, out of order, repeated, a header the walk does not enter, a ragged fragment) ends
// in its own ParseError, so each is a counted drop and never a guess.
#include "core/bytes.h"
#include "core/parse_parts.h"

namespace director::core::parse {
namespace {

constexpr uint8_t HOP_BY_HOP = 0, ROUTING = 43, FRAGMENT = 44, DEST_OPTS = 60;

// Headers that are extension headers (RFC 7045's list) but whose contents the walk does not
// enter: security headers, Mobility, HIP, Shim6 and the experimental values.
bool unsupported_ext(uint8_t nh) {
  return nh == 50 || nh == 51 || nh == 135 || nh == 139 || nh == 140 || nh == 253 || nh == 254;
}

void put_addr(uint32_t* m, uint32_t word0, const uint8_t* a) {
  for (uint32_t i = 0; i < 4; ++i) m[word0 + i] = rd32(a + 4 * i);
}

// How many times each walked header may appear: destination options twice (before the routing
// header and before the upper layer), the others once.
struct Seen {
  uint8_t hop = 0, routing = 0, fragment = 0, dest = 0;

  bool allow(uint8_t nh) {
    switch (nh) {
      case HOP_BY_HOP: return ++hop <= 1;
      case ROUTING: return ++routing <= 1;
      case FRAGMENT: return ++fragment <= 1;
      default: return ++dest <= 2;
    }
  }
};

// The quoted packet of an ICMPv6 error (q[0..n)): addresses always, the upper protocol and its
// ports when the quote reaches them. A quote is cut short by design, so a chain running past it
// just ends the walk.
void parse_quote6(const uint8_t* q, uint32_t n, uint32_t* m) {
  if (n < 40 || (q[0] >> 4) != 6) return;
  Chain c;
  if (walk_chain(q, n, c, true) != 0 || c.proto == 0) return;
  m[meta::INNER_PROTO] = c.proto;
  put_addr(m, meta::INNER_SRC_IP6_0, q + 8);
  put_addr(m, meta::INNER_DST_IP6_0, q + 24);
  if (!c.nonfirst && (c.proto == IP_TCP || c.proto == IP_UDP) && n >= c.upper + 4) {
    m[meta::INNER_SRC_PORT] = rd16(q + c.upper);
    m[meta::INNER_DST_PORT] = rd16(q + c.upper + 2);
  }
}

// The options after an NS or NA body (RFC 4861 4.6) into meta's ND_LLA words: the first
// source (NS) or target (NA) link-layer address option's MAC, or ND_OPTS_BAD when an option has
// length 0 or runs past the message, which receivers must discard (RFC 4861 7.1). Every option
// is at least 8 bytes, so the walk ends within n / 8 rounds.
void nd_options(const uint8_t* p, uint32_t n, uint8_t lla_type, uint32_t* m) {
  for (uint32_t at = 24; at < n;) {
    uint32_t size = at + 2 <= n ? p[at + 1] * 8u : 0;
    if (size == 0 || at + size > n) {
      m[meta::ND_OPTS] = nd_opts::BAD;
      return;
    }
    if (p[at] == lla_type && size == 8 && m[meta::ND_OPTS] == nd_opts::NONE) {
      m[meta::ND_OPTS] = nd_opts::LLA;
      m[meta::ND_LLA_HI] = rd16(p + at + 2);
      m[meta::ND_LLA_LO] = rd32(p + at + 4);
    }
    at += size;
  }
}

void put_hash6(uint32_t* m, const FlowKey& key) {
  using namespace meta;
  m[HASH] = m[INNER_PROTO] != 0
                ? flow_hash6(key, m[INNER_PROTO], m + INNER_DST_IP6_0, m[INNER_DST_PORT],
                             m + INNER_SRC_IP6_0, m[INNER_SRC_PORT])
                : flow_hash6(key, m[PROTO], m + SRC_IP6_0, m[SRC_PORT], m + DST_IP6_0, m[DST_PORT]);
}

}  // namespace

uint32_t walk_chain(const uint8_t* ip, uint32_t n, Chain& out, bool partial) {
  out = Chain{};
  uint8_t nh = ip[6];
  uint32_t at = 40;
  Seen seen;
  // Every walked header either ends the walk or counts against Seen, so the loop ends within
  // IPV6_MAX_EXT_HEADERS + 1 rounds; the bound says so to the reader and the compiler alike.
  for (uint32_t round = 0; round <= IPV6_MAX_EXT_HEADERS; ++round) {
    if (nh != HOP_BY_HOP && nh != ROUTING && nh != FRAGMENT && nh != DEST_OPTS) {
      if (unsupported_ext(nh)) return err(ParseError::EXT_UNSUPPORTED);
      out.upper = at;
      out.proto = nh;
      return 0;
    }
    if (nh == HOP_BY_HOP && at != 40) return err(seen.hop ? ParseError::EXT_REPEATED : ParseError::EXT_ORDER);
    if (!seen.allow(nh)) return err(ParseError::EXT_REPEATED);
    if (at + 8 > n) {
      if (!partial) return err(ParseError::EXT_TRUNCATED);
      out.upper = n;
      return 0;
    }
    const uint8_t* h = ip + at;
    uint32_t size = nh == FRAGMENT ? 8u : (h[1] + 1u) * 8u;
    if (at + size > n) {
      if (!partial) return err(ParseError::EXT_TRUNCATED);
      out.upper = n;
      return 0;
    }
    if (nh == FRAGMENT) {
      uint16_t off = rd16(h + 2);
      out.nonfirst = (off & 0xfff8) != 0;
      out.more = (off & 1) != 0;
      out.fragment = out.nonfirst || out.more;
      out.frag_id = rd32(h + 4);
      if (out.more && !partial && (n - at - 8) % 8 != 0) return err(ParseError::BAD_FRAG_LEN);
      if (out.nonfirst) {  // the rest is fragment data, not headers
        out.upper = at + 8;
        out.proto = h[0];
        return 0;
      }
    }
    nh = h[0];
    at += size;
  }
  return err(ParseError::EXT_REPEATED);
}

uint32_t parse_icmp6(const uint8_t* p, uint32_t n, uint32_t* m) {
  if (n < 8) return err(ParseError::TRUNCATED_L4);
  uint8_t type = p[0];
  m[meta::ICMP] = static_cast<uint32_t>(type) << 8 | p[1];
  m[meta::ICMP_EXTRA] = rd32(p + 4);
  if (type == 128 || type == 129) {  // echo request, reply
    m[meta::SRC_PORT] = m[meta::DST_PORT] = rd16(p + 4);
  } else if (type >= 1 && type <= 4) {  // unreachable, packet too big, time exceeded, parameter problem
    parse_quote6(p + 8, n - 8, m);
  } else if (type == 135 || type == 136) {  // neighbour solicitation, advertisement
    if (n < 24) return err(ParseError::TRUNCATED_L4);
    put_addr(m, meta::INNER_DST_IP6_0, p + 8);
    nd_options(p, n, type == 135 ? 1 : 2, m);
  }
  return 0;
}

uint32_t parse_ipv6(const uint8_t* f, uint32_t len, uint32_t l3, const FlowKey& key, uint32_t* m) {
  if (len < l3 + 40) return err(ParseError::TRUNCATED_IP);
  const uint8_t* ip = f + l3;
  if ((ip[0] >> 4) != 6) return err(ParseError::BAD_IP_VERSION);
  uint32_t total = 40u + rd16(ip + 4);
  if (l3 + total > len) return err(ParseError::BAD_IP_TOTAL_LEN);
  put_addr(m, meta::SRC_IP6_0, ip + 8);
  put_addr(m, meta::DST_IP6_0, ip + 24);
  m[meta::TTL] = ip[7];
  m[meta::IP_LEN] = total;
  Chain c;
  if (uint32_t e = walk_chain(ip, total, c)) return e;
  m[meta::PROTO] = c.proto;
  m[meta::IP_ID] = c.frag_id;
  m[meta::FRAG] = frag_bits::DF | (c.more ? frag_bits::MF : 0) | (c.nonfirst ? frag_bits::NONFIRST : 0);
  if (!c.nonfirst) {
    if (uint32_t e = parse_l4(f, l3 + c.upper, l3 + total, c.proto, m, true)) return e;
  }
  put_hash6(m, key);
  return 0;
}

}  // namespace director::core::parse
