// Parses one Ethernet frame into a fixed metadata record (records.h), bounds-checked at every
// layer: a malformed frame gets an error code and the fields of the failing layer onward stay 0.
#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/core.h"
#include "core/parse_parts.h"

namespace director::core {
namespace {
constexpr uint16_t ETH_VLAN = 0x8100;
constexpr uint16_t ETH_IPV4 = 0x0800;
constexpr uint16_t ETH_ARP = 0x0806;
constexpr uint16_t ETH_IPV6 = 0x86dd;
}  // namespace

namespace parse {
namespace {

using meta::Word;

void put_mac(uint32_t* m, Word hi, const uint8_t* p) {
  m[hi] = rd16(p);
  m[hi + 1] = rd32(p + 2);
}

uint32_t offload_bits(const VnetHdr* v) {
  if (!v) return 0;
  uint32_t bits = 0;
  if (v->flags & 1) bits |= offload_bits::CSUM_PARTIAL;
  if (v->flags & 2) bits |= offload_bits::DATA_VALID;
  switch (v->gso_type) {
    case 0: break;
    case 1: bits |= offload_bits::GSO_TCPV4; break;
    case 3: case 5: bits |= offload_bits::GSO_UDP; break;
    default: bits |= offload_bits::GSO_OTHER; break;  // TCPv6, ECN-flagged, unknown
  }
  return bits;
}

uint32_t parse_arp(const uint8_t* f, uint32_t len, uint32_t l3, uint32_t* m) {
  if (len < l3 + 28) return err(ParseError::TRUNCATED_ARP);
  const uint8_t* a = f + l3;
  if (rd16(a) != 1 || rd16(a + 2) != ETH_IPV4 || a[4] != 6 || a[5] != 4) return err(ParseError::BAD_ARP);
  m[meta::ARP_OP] = rd16(a + 6);
  parse::put_mac(m, meta::SRC_MAC_HI, a + 8);
  m[meta::SRC_IP] = rd32(a + 14);
  m[meta::DST_IP] = rd32(a + 24);
  return 0;
}

// The quoted packet of an ICMP error (q[0..n)): addresses always, ports when present.
void parse_quote(const uint8_t* q, uint32_t n, uint32_t* m) {
  if (n < 20 || (q[0] >> 4) != 4) return;
  uint32_t ihl = (q[0] & 0x0f) * 4u;
  if (ihl < 20 || ihl > n) return;
  m[meta::INNER_PROTO] = q[9];
  m[meta::INNER_SRC_IP] = rd32(q + 12);
  m[meta::INNER_DST_IP] = rd32(q + 16);
  bool first = (rd16(q + 6) & 0x1fff) == 0;
  if (first && (q[9] == IP_TCP || q[9] == IP_UDP) && n >= ihl + 4) {
    m[meta::INNER_SRC_PORT] = rd16(q + ihl);
    m[meta::INNER_DST_PORT] = rd16(q + ihl + 2);
  }
}

uint32_t parse_icmp(const uint8_t* p, uint32_t n, uint32_t* m) {
  if (n < 8) return err(ParseError::TRUNCATED_L4);
  m[meta::ICMP] = static_cast<uint32_t>(p[0]) << 8 | p[1];
  m[meta::ICMP_EXTRA] = rd32(p + 4);
  if (p[0] == 0 || p[0] == 8) {
    m[meta::SRC_PORT] = m[meta::DST_PORT] = rd16(p + 4);
  } else if (p[0] == 3 || p[0] == 11 || p[0] == 12) {
    parse_quote(p + 8, n - 8, m);
  }
  return 0;
}

// L4 header at f[l4..end) where end is the IP packet's end (Ethernet padding excluded).
// The tcp_opt bits of a SYN's options; a malformed list ends the walk, keeping what came before.
uint32_t syn_options(const uint8_t* o, uint32_t n) {
  uint32_t bits = 0;
  for (uint32_t i = 0; i < n;) {
    uint8_t kind = o[i];
    if (kind == 0) break;   // end of options
    if (kind == 1) {        // no-op padding
      ++i;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) break;
    uint8_t len = o[i + 1];
    if (kind == 2 && len == 4) bits = (bits & ~tcp_opt::MSS_MASK) | rd16(o + i + 2);
    if (kind == 3 && len == 3) bits |= tcp_opt::WSCALE | (std::min<uint32_t>(o[i + 2], 14) << tcp_opt::WSCALE_SHIFT);
    if (kind == 4 && len == 2) bits |= tcp_opt::SACK_PERM;
    if (kind == 8 && len == 10) bits |= tcp_opt::TIMESTAMP;
    i += len;
  }
  return bits;
}

}  // namespace

uint32_t parse_l4(const uint8_t* f, uint32_t l4, uint32_t end, uint32_t proto, uint32_t* m, bool v6) {
  const uint8_t* p = f + l4;
  uint32_t n = end - l4;
  uint32_t e = 0;
  uint32_t header = 8;  // UDP and ICMP
  if (proto == IP_TCP) {
    if (n < 20) return err(ParseError::TRUNCATED_L4);
    uint32_t thl = (p[12] >> 4) * 4u;
    if (thl < 20 || thl > n) return err(ParseError::BAD_TCP_HEADER_LEN);
    header = thl;
    m[meta::SRC_PORT] = rd16(p);
    m[meta::DST_PORT] = rd16(p + 2);
    m[meta::TCP_SEQ] = rd32(p + 4);
    m[meta::TCP_ACK] = rd32(p + 8);
    m[meta::TCP_FLAGS] = p[13];
    m[meta::TCP_WIN] = rd16(p + 14);
    if (p[13] & 0x02) m[meta::TCP_OPTS] = syn_options(p + 20, thl - 20);
  } else if (proto == IP_UDP) {
    if (n < 8) return err(ParseError::TRUNCATED_L4);
    // A zero UDP checksum means "none" to IPv4 but is forbidden in IPv6; a partial frame's
    // field holds the pseudo-header seed instead, never checked here.
    if (v6 && rd16(p + 6) == 0 && !(m[meta::OFFLOAD] & offload_bits::CSUM_PARTIAL)) {
      return err(ParseError::UDP6_ZERO_CHECKSUM);
    }
    m[meta::SRC_PORT] = rd16(p);
    m[meta::DST_PORT] = rd16(p + 2);
  } else if (!v6 && proto == IP_ICMP) {
    e = parse_icmp(p, n, m);
  } else if (v6 && proto == IP_ICMPV6) {
    e = parse_icmp6(p, n, m);
  } else {
    return 0;  // other protocols: no L4 fields, L4_OFF stays 0
  }
  if (e) {
    for (uint32_t w = meta::SRC_PORT; w <= meta::INNER_DST_PORT; ++w) m[w] = 0;
    for (uint32_t w = meta::INNER_SRC_IP6_0; w <= meta::INNER_DST_IP6_3; ++w) m[w] = 0;
    return e;
  }
  m[meta::L4_OFF] = l4;
  m[meta::PAYLOAD_OFF] = l4 + header;
  return 0;
}

namespace {

uint32_t parse_ipv4(const uint8_t* f, uint32_t len, uint32_t l3, uint32_t* m) {
  if (len < l3 + 20) return err(ParseError::TRUNCATED_IP);
  const uint8_t* ip = f + l3;
  if ((ip[0] >> 4) != 4) return err(ParseError::BAD_IP_VERSION);
  uint32_t ihl = (ip[0] & 0x0f) * 4u;
  if (ihl < 20 || l3 + ihl > len) return err(ParseError::BAD_IP_HEADER_LEN);
  uint32_t total = rd16(ip + 2);
  if (total < ihl || l3 + total > len) return err(ParseError::BAD_IP_TOTAL_LEN);
  if (csum::fold(csum::add_bytes(ip, ihl)) != 0xffff) return err(ParseError::BAD_IP_CHECKSUM);
  uint32_t frag = rd16(ip + 6);
  m[meta::FRAG] = ((frag & 0x4000) ? frag_bits::DF : 0) | ((frag & 0x2000) ? frag_bits::MF : 0) |
                  ((frag & 0x1fff) ? frag_bits::NONFIRST : 0);
  m[meta::PROTO] = ip[9];
  m[meta::SRC_IP] = rd32(ip + 12);
  m[meta::DST_IP] = rd32(ip + 16);
  m[meta::IP_ID] = rd16(ip + 4);
  m[meta::TTL] = ip[8];
  m[meta::IP_LEN] = total;
  if (m[meta::FRAG] & frag_bits::NONFIRST) return 0;
  return parse_l4(f, l3 + ihl, l3 + total, ip[9], m, false);
}

// The hash of the connection key TypeScript looks this frame up by, so it never hashes a packet
// itself: the frame's own 5-tuple (ports 0 in a non-first fragment), or for an ICMP error the
// quoted packet's tuple reversed, since the error travels back along the quoted packet's flow.
void put_hash(uint32_t* m, const FlowKey& key) {
  using namespace meta;
  m[HASH] = m[INNER_PROTO] != 0
                ? flow_hash(key, m[INNER_PROTO], m[INNER_DST_IP], m[INNER_DST_PORT], m[INNER_SRC_IP],
                            m[INNER_SRC_PORT])
                : flow_hash(key, m[PROTO], m[SRC_IP], m[SRC_PORT], m[DST_IP], m[DST_PORT]);
}

}  // namespace
}  // namespace parse

using parse::err;

void parse_frame(const uint8_t* frame, uint32_t len, const VnetHdr* vnet, const FlowKey& key,
                 uint32_t* m) {
  std::memset(m, 0, meta::WORDS * sizeof(uint32_t));
  m[meta::LEN] = len;
  m[meta::OFFLOAD] = parse::offload_bits(vnet);
  m[meta::GSO_SIZE] = (vnet && vnet->gso_type) ? vnet->gso_size : 0;
  if (len < 14) {
    m[meta::ERROR] = err(ParseError::TRUNCATED_ETH);
    return;
  }
  parse::put_mac(m, meta::DST_MAC_HI, frame);
  parse::put_mac(m, meta::SRC_MAC_HI, frame + 6);
  uint32_t l3 = 14;
  uint16_t type = rd16(frame + 12);
  if (type == ETH_VLAN) {
    if (len < 18) {
      m[meta::ERROR] = err(ParseError::TRUNCATED_VLAN);
      return;
    }
    m[meta::VLAN] = (rd16(frame + 14) & 0x0fff) + 1u;
    type = rd16(frame + 16);
    l3 = 18;
  }
  if (type == ETH_ARP) {
    m[meta::KIND] = static_cast<uint32_t>(FrameKind::ARP);
    m[meta::L3_OFF] = l3;
    m[meta::ERROR] = parse::parse_arp(frame, len, l3, m);
  } else if (type == ETH_IPV4) {
    m[meta::KIND] = static_cast<uint32_t>(FrameKind::IPV4);
    m[meta::L3_OFF] = l3;
    m[meta::ERROR] = parse::parse_ipv4(frame, len, l3, m);
    if (m[meta::ERROR] == 0) parse::put_hash(m, key);
  } else if (type == ETH_IPV6) {
    m[meta::KIND] = static_cast<uint32_t>(FrameKind::IPV6);
    m[meta::L3_OFF] = l3;
    m[meta::ERROR] = parse::parse_ipv6(frame, len, l3, key, m);
  }
}

}  // namespace director::core
