// libFuzzer harness: parse_frame on any bytes and any vnet header, then every action, method and
// direction (and one past each range) applied on meta that TypeScript might have scribbled on. Parse
// properties, checked against the oracle's own reading of the frame:
//  - LEN, OFFLOAD and GSO_SIZE always set; ERROR and KIND in range; parsing twice gives the
//    same record (the flow hash is a function of the frame and the key);
//  - a frame with an error has no L4 offsets, ports or hash;
//  - an error-free IPv4 record matches the bytes: offsets (L4 right after the IP header and only
//    on first fragments, payload inside the packet), addresses, protocol, TTL, ID, total length,
//    fragment bits, ports (an echo's identifier for ICMP echo) and TCP flags, an IP header that
//    verifies, for an ICMP error the quoted packet's tuple, and the keyed hash of the tuple the
//    frame is looked up by (the quoted tuple reversed for an ICMP error);
//  - completeness: an IPv4 frame whose header is sound and verifies is not refused at the IP
//    layer (only an L4 error may remain);
//  - IPv6: a frame the oracle's own walk of the extension header chain accepts is refused at
//    most at the upper layer, and its record matches the bytes (addresses, hop limit, length,
//    upper protocol and offset, ports, hash); a frame the oracle refuses gets an error.
// Rewrite robustness: with the meta word chosen by the input overwritten, no action or method
// may crash, read outside the frame (ASan), or emit a frame pointing outside frame or scratch.
#include <cstring>

#include "fuzz_case.h"
#include "oracle.h"

using namespace director;
using fuzz::oracle::Bytes;
namespace o = fuzz::oracle;

namespace {

// Ports (TCP/UDP ports, an ICMP echo's identifier twice), the quoted tuple of an ICMP error,
// and the hash of the tuple TypeScript looks the frame up by.
void check_tuple(const fuzz::Case& c, const uint32_t* m, const o::Ip& ip) {
  uint32_t sport = 0, dport = 0;
  size_t l4 = ip.l4();
  bool first = !ip.nonfirst() && (ip.proto == o::TCP || ip.proto == o::UDP || ip.proto == o::ICMP);
  uint8_t type = first && ip.proto == o::ICMP ? c.orig[l4] : 0xff;
  if (first && ip.proto != o::ICMP) {
    sport = o::be16(&c.orig[l4]);
    dport = o::be16(&c.orig[l4 + 2]);
  } else if (type == 0 || type == 8) {
    sport = dport = o::be16(&c.orig[l4 + 4]);
  }
  PROPERTY(m[meta::SRC_PORT] == sport && m[meta::DST_PORT] == dport);
  uint32_t want[5] = {};  // proto, src, src port, dst, dst port of the quoted packet
  o::Quote q;
  if (o::find_quote(c.orig, ip, q)) {
    want[0] = q.proto;
    want[1] = o::be32(&c.orig[q.at + 12]);
    want[3] = o::be32(&c.orig[q.at + 16]);
    if (q.ports) {
      want[2] = o::be16(&c.orig[q.at + q.ihl]);
      want[4] = o::be16(&c.orig[q.at + q.ihl + 2]);
    }
  }
  PROPERTY(m[meta::INNER_PROTO] == want[0] && m[meta::INNER_SRC_IP] == want[1] && m[meta::INNER_SRC_PORT] == want[2]);
  PROPERTY(m[meta::INNER_DST_IP] == want[3] && m[meta::INNER_DST_PORT] == want[4]);
  const uint8_t* h = &c.orig[ip.l3];
  uint32_t hash = want[0] != 0 ? director::core::flow_hash(c.key, want[0], want[3], want[4], want[1], want[2])
                               : director::core::flow_hash(c.key, ip.proto, o::be32(h + 12), sport, o::be32(h + 16), dport);
  PROPERTY(m[meta::HASH] == hash);
}

void check_ip_record(const fuzz::Case& c, const uint32_t* m) {
  o::Ip ip;
  PROPERTY(o::find_ip(c.orig, ip) && ip.l3 == m[meta::L3_OFF]);
  const uint8_t* h = &c.orig[ip.l3];
  PROPERTY(o::verifies(h, ip.ihl));
  PROPERTY(m[meta::IP_LEN] == ip.total && m[meta::PROTO] == ip.proto && m[meta::TTL] == h[8]);
  PROPERTY(m[meta::SRC_IP] == o::be32(h + 12) && m[meta::DST_IP] == o::be32(h + 16) && m[meta::IP_ID] == o::be16(h + 4));
  uint32_t frag = ((ip.frag & 0x4000) ? frag_bits::DF : 0) | ((ip.frag & 0x2000) ? frag_bits::MF : 0) |
                  (ip.nonfirst() ? frag_bits::NONFIRST : 0);
  PROPERTY(m[meta::FRAG] == frag);
  uint32_t l4 = m[meta::L4_OFF];
  bool transport = ip.proto == o::TCP || ip.proto == o::UDP || ip.proto == o::ICMP;
  PROPERTY((l4 != 0) == (transport && !ip.nonfirst()));
  check_tuple(c, m, ip);
  if (l4 == 0) {
    PROPERTY(m[meta::PAYLOAD_OFF] == 0 && m[meta::SRC_PORT] == 0 && m[meta::DST_PORT] == 0);
    return;
  }
  PROPERTY(l4 == ip.l4() && m[meta::PAYLOAD_OFF] > l4 && m[meta::PAYLOAD_OFF] <= ip.end);
  if (ip.proto == o::TCP) PROPERTY(m[meta::TCP_FLAGS] == c.orig[l4 + 13]);
}

// An IPv6 record against the oracle's walk: refused only at the upper layer, and when accepted
// the fields match the bytes.
void check_ip6(const fuzz::Case& c, const uint32_t* m) {
  o::Ip6 ip;
  bool sound = o::find_ip6(c.orig, ip);
  if (m[meta::KIND] == uint32_t(FrameKind::IPV6) && m[meta::ERROR] == 0) PROPERTY(sound);
  if (!sound) return;
  uint32_t e = m[meta::ERROR];
  PROPERTY(e == 0 || e == uint32_t(ParseError::TRUNCATED_L4) || e == uint32_t(ParseError::BAD_TCP_HEADER_LEN) ||
           e == uint32_t(ParseError::UDP6_ZERO_CHECKSUM));
  const uint8_t* h = &c.orig[ip.l3];
  for (uint32_t i = 0; i < 4; ++i) {
    PROPERTY(m[meta::SRC_IP6_0 + i] == o::be32(h + 8 + 4 * i) && m[meta::DST_IP6_0 + i] == o::be32(h + 24 + 4 * i));
  }
  PROPERTY(m[meta::L3_OFF] == ip.l3);
  if (e != 0) return;  // an ICMP error clears the words from SRC_PORT on, TTL and IP_LEN among them
  PROPERTY(m[meta::TTL] == h[7] && m[meta::IP_LEN] == ip.end - ip.l3);
  PROPERTY(m[meta::PROTO] == ip.proto && ((m[meta::FRAG] & frag_bits::NONFIRST) != 0) == ip.nonfirst);
  bool transport = ip.proto == o::TCP || ip.proto == o::UDP || ip.proto == 58;
  uint32_t l4 = m[meta::L4_OFF];
  PROPERTY(l4 == (transport && !ip.nonfirst ? ip.upper : 0));
  uint32_t sport = 0, dport = 0;
  if (l4 != 0 && ip.proto != 58) {
    sport = o::be16(&c.orig[l4]);
    dport = o::be16(&c.orig[l4 + 2]);
    PROPERTY(m[meta::SRC_PORT] == sport && m[meta::DST_PORT] == dport);
  }
  if (m[meta::INNER_PROTO] == 0) {
    PROPERTY(m[meta::HASH] == director::core::flow_hash6(c.key, ip.proto, m + meta::SRC_IP6_0, m[meta::SRC_PORT],
                                                         m + meta::DST_IP6_0, m[meta::DST_PORT]));
  }
}

void check_parse(const fuzz::Case& c) {
  const uint32_t* m = c.meta;
  PROPERTY(m[meta::LEN] == c.len && m[meta::ERROR] < uint32_t(ParseError::COUNT) && m[meta::KIND] <= 3);
  PROPERTY(m[meta::GSO_SIZE] == (c.vnet.gso_type ? c.vnet.gso_size : 0u));
  PROPERTY(((m[meta::OFFLOAD] & offload_bits::CSUM_PARTIAL) != 0) == ((c.vnet.flags & 1) != 0));
  uint32_t again[meta::WORDS];
  director::core::parse_frame(c.frame.get(), c.len, &c.vnet, c.key, again);
  PROPERTY(std::memcmp(again, m, sizeof again) == 0);
  if (m[meta::ERROR] != 0) {
    PROPERTY(m[meta::L4_OFF] == 0 && m[meta::PAYLOAD_OFF] == 0 && m[meta::HASH] == 0);
    PROPERTY(m[meta::SRC_PORT] == 0 && m[meta::DST_PORT] == 0);
  } else if (m[meta::KIND] == uint32_t(FrameKind::IPV4)) {
    check_ip_record(c, m);
  }
  check_ip6(c, m);
  o::Ip ip;
  if (o::find_ip(c.orig, ip) && o::verifies(&c.orig[ip.l3], ip.ihl)) {
    PROPERTY(m[meta::KIND] == uint32_t(FrameKind::IPV4));
    PROPERTY(m[meta::ERROR] == 0 || m[meta::ERROR] == uint32_t(ParseError::TRUNCATED_L4) ||
             m[meta::ERROR] == uint32_t(ParseError::BAD_TCP_HEADER_LEN));
  }
}

// Every action, method and direction on fresh copies of the frame, with one meta word overwritten.
void every_verdict(fuzz::Case& c) {
  uint32_t tamper = c.v[verdict::RESERVED_15];
  if (tamper != 0) c.meta[(tamper >> 24) % meta::WORDS] = tamper & 0xffff;
  constexpr uint32_t kDirections = uint32_t(Direction::COUNT) + 1;
  for (uint32_t a = 0; a <= uint32_t(Action::COUNT); ++a) {
    uint32_t forwards = a == uint32_t(Action::FORWARD) ? (uint32_t(Method::COUNT) + 1) * kDirections : 1;
    for (uint32_t k = 0; k < forwards; ++k) {
      fuzz::restore(c);
      c.v[verdict::ACTION] = a;
      c.v[verdict::METHOD] = k / kDirections;
      c.v[verdict::DIRECTION] = k % kDirections;
      director::core::apply_verdict(c.frame.get(), c.len, c.vnet, c.meta, c.v, c.egress, fuzz::out());
      fuzz::check_bounds(c);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Case c;
  if (!fuzz::decode(data, size, c)) return 0;
  director::core::parse_frame(c.frame.get(), c.len, &c.vnet, c.key, c.meta);
  check_parse(c);
  every_verdict(c);
  return 0;
}
