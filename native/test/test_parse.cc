// Golden-packet tests of core::parse_frame: a table of frames built by the test builders, each
// with the metadata words it must produce, and one crafted frame per parse error code.
#include <functional>
#include <utility>

#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

struct Row {
  const char* what;
  std::function<Bytes()> build;
  std::vector<std::pair<meta::Word, uint32_t>> want;
};

Bytes quoted_tcp() {
  t::Ip i{"198.19.0.100", "198.18.1.10"};
  i.df = true;
  return t::ip_packet(t::tcp_frame({}, i, {80, 40000}));
}

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"TCP SYN", [] { t::Tcp s; s.flags = 0x02; return t::tcp_frame({}, {}, s); },
       {{meta::KIND, 2}, {meta::L3_OFF, 14}, {meta::L4_OFF, 34}, {meta::PROTO, 6},
        {meta::SRC_IP, t::ip("198.18.1.10")}, {meta::DST_IP, t::ip("198.19.0.100")},
        {meta::SRC_PORT, 40000}, {meta::DST_PORT, 80}, {meta::TCP_FLAGS, 2}, {meta::TTL, 64},
        {meta::IP_ID, 0x1234}, {meta::IP_LEN, 40}, {meta::LEN, 54},
        {meta::DST_MAC_HI, 0x0200}, {meta::DST_MAC_LO, 0x00000002}, {meta::SRC_MAC_LO, 1}}},
      {"TCP with options and payload", [] { t::Tcp s; s.options = Bytes{2, 4, 5, 0xb4}; s.payload = t::pattern(100); return t::tcp_frame({}, {}, s); },
       {{meta::L4_OFF, 34}, {meta::IP_LEN, 144}, {meta::TCP_FLAGS, 0x10}}},
      {"UDP, zero checksum", [] { t::Udp u; u.checksum = false; return t::udp_frame({}, {}, u); },
       {{meta::PROTO, 17}, {meta::SRC_PORT, 40000}, {meta::DST_PORT, 53}, {meta::L4_OFF, 34}}},
      {"VLAN 42 UDP", [] { t::Eth e; e.vlan = 42; return t::udp_frame(e, {}, {}); },
       {{meta::VLAN, 43}, {meta::L3_OFF, 18}, {meta::L4_OFF, 38}, {meta::KIND, 2}}},
      {"IP options", [] { t::Ip i; i.options = Bytes{1, 1, 1, 0}; return t::udp_frame({}, i, {}); },
       {{meta::L4_OFF, 38}, {meta::PROTO, 17}}},
      {"DF first fragment", [] { t::Ip i; i.mf = true; i.df = false; return t::udp_frame({}, i, {}); },
       {{meta::FRAG, frag_bits::MF}, {meta::L4_OFF, 34}, {meta::SRC_PORT, 40000}}},
      {"non-first fragment", [] { t::Ip i; i.frag_off = 1480; return t::ethernet({}, 0x0800, t::ipv4(i, 6, t::pattern(40))); },
       {{meta::FRAG, frag_bits::NONFIRST}, {meta::L4_OFF, 0}, {meta::SRC_PORT, 0}, {meta::PROTO, 6}}},
      {"DF set", [] { t::Ip i; i.df = true; return t::tcp_frame({}, i, {}); }, {{meta::FRAG, frag_bits::DF}}},
      {"ICMP echo", [] { return t::icmp_frame({}, {}, t::icmp_echo(8, 0x4242, 7, t::pattern(8))); },
       {{meta::PROTO, 1}, {meta::ICMP, 0x0800}, {meta::SRC_PORT, 0x4242}, {meta::DST_PORT, 0x4242},
        {meta::ICMP_EXTRA, 0x42420007}, {meta::INNER_PROTO, 0}}},
      {"ICMP frag needed quoting TCP", [] { return t::icmp_frame({}, {"198.18.0.1", "198.19.0.100"}, t::icmp_error(3, 4, 1400, quoted_tcp())); },
       {{meta::ICMP, 0x0304}, {meta::ICMP_EXTRA, 1400}, {meta::INNER_PROTO, 6},
        {meta::INNER_SRC_IP, t::ip("198.19.0.100")}, {meta::INNER_DST_IP, t::ip("198.18.1.10")},
        {meta::INNER_SRC_PORT, 80}, {meta::INNER_DST_PORT, 40000}}},
      {"ICMP time exceeded quoting 4 bytes of L4", [] { return t::icmp_frame({}, {}, t::icmp_error(11, 0, 0, quoted_tcp(), 24)); },
       {{meta::ICMP, 0x0b00}, {meta::INNER_PROTO, 6}, {meta::INNER_SRC_PORT, 80}}},
      {"ICMP error quoting only an IP header", [] { return t::icmp_frame({}, {}, t::icmp_error(3, 3, 0, quoted_tcp(), 20)); },
       {{meta::INNER_PROTO, 6}, {meta::INNER_SRC_IP, t::ip("198.19.0.100")}, {meta::INNER_SRC_PORT, 0}}},
      {"ICMP error quoting a cut header", [] { return t::icmp_frame({}, {}, t::icmp_error(12, 0, 0, quoted_tcp(), 12)); },
       {{meta::ICMP, 0x0c00}, {meta::INNER_PROTO, 0}, {meta::INNER_SRC_IP, 0}}},
      {"IPIP", [] { return t::ethernet({}, 0x0800, t::ipv4({"198.19.0.2", "198.19.0.11"}, 4, quoted_tcp())); },
       {{meta::PROTO, 4}, {meta::L4_OFF, 0}, {meta::SRC_PORT, 0}}},
      {"ARP request", [] { return t::arp_frame({"ff:ff:ff:ff:ff:ff", "02:00:00:00:00:05"}, 1, "02:00:00:00:00:05", "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100"); },
       {{meta::KIND, 1}, {meta::ARP_OP, 1}, {meta::SRC_IP, t::ip("198.19.0.1")}, {meta::DST_IP, t::ip("198.19.0.100")},
        {meta::SRC_MAC_HI, 0x0200}, {meta::SRC_MAC_LO, 5}, {meta::DST_MAC_HI, 0xffff}, {meta::HASH, 0}}},
      {"IPv6 TCP (more rows in test_ipv6_parse.cc)", [] { return t6::tcp_frame({}, {}, {}); },
       {{meta::KIND, 3}, {meta::L3_OFF, 14}, {meta::L4_OFF, 54}, {meta::PROTO, 6}, {meta::SRC_IP, 0},
        {meta::SRC_IP6_0, 0x20010db8}, {meta::SRC_IP6_1, 0x00010000}, {meta::SRC_IP6_3, 0x10},
        {meta::DST_IP6_0, 0x20010db8}, {meta::DST_IP6_3, 0x100}, {meta::SRC_PORT, 40000}, {meta::DST_PORT, 80}}},
      {"other ethertype", [] { return t::ethernet({}, 0x88cc, Bytes(46, 0)); }, {{meta::KIND, 0}, {meta::L3_OFF, 0}}},
      {"Ethernet padding after a short IP packet", [] { Bytes f = t::udp_frame({}, {}, {}); f.resize(60, 0); return f; },
       {{meta::LEN, 60}, {meta::IP_LEN, 28}, {meta::ERROR, 0}}},
  };
  return r;
}

struct ErrRow {
  const char* what;
  std::function<Bytes()> build;
  ParseError want;
};

const std::vector<ErrRow>& error_rows() {
  static const std::vector<ErrRow> r = {
      {"13 bytes", [] { return Bytes(13, 0); }, ParseError::TRUNCATED_ETH},
      {"VLAN tag cut", [] { Bytes f = t::ethernet({}, 0x8100, Bytes{0, 1}); return f; }, ParseError::TRUNCATED_VLAN},
      {"ARP cut", [] { Bytes f = t::arp_frame({}, 1, "02:00:00:00:00:05", "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100"); f.resize(14 + 27); return f; }, ParseError::TRUNCATED_ARP},
      {"ARP for IPv6", [] { Bytes f = t::arp_frame({}, 1, "02:00:00:00:00:05", "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100"); f[16] = 0x86; f[17] = 0xdd; return f; }, ParseError::BAD_ARP},
      {"IP cut", [] { return t::ethernet({}, 0x0800, Bytes(19, 0x45)); }, ParseError::TRUNCATED_IP},
      {"IP version 5", [] { t::Ip i; i.version = 5; return t::udp_frame({}, i, {}); }, ParseError::BAD_IP_VERSION},
      {"IHL 4", [] { t::Ip i; i.ihl = 4; return t::udp_frame({}, i, {}); }, ParseError::BAD_IP_HEADER_LEN},
      {"IHL beyond frame", [] { t::Ip i; i.ihl = 15; return t::ethernet({}, 0x0800, t::ipv4(i, 17, Bytes(8, 0))); }, ParseError::BAD_IP_HEADER_LEN},
      {"total length beyond frame", [] { t::Ip i; i.total_len = 200; return t::udp_frame({}, i, {}); }, ParseError::BAD_IP_TOTAL_LEN},
      {"total length below header", [] { t::Ip i; i.total_len = 19; return t::udp_frame({}, i, {}); }, ParseError::BAD_IP_TOTAL_LEN},
      {"bad header checksum", [] { t::Ip i; i.checksum = 0x1234; return t::udp_frame({}, i, {}); }, ParseError::BAD_IP_CHECKSUM},
      {"TCP cut at 19 bytes", [] { return t::ethernet({}, 0x0800, t::ipv4({}, 6, Bytes(19, 0))); }, ParseError::TRUNCATED_L4},
      {"UDP cut at 7 bytes", [] { return t::ethernet({}, 0x0800, t::ipv4({}, 17, Bytes(7, 0))); }, ParseError::TRUNCATED_L4},
      {"ICMP cut at 7 bytes", [] { return t::ethernet({}, 0x0800, t::ipv4({}, 1, Bytes(7, 0))); }, ParseError::TRUNCATED_L4},
      {"TCP data offset 4", [] { t::Tcp s; s.data_off = 4; return t::tcp_frame({}, {}, s); }, ParseError::BAD_TCP_HEADER_LEN},
      {"TCP data offset beyond packet", [] { t::Tcp s; s.data_off = 15; return t::tcp_frame({}, {}, s); }, ParseError::BAD_TCP_HEADER_LEN},
      // IPv6: one frame per code here; the whole barrage is in test_ipv6_parse.cc.
      {"IPv6 routing header cut", [] { return t6::tcp_frame({}, {}, {}, {t6::raw(43, 200, 16)}); }, ParseError::EXT_TRUNCATED},
      {"IPv6 hop-by-hop after routing", [] { return t6::tcp_frame({}, {}, {}, {t6::routing(), t6::options(0)}); }, ParseError::EXT_ORDER},
      {"IPv6 two routing headers", [] { return t6::tcp_frame({}, {}, {}, {t6::routing(), t6::routing()}); }, ParseError::EXT_REPEATED},
      {"IPv6 ESP", [] { return t::ethernet({}, 0x86dd, t6::ipv6({}, {}, 50, t::pattern(16))); }, ParseError::EXT_UNSUPPORTED},
      {"IPv6 ragged fragment", [] { t::Udp u; u.payload = t::pattern(3); return t6::udp_frame({}, {}, u, {t6::fragment(0, true, 7)}); }, ParseError::BAD_FRAG_LEN},
      {"IPv6 UDP checksum 0", [] { t::Udp u; u.checksum = false; return t6::udp_frame({}, {}, u); }, ParseError::UDP6_ZERO_CHECKSUM},
  };
  return r;
}

}  // namespace

TEST(parse_golden_table) {
  for (const auto& row : rows()) {
    CONTEXT(row.what);
    Bytes f = row.build();
    t::Meta m = t::parse(f);
    if (m[meta::ERROR] != 0) CHECK_EQ(m[meta::ERROR], 0u);
    for (const auto& [word, value] : row.want) {
      CONTEXT("word " + std::to_string(word));
      CHECK_EQ(m[word], value);
    }
  }
}

TEST(parse_error_codes_each_have_a_frame) {
  bool seen[static_cast<uint32_t>(ParseError::COUNT)] = {};
  for (const auto& row : error_rows()) {
    CONTEXT(row.what);
    t::Meta m = t::parse(row.build());
    CHECK_EQ(m[meta::ERROR], static_cast<uint32_t>(row.want));
    seen[static_cast<uint32_t>(row.want)] = true;
    CHECK_EQ(m[meta::HASH], 0u);
    CHECK_EQ(m[meta::SRC_PORT], 0u);
  }
  for (uint32_t e = 1; e < static_cast<uint32_t>(ParseError::COUNT); ++e) {
    CONTEXT("error code " + std::to_string(e));
    CHECK(seen[e]);
  }
}

TEST(parse_zeroes_fields_after_the_failing_layer) {
  t::Ip i;
  i.checksum = 0x1234;
  t::Meta m = t::parse(t::udp_frame({}, i, {}));
  CHECK_EQ(m[meta::KIND], 2u);
  CHECK_EQ(m[meta::L3_OFF], 14u);
  CHECK_EQ(m[meta::SRC_IP], 0u);
  CHECK_EQ(m[meta::PROTO], 0u);
  CHECK_EQ(m[meta::DST_MAC_LO], 2u);  // Ethernet layer was fine
}

TEST(parse_offload_bits_from_vnet) {
  struct { uint8_t flags, gso; uint16_t size; uint32_t bits, gso_size; } cases[] = {
      {1, 0, 0, offload_bits::CSUM_PARTIAL, 0},
      {2, 0, 0, offload_bits::DATA_VALID, 0},
      {1, 1, 1448, offload_bits::CSUM_PARTIAL | offload_bits::GSO_TCPV4, 1448},
      {1, 3, 1400, offload_bits::CSUM_PARTIAL | offload_bits::GSO_UDP, 1400},
      {1, 5, 1400, offload_bits::CSUM_PARTIAL | offload_bits::GSO_UDP, 1400},
      {1, 4, 1400, offload_bits::CSUM_PARTIAL | offload_bits::GSO_OTHER, 1400},
      {1, 0x81, 1400, offload_bits::CSUM_PARTIAL | offload_bits::GSO_OTHER, 1400},
      {0, 0, 1234, 0, 0},
  };
  Bytes f = t::tcp_frame({}, {}, {});
  for (const auto& c : cases) {
    CONTEXT("gso " + std::to_string(c.gso));
    core::VnetHdr v{};
    v.flags = c.flags;
    v.gso_type = c.gso;
    v.gso_size = c.size;
    t::Meta m = t::parse(f, &v);
    CHECK_EQ(m[meta::OFFLOAD], c.bits);
    CHECK_EQ(m[meta::GSO_SIZE], c.gso_size);
  }
  CHECK_EQ(t::parse(f)[meta::OFFLOAD], 0u);
}

TEST(parse_hash_is_the_keyed_hash_of_the_connection_key_the_frame_is_looked_up_by) {
  const core::FlowKey key{0x01234567, 0x89abcdef};
  const uint32_t client = t::ip("198.18.1.10"), vip = t::ip("198.19.0.100");
  Bytes f = t::tcp_frame({}, {}, {});
  t::Meta a = t::parse(f, nullptr, key);
  CHECK_EQ(a[meta::HASH], core::flow_hash(key, 6, client, 40000, vip, 80));
  CHECK_EQ(t::parse(f, nullptr, key)[meta::HASH], a[meta::HASH]);
  CHECK(t::parse(f, nullptr, {0x01234567, 0x89abcdee})[meta::HASH] != a[meta::HASH]);
  CHECK(t::parse(t::tcp_frame({}, {}, {40001, 80}), nullptr, key)[meta::HASH] != a[meta::HASH]);
  Bytes reply = t::tcp_frame({}, {"198.19.0.100", "198.18.1.10"}, {80, 40000});
  CHECK_EQ(t::parse(reply, nullptr, key)[meta::HASH], core::flow_hash(key, 6, vip, 80, client, 40000));
  // An ICMP error belongs to the flow of the packet it quotes, travelling the other way: the
  // reply quoted here (VIP:80 -> client) makes the error hash like the client's own packets.
  Bytes error = t::icmp_frame({}, {"198.18.0.1", "198.19.0.100"}, t::icmp_error(3, 4, 1400, quoted_tcp()));
  CHECK_EQ(t::parse(error, nullptr, key)[meta::HASH], a[meta::HASH]);
  // A first fragment carries its ports; a later one has none (the fragment cache follows it).
  t::Ip first;
  first.mf = true;
  t::Ip later;
  later.frag_off = 8;
  t::Udp u;
  CHECK_EQ(t::parse(t::udp_frame({}, first, u), nullptr, key)[meta::HASH],
           core::flow_hash(key, 17, client, u.sport, vip, u.dport));
  Bytes tail = t::ethernet({}, 0x0800, t::ipv4(later, 17, Bytes(16, 0)));
  CHECK_EQ(t::parse(tail, nullptr, key)[meta::HASH], core::flow_hash(key, 17, client, 0, vip, 0));
}

TEST(parse_never_reads_past_any_truncation) {
  Bytes quoted = quoted_tcp();
  Bytes frames[] = {t::tcp_frame({}, {}, {}), t::arp_frame({}, 1, "02:00:00:00:00:05", "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100"),
                    t::icmp_frame({}, {}, t::icmp_error(3, 4, 1400, quoted, 48))};
  for (const Bytes& full : frames) {
    for (size_t n = 0; n <= full.size(); ++n) {
      // An exact-size heap copy, so an overread is caught by the sanitizer build.
      std::vector<uint8_t> cut(full.begin(), full.begin() + long(n));
      t::Meta m = t::parse(cut);
      CHECK_EQ(m[meta::LEN], uint32_t(n));
      if (n < full.size()) CHECK(m[meta::ERROR] != 0);
    }
  }
}
