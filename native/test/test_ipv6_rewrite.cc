// Golden tests of IPv6 rewrites: DR (MACs only) and NAT and FULLNAT in both directions, each
// input frame against the expected frame built from scratch by the builders, so byte equality
// proves the incremental checksum updates over the IPv6 pseudo-header (TCP, UDP, ICMPv6 echo,
// partial checksums, VLAN, extension headers, later fragments); then the refusals, and the
// incremental address update against a from-scratch sum on many random addresses.
#include <cstring>
#include <random>

#include "builders.h"
#include "builders6.h"
#include "core/checksum.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const char* CLIENT = "2001:db8:1::10";
const char* VIP = "2001:db8::100";
const char* RS = "2001:db8::11";
const char* LIP = "2001:db8:f::1";
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};

struct Flow {
  const char* src;
  const char* dst;
  uint16_t sport, dport;
  uint8_t hop;
};

enum class Kind { TCP, UDP, TCP_PARTIAL, UDP_PARTIAL, TCP_VLAN, TCP_EXT, ECHO, FRAG_NONFIRST };
const char* kKindNames[] = {"tcp", "udp", "tcp partial", "udp partial", "tcp vlan", "tcp behind options and routing", "icmpv6 echo", "later fragment"};

// The CHECKSUM_PARTIAL form of an option-less TCP/UDP over IPv6 frame: the field holds the
// folded pseudo-header sum, as a local sender's stack leaves it.
t::Partial make_partial6(const Bytes& frame, size_t l3, uint8_t proto) {
  t::Partial p{frame, {}};
  size_t l4 = l3 + 40;
  uint32_t n = uint32_t(t::rd16(frame, l3 + 4));
  uint16_t field = proto == 6 ? 16 : 6;
  t::wr16(p.frame, l4 + field, uint16_t(~t::ref_checksum(nullptr, 0, t6::pseudo(frame, l3, proto, n))));
  p.vnet.flags = 1;
  p.vnet.csum_start = uint16_t(l4);
  p.vnet.csum_offset = field;
  return p;
}

Bytes build(Kind k, const Flow& f, const t::Eth& eth, core::VnetHdr* vnet) {
  t6::Ip6 ip{f.src, f.dst};
  ip.hop = f.hop;
  t::Tcp tcp;
  tcp.sport = f.sport;
  tcp.dport = f.dport;
  tcp.payload = t::pattern(333, 3);
  t::Udp udp;
  udp.sport = f.sport;
  udp.dport = f.dport;
  udp.payload = t::pattern(111, 5);
  t::Eth e = eth;
  switch (k) {
    case Kind::TCP: return t6::tcp_frame(e, ip, tcp);
    case Kind::UDP: return t6::udp_frame(e, ip, udp);
    case Kind::TCP_VLAN: e.vlan = 77; return t6::tcp_frame(e, ip, tcp);
    case Kind::TCP_EXT: return t6::tcp_frame(e, ip, tcp, {t6::options(60, 16), t6::routing()});
    case Kind::ECHO: return t6::icmp6_frame(e, ip, t6::icmp6(ip, 128, 0, 0x00770001, t::pattern(24)));
    case Kind::FRAG_NONFIRST: return t::ethernet(e, 0x86dd, t6::ipv6(ip, {t6::fragment(1448, false, 9)}, 17, t::pattern(100)));
    case Kind::TCP_PARTIAL:
    case Kind::UDP_PARTIAL: {
      bool is_tcp = k == Kind::TCP_PARTIAL;
      t::Partial p = make_partial6(is_tcp ? t6::tcp_frame(e, ip, tcp) : t6::udp_frame(e, ip, udp), 14, is_tcp ? 6 : 17);
      if (vnet) *vnet = p.vnet;
      return p.frame;
    }
  }
  return {};
}

struct Case {
  const char* what;
  Method method;
  Direction direction;
  Flow in, want;
  const char* src_ip;
  uint32_t src_port;
  const char* dst_ip;
  uint32_t dst_port;
};

const Case kCases[] = {
    {"NAT in", Method::NAT, Direction::IN, {CLIENT, VIP, 40000, 80, 64}, {CLIENT, RS, 40000, 8080, 63}, nullptr, 0, RS, 8080},
    {"NAT in, same port", Method::NAT, Direction::IN, {CLIENT, VIP, 40000, 80, 9}, {CLIENT, RS, 40000, 80, 8}, nullptr, 0, RS, 80},
    {"NAT out", Method::NAT, Direction::OUT, {RS, CLIENT, 8080, 40000, 64}, {VIP, CLIENT, 80, 40000, 63}, VIP, 80, nullptr, 0},
    {"FNAT in", Method::FNAT, Direction::IN, {CLIENT, VIP, 40000, 80, 64}, {LIP, RS, 5001, 8080, 63}, LIP, 5001, RS, 8080},
    {"FNAT out", Method::FNAT, Direction::OUT, {RS, LIP, 8080, 5001, 2}, {VIP, CLIENT, 80, 40000, 1}, VIP, 80, CLIENT, 40000},
};

t::Verdict& set6(t::Verdict& v, uint32_t word0, const char* text) {
  uint32_t w[4];
  t6::words(text, w);
  for (uint32_t i = 0; i < 4; ++i) v.set(word0 + i, w[i]);
  return v;
}

t::Verdict verdict_of(const Case& c) {
  t::Verdict v = t::forward(c.method, c.direction);
  if (c.src_ip) set6(v, verdict::SRC_IP6_0, c.src_ip).set(verdict::SRC_PORT, c.src_port);
  if (c.dst_ip) set6(v, verdict::DST_IP6_0, c.dst_ip).set(verdict::DST_PORT, c.dst_port);
  return v;
}

uint32_t apply(Bytes& f, const core::VnetHdr& vnet, const t::Verdict& v, const core::Egress& eg = t::egress()) {
  t::Meta m = t::parse(f, &vnet);
  CHECK_EQ(m[meta::ERROR], 0u);
  core::apply_verdict(f.data(), uint32_t(f.size()), vnet, m.w, v.w, eg, out);
  return out.error;
}

}  // namespace

TEST(ipv6_nat_and_fnat_golden_table) {
  const Kind kinds[] = {Kind::TCP, Kind::UDP, Kind::TCP_PARTIAL, Kind::UDP_PARTIAL, Kind::TCP_VLAN,
                        Kind::TCP_EXT, Kind::ECHO, Kind::FRAG_NONFIRST};
  for (const Case& c : kCases) {
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; ++k) {
      CONTEXT(std::string(c.what) + " / " + kKindNames[k]);
      core::VnetHdr vnet{}, want_vnet{};
      Bytes f = build(kinds[k], c.in, {}, &vnet);
      Flow w = c.want;
      if (kinds[k] == Kind::ECHO || kinds[k] == Kind::FRAG_NONFIRST) {  // no ports to rewrite
        w.sport = c.in.sport;
        w.dport = c.in.dport;
      }
      Bytes want = build(kinds[k] == Kind::TCP_PARTIAL ? Kind::TCP : kinds[k], w, kOut, &want_vnet);
      CHECK_EQ(apply(f, vnet, verdict_of(c)), 0u);
      CHECK_EQ(out.count, 1u);
      if (out.count != 1) continue;
      Bytes got = t::flat(out.frames[0]);
      CHECK(got == want);
      CHECK(std::memcmp(&out.frames[0].vnet, &want_vnet, sizeof want_vnet) == 0);
      size_t l3 = t::l3_of(got);
      if (kinds[k] == Kind::FRAG_NONFIRST) continue;
      size_t l4 = l3 + 40 + (kinds[k] == Kind::TCP_EXT ? 24 : 0);
      uint8_t proto = kinds[k] == Kind::ECHO ? 58 : (kinds[k] == Kind::UDP || kinds[k] == Kind::UDP_PARTIAL) ? 17 : 6;
      CHECK(t6::l4_ok(t::complete(got, out.frames[0].vnet), l3, l4, proto));
    }
  }
}

TEST(ipv6_dr_changes_only_the_macs) {
  const Kind kinds[] = {Kind::TCP, Kind::TCP_PARTIAL, Kind::TCP_EXT, Kind::FRAG_NONFIRST};
  for (Kind k : kinds) {
    CONTEXT(kKindNames[size_t(k)]);
    core::VnetHdr vnet{}, want_vnet{};
    Flow flow{CLIENT, VIP, 40000, 80, 64};
    Bytes f = build(k, flow, {}, &vnet);
    Bytes want = build(k, flow, kOut, &want_vnet);
    CHECK_EQ(apply(f, vnet, t::forward(Method::DR)), 0u);
    CHECK_EQ(out.count, 1u);
    if (out.count != 1) continue;
    CHECK(t::flat(out.frames[0]) == want);
    CHECK(std::memcmp(&out.frames[0].vnet, &vnet, sizeof vnet) == 0);  // the kernel finishes it
  }
}

TEST(ipv6_nat_refusals) {
  core::VnetHdr plain{};
  t::Verdict v = t::forward(Method::NAT);
  set6(v, verdict::DST_IP6_0, RS).set(verdict::DST_PORT, 8080);
  // Hop limit 1 would reach 0: refused, frame untouched.
  Bytes f = build(Kind::TCP, {CLIENT, VIP, 40000, 80, 1}, {}, nullptr);
  Bytes before = f;
  CHECK_EQ(apply(f, plain, v), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK(f == before);
  // An IPv4 address in the verdict is no IPv6 destination.
  Bytes g = build(Kind::TCP, {CLIENT, VIP, 40000, 80, 64}, {}, nullptr);
  t::Verdict v4 = t::forward(Method::NAT).set(verdict::DST_IP, t::ip("198.19.0.11")).set(verdict::DST_PORT, 80);
  CHECK_EQ(apply(g, plain, v4), uint32_t(RewriteError::BAD_VERDICT));
  t::Verdict no_port = t::forward(Method::NAT);
  set6(no_port, verdict::DST_IP6_0, RS);
  CHECK_EQ(apply(g, plain, no_port), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(apply(g, plain, v, t::egress("02:00:00:00:00:aa", 300)), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(out.count, 0u);
  // ICMPv6 errors about connections: test_icmp6.cc.
}

TEST(ipv6_rewrite_rechecks_meta_against_the_bytes) {
  // meta lives in memory TypeScript writes: an L4 offset that points into the extension headers
  // must not steer the checksum update.
  core::VnetHdr plain{};
  Bytes f = build(Kind::TCP_EXT, {CLIENT, VIP, 40000, 80, 64}, {}, nullptr);
  t::Meta m = t::parse(f);
  m.w[meta::L4_OFF] = 14 + 40 + 8;
  t::Verdict v = t::forward(Method::NAT);
  set6(v, verdict::DST_IP6_0, RS).set(verdict::DST_PORT, 8080);
  core::apply_verdict(f.data(), uint32_t(f.size()), plain, m.w, v.w, t::egress(), out);
  CHECK_EQ(out.error, uint32_t(RewriteError::NOT_APPLICABLE));
  m = t::parse(f);
  m.w[meta::KIND] = uint32_t(FrameKind::IPV4);
  core::apply_verdict(f.data(), uint32_t(f.size()), plain, m.w, v.w, t::egress(), out);
  CHECK_EQ(out.error, uint32_t(RewriteError::NOT_APPLICABLE));
}

TEST(ipv6_address_update_matches_a_sum_from_scratch) {
  std::mt19937 rng(614);
  for (int round = 0; round < 2000; ++round) {
    Bytes seg = t::pattern(40 + round % 50, uint8_t(round));
    uint8_t from[16], to[16];
    for (int i = 0; i < 16; ++i) {
      from[i] = uint8_t(rng());
      to[i] = round % 7 == 0 ? from[i] : uint8_t(rng());
    }
    if (round % 11 == 0) std::memset(to, 0xff, 16);
    auto sum_with = [&](const uint8_t* a) {
      uint32_t s = 17 + uint32_t(seg.size());
      for (int i = 0; i < 16; i += 2) s += uint32_t(a[i] << 8 | a[i + 1]);
      return s;
    };
    t::wr16(seg, 6, 0);
    t::wr16(seg, 6, t::ref_checksum(seg.data(), seg.size(), sum_with(from)));
    core::csum::l4_addr6(seg.data() + 6, core::csum::Field::FULL, from, to);
    CHECK_EQ(t::ref_checksum(seg.data(), seg.size(), sum_with(to)), 0u);
  }
}

namespace {

// The ip6ip6 frame IPVS would send for `inner` (an IPv6 packet): outer header from the builder
// (next header 41, flow label 0, traffic class and hop limit as given), then the inner bytes.
Bytes ip6ip6(const Bytes& inner, uint8_t tclass, uint8_t hop, int vlan = -1) {
  t6::Ip6 outer{"2001:db8::2", RS};
  outer.flow = 0;
  outer.tclass = tclass;
  outer.hop = hop;
  t::Eth e = kOut;
  e.vlan = vlan;
  return t::ethernet(e, 0x86dd, t6::ipv6(outer, {}, 41, inner));
}

t::Verdict tun_verdict() {
  t::Verdict v = t::forward(Method::TUN);
  set6(v, verdict::SRC_IP6_0, "2001:db8::2");
  return set6(v, verdict::DST_IP6_0, RS);
}

}  // namespace

TEST(ipv6_tun_is_ip6ip6_around_the_untouched_packet) {
  core::VnetHdr plain{};
  struct Row {
    const char* what;
    Kind kind;
    uint8_t tclass, want_tclass;
  } rows[] = {
      {"tcp", Kind::TCP, 0, 0},
      {"udp, DSCP and ECT(1) copied", Kind::UDP, 0xb9, 0xb9},
      {"tcp behind options and routing, CE sent as ECT(0)", Kind::TCP_EXT, 0x2b, 0x2a},
      {"icmpv6 echo", Kind::ECHO, 0, 0},
      {"later fragment", Kind::FRAG_NONFIRST, 0, 0},
  };
  for (const Row& r : rows) {
    CONTEXT(r.what);
    Bytes f = build(r.kind, {CLIENT, VIP, 40000, 80, 33}, {}, nullptr);
    f[14] = uint8_t(0x60 | r.tclass >> 4);
    f[15] = uint8_t((r.tclass & 0x0f) << 4 | (f[15] & 0x0f));
    Bytes inner(f.begin() + 14, f.end());
    CHECK_EQ(apply(f, plain, tun_verdict()), 0u);
    CHECK_EQ(out.count, 1u);
    if (out.count != 1) continue;
    CHECK(t::flat(out.frames[0]) == ip6ip6(inner, r.want_tclass, 33));
    CHECK(out.frames[0].body == f.data() + 14);  // the inner packet is not copied
  }
}

TEST(ipv6_tun_keeps_partial_udp_partial_and_completes_tcp) {
  for (Kind k : {Kind::UDP_PARTIAL, Kind::TCP_PARTIAL}) {
    CONTEXT(kKindNames[size_t(k)]);
    core::VnetHdr vnet{};
    Bytes f = build(k, {CLIENT, VIP, 40000, 80, 64}, {}, &vnet);
    CHECK_EQ(apply(f, vnet, tun_verdict()), 0u);
    if (out.count != 1) continue;
    Bytes got = t::flat(out.frames[0]);
    const core::VnetHdr& ov = out.frames[0].vnet;
    uint8_t proto = k == Kind::UDP_PARTIAL ? 17 : 6;
    if (k == Kind::UDP_PARTIAL) {
      CHECK_EQ(ov.flags, 1);
      CHECK_EQ(ov.csum_start, vnet.csum_start + 40);
      CHECK_EQ(ov.csum_offset, vnet.csum_offset);
    } else {
      CHECK_EQ(ov.flags, 0);
    }
    CHECK(t6::l4_ok(t::complete(got, ov), 54, 94, proto));
  }
}

TEST(ipv6_tun_refusals) {
  core::VnetHdr plain{};
  Bytes f = build(Kind::TCP, {CLIENT, VIP, 40000, 80, 64}, {}, nullptr);
  CHECK_EQ(apply(f, plain, t::forward(Method::TUN)), uint32_t(RewriteError::BAD_VERDICT));  // no outer ends
  CHECK_EQ(apply(f, plain, tun_verdict(), t::egress("02:00:00:00:00:aa", uint32_t(f.size() - 14 + 39))), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(apply(f, plain, tun_verdict().set(verdict::MTU, 100)), uint32_t(RewriteError::TOO_BIG));
  core::VnetHdr gso{};
  gso.gso_type = 5;  // UDP GSO: refused (TCPv6 GSO is segmented, test_tun6_gso.cc)
  gso.gso_size = 1200;
  CHECK_EQ(apply(f, gso, tun_verdict()), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(out.count, 0u);
}
