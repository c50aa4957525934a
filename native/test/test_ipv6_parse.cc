// Golden-packet tests of parse_frame on IPv6: a table of well-formed frames (extension header
// chains, fragments, ICMPv6 errors, echo and neighbour discovery) with the metadata they must
// give, the barrage of malformed frames each of which must end in its own ParseError, and every
// truncation of every golden frame.
#include <functional>
#include <utility>

#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;
using t6::Ext;

namespace {

struct Row {
  const char* what;
  std::function<Bytes()> build;
  std::vector<std::pair<meta::Word, uint32_t>> want;
};

// The server's reply 2001:db8::100:80 -> 2001:db8:1::10:40000, as an ICMPv6 error quotes it.
Bytes quoted_reply(const std::vector<Ext>& chain = {}) {
  t6::Ip6 i{"2001:db8::100", "2001:db8:1::10"};
  t::Tcp s;
  s.sport = 80;
  s.dport = 40000;
  return t6::ipv6(i, chain, 6, t6::tcp_segment(i, s));
}

Bytes cut(Bytes b, size_t n) {
  b.resize(n);
  return b;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"TCP SYN", [] { t::Tcp s; s.flags = 0x02; s.options = Bytes{2, 4, 0x05, 0xa0}; return t6::tcp_frame({}, {}, s); },
       {{meta::KIND, 3}, {meta::L3_OFF, 14}, {meta::L4_OFF, 54}, {meta::PAYLOAD_OFF, 78}, {meta::PROTO, 6},
        {meta::TTL, 64}, {meta::IP_LEN, 64}, {meta::FRAG, frag_bits::DF}, {meta::TCP_FLAGS, 2},
        {meta::TCP_OPTS, 1440}, {meta::SRC_PORT, 40000}, {meta::DST_PORT, 80}}},
      {"UDP behind hop-by-hop, destination options, routing, destination options",
       [] { return t6::udp_frame({}, {}, {}, {t6::options(0, 8), t6::options(60, 16), t6::routing(24), t6::options(60)}); },
       {{meta::PROTO, 17}, {meta::L4_OFF, 14 + 40 + 56}, {meta::SRC_PORT, 40000}, {meta::DST_PORT, 53}}},
      {"VLAN 7 UDP", [] { t::Eth e; e.vlan = 7; return t6::udp_frame(e, {}, {}); },
       {{meta::VLAN, 8}, {meta::L3_OFF, 18}, {meta::L4_OFF, 58}, {meta::PROTO, 17}}},
      {"atomic fragment (offset 0, no more)", [] { return t6::udp_frame({}, {}, {}, {t6::fragment(0, false, 9)}); },
       {{meta::FRAG, frag_bits::DF}, {meta::IP_ID, 9}, {meta::L4_OFF, 62}, {meta::SRC_PORT, 40000}}},
      {"first fragment", [] { t::Udp u; u.payload = t::pattern(16); return t6::udp_frame({}, {}, u, {t6::fragment(0, true, 0xabcdef01)}); },
       {{meta::FRAG, frag_bits::DF | frag_bits::MF}, {meta::IP_ID, 0xabcdef01}, {meta::L4_OFF, 62}, {meta::PROTO, 17}}},
      {"later fragment: no L4, PROTO from the fragment header",
       [] { return t::ethernet({}, 0x86dd, t6::ipv6({}, {t6::fragment(1448, false, 5)}, 17, t::pattern(20))); },
       {{meta::FRAG, frag_bits::DF | frag_bits::NONFIRST}, {meta::IP_ID, 5}, {meta::L4_OFF, 0}, {meta::PROTO, 17},
        {meta::SRC_PORT, 0}, {meta::DST_IP6_3, 0x100}}},
      {"no next header (59)", [] { return t::ethernet({}, 0x86dd, t6::ipv6({}, {t6::options(60)}, 59, {})); },
       {{meta::PROTO, 59}, {meta::L4_OFF, 0}, {meta::ERROR, 0}}},
      {"other upper layer (SCTP): no L4 fields", [] { return t::ethernet({}, 0x86dd, t6::ipv6({}, {}, 132, t::pattern(12))); },
       {{meta::PROTO, 132}, {meta::L4_OFF, 0}, {meta::SRC_PORT, 0}}},
      {"ICMPv6 echo request", [] { t6::Ip6 i; return t6::icmp6_frame({}, i, t6::icmp6(i, 128, 0, 0x77770001, t::pattern(8))); },
       {{meta::PROTO, 58}, {meta::ICMP, 128u << 8}, {meta::SRC_PORT, 0x7777}, {meta::DST_PORT, 0x7777}, {meta::L4_OFF, 54}}},
      {"ICMPv6 packet too big quoting the reply", [] { t6::Ip6 i{"2001:db8:ff::1", "2001:db8::100"}; return t6::icmp6_frame({}, i, t6::icmp6(i, 2, 0, 1280, quoted_reply())); },
       {{meta::ICMP, 2u << 8}, {meta::ICMP_EXTRA, 1280}, {meta::INNER_PROTO, 6}, {meta::INNER_SRC_PORT, 80},
        {meta::INNER_DST_PORT, 40000}, {meta::INNER_SRC_IP6_3, 0x100}, {meta::INNER_DST_IP6_1, 0x00010000},
        {meta::INNER_DST_IP6_3, 0x10}, {meta::INNER_SRC_IP, 0}}},
      {"ICMPv6 unreachable quoting a chain and 4 bytes of TCP", [] { t6::Ip6 i; return t6::icmp6_frame({}, i, t6::icmp6(i, 1, 4, 0, cut(quoted_reply({t6::options(60)}), 52))); },
       {{meta::INNER_PROTO, 6}, {meta::INNER_SRC_PORT, 80}, {meta::INNER_DST_PORT, 40000}}},
      {"ICMPv6 time exceeded quoting a cut chain: no inner tuple", [] { t6::Ip6 i; return t6::icmp6_frame({}, i, t6::icmp6(i, 3, 0, 0, cut(quoted_reply({t6::options(60, 32)}), 56))); },
       {{meta::ICMP, 3u << 8}, {meta::INNER_PROTO, 0}, {meta::INNER_SRC_IP6_0, 0}, {meta::ERROR, 0}}},
      {"neighbour solicitation: target in INNER_DST_IP6", [] {
         t6::Ip6 i{"2001:db8::1", "ff02::1:ff00:100"};
         i.hop = 255;
         return t6::icmp6_frame({"33:33:ff:00:01:00"}, i, t6::icmp6(i, 135, 0, 0, t6::addr("2001:db8::100")));
       },
       {{meta::ICMP, 135u << 8}, {meta::TTL, 255}, {meta::INNER_DST_IP6_0, 0x20010db8}, {meta::INNER_DST_IP6_3, 0x100},
        {meta::INNER_PROTO, 0}, {meta::DST_MAC_HI, 0x3333}}},
  };
  return r;
}

struct Bad {
  const char* what;
  std::function<Bytes()> build;
  ParseError want;
};

Bytes ip6_frame(const std::vector<Ext>& chain, uint8_t proto, const Bytes& upper, t6::Ip6 i = {}) {
  return t::ethernet({}, 0x86dd, t6::ipv6(i, chain, proto, upper));
}

// Every malformed IPv6 frame the walk must refuse, each under its own code.
const std::vector<Bad>& barrage() {
  static const std::vector<Bad> r = {
      {"fixed header cut at 39 bytes", [] { return cut(t6::tcp_frame({}, {}, {}), 14 + 39); }, ParseError::TRUNCATED_IP},
      {"version 4 in an IPv6 frame", [] { t6::Ip6 i; i.version = 4; return t6::tcp_frame({}, i, {}); }, ParseError::BAD_IP_VERSION},
      {"payload length beyond the frame", [] { t6::Ip6 i; i.payload_len = 1000; return t6::tcp_frame({}, i, {}); }, ParseError::BAD_IP_TOTAL_LEN},
      {"payload length 0 with a TCP next header", [] { t6::Ip6 i; i.payload_len = 0; return t6::tcp_frame({}, i, {}); }, ParseError::TRUNCATED_L4},
      {"payload length 0 with a hop-by-hop next header (jumbogram)", [] { t6::Ip6 i; i.payload_len = 0; return t6::tcp_frame({}, i, {}, {t6::options(0)}); }, ParseError::EXT_TRUNCATED},
      {"extension header cut at 7 bytes", [] { return ip6_frame({t6::raw(60, 0, 7)}, 59, {}); }, ParseError::EXT_TRUNCATED},
      {"destination options length beyond the packet", [] { return ip6_frame({t6::raw(60, 255, 8)}, 6, t6::tcp_segment({}, {})); }, ParseError::EXT_TRUNCATED},
      {"routing header length one word too long", [] { return ip6_frame({t6::raw(43, 1, 8)}, 59, {}); }, ParseError::EXT_TRUNCATED},
      {"fragment header cut", [] { return ip6_frame({t6::raw(44, 0, 4)}, 59, {}); }, ParseError::EXT_TRUNCATED},
      {"first fragment without the upper-layer header (RFC 7112)", [] { return ip6_frame({t6::fragment(0, true, 1), t6::raw(60, 3, 8)}, 6, {}); }, ParseError::EXT_TRUNCATED},
      {"first fragment with the TCP header cut", [] { return ip6_frame({t6::fragment(0, true, 1)}, 6, Bytes(16, 0)); }, ParseError::TRUNCATED_L4},
      {"hop-by-hop after destination options", [] { return ip6_frame({t6::options(60), t6::options(0)}, 59, {}); }, ParseError::EXT_ORDER},
      {"hop-by-hop twice", [] { return ip6_frame({t6::options(0), t6::options(0)}, 59, {}); }, ParseError::EXT_REPEATED},
      {"destination options three times", [] { return ip6_frame({t6::options(60), t6::options(60), t6::options(60)}, 59, {}); }, ParseError::EXT_REPEATED},
      {"two fragment headers", [] { return ip6_frame({t6::fragment(0, false, 1), t6::fragment(0, false, 2)}, 59, {}); }, ParseError::EXT_REPEATED},
      {"a chain of 40 destination options (a loop)", [] { return ip6_frame(std::vector<Ext>(40, t6::options(60)), 59, {}); }, ParseError::EXT_REPEATED},
      {"the longest legal chain plus one routing header", [] { return ip6_frame({t6::options(0), t6::options(60), t6::routing(), t6::fragment(0, false, 1), t6::options(60), t6::routing()}, 59, {}); }, ParseError::EXT_REPEATED},
      {"AH", [] { return ip6_frame({}, 51, Bytes(24, 0)); }, ParseError::EXT_UNSUPPORTED},
      {"ESP after hop-by-hop", [] { return ip6_frame({t6::options(0)}, 50, Bytes(24, 0)); }, ParseError::EXT_UNSUPPORTED},
      {"Mobility", [] { return ip6_frame({}, 135, Bytes(8, 0)); }, ParseError::EXT_UNSUPPORTED},
      {"HIP", [] { return ip6_frame({}, 139, Bytes(8, 0)); }, ParseError::EXT_UNSUPPORTED},
      {"Shim6", [] { return ip6_frame({}, 140, Bytes(8, 0)); }, ParseError::EXT_UNSUPPORTED},
      {"experimental 253", [] { return ip6_frame({}, 253, Bytes(8, 0)); }, ParseError::EXT_UNSUPPORTED},
      {"experimental 254 behind routing", [] { return ip6_frame({t6::routing()}, 254, Bytes(8, 0)); }, ParseError::EXT_UNSUPPORTED},
      {"fragment with more to come, 13 data bytes", [] { t::Udp u; u.payload = t::pattern(5); return ip6_frame({t6::fragment(0, true, 3)}, 17, t6::udp_datagram({}, u)); }, ParseError::BAD_FRAG_LEN},
      {"later fragment with more to come, 4 data bytes", [] { return ip6_frame({t6::fragment(8, true, 3)}, 17, Bytes(4, 0)); }, ParseError::BAD_FRAG_LEN},
      {"UDP with checksum 0", [] { t::Udp u; u.checksum = false; return t6::udp_frame({}, {}, u); }, ParseError::UDP6_ZERO_CHECKSUM},
      {"UDP cut at 7 bytes", [] { return ip6_frame({}, 17, Bytes(7, 0)); }, ParseError::TRUNCATED_L4},
      {"ICMPv6 cut at 7 bytes", [] { return ip6_frame({}, 58, Bytes(7, 0)); }, ParseError::TRUNCATED_L4},
      {"neighbour solicitation without its target", [] { t6::Ip6 i; return t6::icmp6_frame({}, i, t6::icmp6(i, 135, 0, 0, Bytes(8, 0))); }, ParseError::TRUNCATED_L4},
      {"TCP data offset 3", [] { t::Tcp s; s.data_off = 3; return t6::tcp_frame({}, {}, s); }, ParseError::BAD_TCP_HEADER_LEN},
      {"TCP data offset beyond the packet", [] { t::Tcp s; s.data_off = 15; return t6::tcp_frame({}, {}, s); }, ParseError::BAD_TCP_HEADER_LEN},
  };
  return r;
}

}  // namespace

TEST(ipv6_parse_golden_table) {
  for (const auto& row : rows()) {
    CONTEXT(row.what);
    t::Meta m = t::parse(row.build());
    CHECK_EQ(m[meta::ERROR], 0u);
    CHECK_EQ(m[meta::KIND], uint32_t(FrameKind::IPV6));
    for (const auto& [word, value] : row.want) {
      CONTEXT("word " + std::to_string(word));
      CHECK_EQ(m[word], value);
    }
  }
}

TEST(ipv6_parse_malformed_barrage_each_a_named_error) {
  for (const auto& row : barrage()) {
    CONTEXT(row.what);
    t::Meta m = t::parse(row.build());
    CHECK_EQ(m[meta::ERROR], uint32_t(row.want));
    CHECK_EQ(m[meta::KIND], uint32_t(FrameKind::IPV6));
    CHECK_EQ(m[meta::HASH], 0u);
    CHECK_EQ(m[meta::L4_OFF], 0u);
    CHECK_EQ(m[meta::SRC_PORT], 0u);
  }
}

TEST(ipv6_parse_partial_udp_seed_is_not_a_zero_checksum) {
  // A CHECKSUM_PARTIAL datagram's field holds the pseudo-header seed; even a zero there is not
  // the forbidden "no checksum".
  t::Udp u;
  u.checksum = false;
  core::VnetHdr v{};
  v.flags = 1;
  v.csum_start = 54;
  v.csum_offset = 6;
  t::Meta m = t::parse(t6::udp_frame({}, {}, u), &v);
  CHECK_EQ(m[meta::ERROR], 0u);
  CHECK_EQ(m[meta::DST_PORT], 53u);
}

TEST(ipv6_parse_hash_is_the_keyed_hash_of_the_lookup_key) {
  const core::FlowKey key{0x0badcafe, 0x12345678};
  uint32_t client[4], vip[4];
  t6::words("2001:db8:1::10", client);
  t6::words("2001:db8::100", vip);
  t::Meta a = t::parse(t6::tcp_frame({}, {}, {}), nullptr, key);
  CHECK_EQ(a[meta::HASH], core::flow_hash6(key, 6, client, 40000, vip, 80));
  CHECK(core::flow_hash6(key, 6, vip, 80, client, 40000) != a[meta::HASH]);
  // An ICMPv6 error about the server's reply hashes like the client's packets.
  t6::Ip6 router{"2001:db8:ff::1", "2001:db8::100"};
  t::Meta e = t::parse(t6::icmp6_frame({}, router, t6::icmp6(router, 2, 0, 1280, quoted_reply())), nullptr, key);
  CHECK_EQ(e[meta::HASH], a[meta::HASH]);
  // Each address word counts: two clients that differ only in one word hash apart.
  t6::Ip6 other;
  other.src = "2001:db8:1::11";
  CHECK(t::parse(t6::tcp_frame({}, other, {}), nullptr, key)[meta::HASH] != a[meta::HASH]);
  // A later fragment hashes with ports 0, as IPv4's do.
  Bytes tail = ip6_frame({t6::fragment(8, false, 5)}, 17, t::pattern(8));
  CHECK_EQ(t::parse(tail, nullptr, key)[meta::HASH], core::flow_hash6(key, 17, client, 0, vip, 0));
}

TEST(ipv6_parse_never_reads_past_any_truncation) {
  std::vector<Bytes> frames;
  for (const auto& row : rows()) frames.push_back(row.build());
  for (const auto& row : barrage()) frames.push_back(row.build());
  for (const Bytes& full : frames) {
    for (size_t n = 0; n <= full.size(); ++n) {
      std::vector<uint8_t> part(full.begin(), full.begin() + long(n));  // exact size: ASan sees overreads
      t::Meta m = t::parse(part);
      CHECK_EQ(m[meta::LEN], uint32_t(n));
      CHECK(m[meta::ERROR] < uint32_t(ParseError::COUNT));
      if (m[meta::ERROR] != 0) CHECK_EQ(m[meta::HASH], 0u);
    }
  }
}
