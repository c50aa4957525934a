// Golden tests of ICMPv6 handling: errors about NAT/FULLNAT connections rewritten outer and
// quoted, both directions, whole and cut quotes; Packet Too Big and Time Exceeded the director
// originates; and the refusals (unusable quotes, errors about errors, non-unicast ends). Expected
// frames are built from scratch by builders6, so byte equality proves every checksum.
#include <cstring>

#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const char* CLIENT = "2001:db8:1::10";
const char* ROUTER = "2001:db8:ff::1";
const char* VIP = "2001:db8::100";
const char* RS = "2001:db8::11";
const char* LIP = "2001:db8:f::1";
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};

struct End6 {
  const char* addr;
  uint16_t port;
};

// What a quote holds: the whole packet, or a cut after `cut` bytes of it.
enum class Quote { TCP, UDP, TCP_PORTS_ONLY, TCP_NO_CHECKSUM, HEADER_ONLY, ECHO, TCP_EXT, SCTP };
const char* kQuoteNames[] = {"tcp", "udp", "tcp cut after the ports", "tcp cut before its checksum",
                             "fixed header only", "icmpv6 echo", "tcp behind destination options", "sctp (no ports read)"};

Bytes quoted(Quote k, End6 s, End6 d) {
  t6::Ip6 ip{s.addr, d.addr};
  t::Tcp tcp;
  tcp.sport = s.port;
  tcp.dport = d.port;
  tcp.payload = t::pattern(60, 7);
  t::Udp udp;
  udp.sport = s.port;
  udp.dport = d.port;
  udp.payload = t::pattern(30, 1);
  Bytes p;
  switch (k) {
    case Quote::UDP: return t6::ipv6(ip, {}, 17, t6::udp_datagram(ip, udp));
    case Quote::ECHO: return t6::ipv6(ip, {}, 58, t6::icmp6(ip, 128, 0, 0x00420007, t::pattern(16)));
    case Quote::TCP_EXT: return t6::ipv6(ip, {t6::options(60, 16)}, 6, t6::tcp_segment(ip, tcp));
    case Quote::SCTP: return t6::ipv6(ip, {}, 132, t::pattern(48, 9));
    default: p = t6::ipv6(ip, {}, 6, t6::tcp_segment(ip, tcp));
  }
  size_t cut = k == Quote::TCP_PORTS_ONLY ? 44 : k == Quote::TCP_NO_CHECKSUM ? 50 : k == Quote::HEADER_ONLY ? 40 : p.size();
  p.resize(cut);
  return p;
}

Bytes error6(const t::Eth& e, const char* src, const char* dst, uint8_t hop, uint8_t type, uint32_t rest, const Bytes& quote) {
  t6::Ip6 ip{src, dst};
  ip.hop = hop;
  return t6::icmp6_frame(e, ip, t6::icmp6(ip, type, 0, rest, quote));
}

t::Verdict& set6(t::Verdict& v, uint32_t word0, const char* text) {
  uint32_t w[4];
  t6::words(text, w);
  for (uint32_t i = 0; i < 4; ++i) v.set(word0 + i, w[i]);
  return v;
}

uint32_t apply(Bytes& f, const t::Verdict& v, const core::Egress& eg = t::egress()) {
  core::VnetHdr plain{};
  t::Meta m = t::parse(f, &plain);
  CHECK_EQ(m[meta::ERROR], 0u);
  core::apply_verdict(f.data(), uint32_t(f.size()), plain, m.w, v.w, eg, out);
  return out.error;
}

// One error about a connection: the outer ends and the quoted packet's ends before and after.
struct Case {
  const char* what;
  Method method;
  Direction dir;
  const char *outer_src, *outer_dst, *want_src, *want_dst;
  End6 q_src, q_dst, want_q_src, want_q_dst;
  const char* v_src;  // verdict SRC_IP6:SRC_PORT (nullptr: unset)
  uint16_t v_sport;
  const char* v_dst;
  uint16_t v_dport;
};

const Case kCases[] = {
    // A router on the client's path about the reply VIP:80 -> client: on to the real server.
    {"NAT in", Method::NAT, Direction::IN, ROUTER, VIP, ROUTER, RS,
     {VIP, 80}, {CLIENT, 40000}, {RS, 8080}, {CLIENT, 40000}, nullptr, 0, RS, 8080},
    // The real server about the client's packet to it: back to the client from the VIP.
    {"NAT out", Method::NAT, Direction::OUT, RS, CLIENT, VIP, CLIENT,
     {CLIENT, 40000}, {RS, 8080}, {CLIENT, 40000}, {VIP, 80}, VIP, 80, nullptr, 0},
    {"FNAT in", Method::FNAT, Direction::IN, ROUTER, VIP, LIP, RS,
     {VIP, 80}, {CLIENT, 40000}, {RS, 8080}, {LIP, 5001}, LIP, 5001, RS, 8080},
    {"FNAT out", Method::FNAT, Direction::OUT, RS, LIP, VIP, CLIENT,
     {LIP, 5001}, {RS, 8080}, {CLIENT, 40000}, {VIP, 80}, VIP, 80, CLIENT, 40000},
};

t::Verdict verdict_of(const Case& c) {
  t::Verdict v = t::forward(c.method, c.dir);
  if (c.v_src) set6(v, verdict::SRC_IP6_0, c.v_src).set(verdict::SRC_PORT, c.v_sport);
  if (c.v_dst) set6(v, verdict::DST_IP6_0, c.v_dst).set(verdict::DST_PORT, c.v_dport);
  return v;
}

}  // namespace

TEST(icmp6_errors_about_nat_and_fnat_golden_table) {
  const Quote kinds[] = {Quote::TCP, Quote::UDP, Quote::TCP_PORTS_ONLY, Quote::TCP_NO_CHECKSUM,
                         Quote::HEADER_ONLY, Quote::ECHO, Quote::TCP_EXT, Quote::SCTP};
  const uint8_t types[] = {1, 2, 3, 4};
  for (const Case& c : kCases) {
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; ++k) {
      uint8_t type = types[k % 4];
      CONTEXT(std::string(c.what) + " / " + kQuoteNames[k] + " / type " + std::to_string(type));
      bool ports = kinds[k] != Quote::ECHO && kinds[k] != Quote::SCTP && kinds[k] != Quote::HEADER_ONLY;
      End6 wq_src = c.want_q_src, wq_dst = c.want_q_dst;
      if (!ports) wq_src.port = c.q_src.port, wq_dst.port = c.q_dst.port;
      uint32_t rest = type == 2 ? 1400 : type == 4 ? 6 : 0;
      Bytes f = error6({}, c.outer_src, c.outer_dst, 30, type, rest, quoted(kinds[k], c.q_src, c.q_dst));
      Bytes want = error6(kOut, c.want_src, c.want_dst, 29, type, rest, quoted(kinds[k], wq_src, wq_dst));
      CHECK_EQ(apply(f, verdict_of(c)), 0u);
      CHECK_EQ(out.count, 1u);
      if (out.count != 1) continue;
      Bytes got = t::flat(out.frames[0]);
      CHECK(got == want);
      CHECK(t6::l4_ok(got, 14, 54, 58));
    }
  }
}

TEST(icmp6_error_rewrite_refusals) {
  const Case& nat_in = kCases[0];
  Bytes tcp = quoted(Quote::TCP, nat_in.q_src, nat_in.q_dst);
  // A quote shorter than an IPv6 header, or an IPv4 packet quoted: nothing to mirror.
  Bytes short_quote(tcp.begin(), tcp.begin() + 39);
  Bytes f = error6({}, ROUTER, VIP, 30, 1, 0, short_quote);
  CHECK_EQ(apply(f, verdict_of(nat_in)), uint32_t(RewriteError::NOT_APPLICABLE));
  t::Tcp seg;
  Bytes v4 = t::ip_packet(t::tcp_frame({}, {"198.19.0.100", "198.18.1.10"}, seg));
  f = error6({}, ROUTER, VIP, 30, 1, 0, v4);
  CHECK_EQ(apply(f, verdict_of(nat_in)), uint32_t(RewriteError::NOT_APPLICABLE));
  // A quote whose extension header chain is cut: no upper protocol, refused.
  Bytes ext = quoted(Quote::TCP_EXT, nat_in.q_src, nat_in.q_dst);
  ext.resize(50);
  f = error6({}, ROUTER, VIP, 30, 1, 0, ext);
  CHECK_EQ(apply(f, verdict_of(nat_in)), uint32_t(RewriteError::NOT_APPLICABLE));
  // Hop limit 1: dropped, never answered (an error about an error).
  f = error6({}, ROUTER, VIP, 1, 2, 1400, tcp);
  Bytes before = f;
  CHECK_EQ(apply(f, verdict_of(nat_in)), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK(f == before);
  t::Verdict tx = t::Verdict().set(verdict::ACTION, uint32_t(Action::ICMP_TIME_EXCEEDED));
  CHECK_EQ(apply(f, tx), uint32_t(RewriteError::NOT_APPLICABLE));
  // No address in the verdict; an egress too small for the message.
  f = error6({}, ROUTER, VIP, 30, 1, 0, tcp);
  CHECK_EQ(apply(f, t::forward(Method::NAT)), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(apply(f, verdict_of(nat_in), t::egress("02:00:00:00:00:aa", 100)), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(out.count, 0u);
}

TEST(icmp6_packet_too_big_below_1280_is_forwarded_as_sent) {
  // A Packet Too Big naming an MTU under the IPv6 minimum is the sender's business: hosts ignore
  // it (RFC 8201); the director translates it like any other and leaves its MTU alone.
  const Case& nat_in = kCases[0];
  Bytes f = error6({}, ROUTER, VIP, 30, 2, 576, quoted(Quote::TCP, nat_in.q_src, nat_in.q_dst));
  Bytes want = error6(kOut, ROUTER, RS, 29, 2, 576, quoted(Quote::TCP, nat_in.want_q_src, nat_in.want_q_dst));
  CHECK_EQ(apply(f, verdict_of(nat_in)), 0u);
  CHECK(out.count == 1 && t::flat(out.frames[0]) == want);
}

namespace {

const t::Eth kIn{"02:00:00:00:00:02", "02:00:00:00:00:01"};
// The director's reply goes back to the sender's MAC from the egress port's.
const t::Eth kBack{"02:00:00:00:00:01", "02:00:00:00:00:aa"};

Bytes client_tcp(size_t payload, uint8_t hop, int vlan = -1, const char* dst = VIP) {
  t6::Ip6 ip{CLIENT, dst};
  ip.hop = hop;
  ip.tclass = 0x28;
  t::Tcp tcp;
  tcp.payload = t::pattern(payload, 5);
  t::Eth e = kIn;
  e.vlan = vlan;
  return t6::tcp_frame(e, ip, tcp);
}

// The reply Linux's icmp6_send would build: hop limit 64, traffic class and flow label 0,
// quoting the first min(packet, 1232) bytes.
Bytes reply6(const Bytes& frame, const char* src, uint8_t type, uint32_t rest, int vlan = -1) {
  size_t l3 = vlan >= 0 ? 18 : 14;
  Bytes packet(frame.begin() + long(l3), frame.end());
  if (packet.size() > 1232) packet.resize(1232);
  t6::Ip6 ip{src, CLIENT};
  ip.hop = 64;
  ip.flow = 0;
  t::Eth e = kBack;
  e.vlan = vlan;
  return t6::icmp6_frame(e, ip, t6::icmp6(ip, type, 0, rest, packet));
}

t::Verdict act(Action a) { return t::Verdict().set(verdict::ACTION, uint32_t(a)); }

}  // namespace

TEST(icmp6_director_originated_golden) {
  struct Row {
    const char* what;
    Action action;
    size_t payload;
    int vlan;
    uint32_t mtu_word;
    const char* src_word;
    uint8_t type;
    uint32_t rest;
    const char* want_src;
  } rows[] = {
      {"time exceeded, hop limit 1", Action::ICMP_TIME_EXCEEDED, 100, -1, 0, nullptr, 3, 0, VIP},
      {"time exceeded over a VLAN", Action::ICMP_TIME_EXCEEDED, 100, 5, 0, nullptr, 3, 0, VIP},
      {"time exceeded from the verdict's source", Action::ICMP_TIME_EXCEEDED, 100, -1, 0, "2001:db8::2", 3, 0, "2001:db8::2"},
      {"packet too big, quote cut at 1232", Action::ICMP_FRAG_NEEDED, 1400, -1, 1460, nullptr, 2, 1460, VIP},
      {"packet too big, a path under 1280 said as 1280", Action::ICMP_FRAG_NEEDED, 1400, -1, 1000, nullptr, 2, 1280, VIP},
      {"packet too big, egress MTU when the verdict has none", Action::ICMP_FRAG_NEEDED, 1400, -1, 0, nullptr, 2, 1500, VIP},
  };
  for (const Row& r : rows) {
    CONTEXT(r.what);
    Bytes f = client_tcp(r.payload, 1, r.vlan);
    Bytes want = reply6(f, r.want_src, r.type, r.rest, r.vlan);
    t::Verdict v = act(r.action).set(verdict::MTU, r.mtu_word);
    if (r.src_word) set6(v, verdict::SRC_IP6_0, r.src_word);
    CHECK_EQ(apply(f, v), 0u);
    CHECK_EQ(out.count, 1u);
    if (out.count != 1) continue;
    Bytes got = t::flat(out.frames[0]);
    CHECK(got == want);
    CHECK(got.size() - (r.vlan >= 0 ? 18 : 14) <= 1280);
    CHECK(out.frames[0].body == f.data() + (r.vlan >= 0 ? 18 : 14));  // the quote is not copied
  }
}

TEST(icmp6_director_originated_refusals) {
  t::Verdict te = act(Action::ICMP_TIME_EXCEEDED), ptb = act(Action::ICMP_FRAG_NEEDED).set(verdict::MTU, 1400);
  // Never about an ICMPv6 error or a redirect; an echo request is answered.
  for (uint8_t type : {1, 2, 3, 4, 100, 137}) {
    CONTEXT("icmpv6 type " + std::to_string(type));
    Bytes e = error6(kIn, CLIENT, VIP, 1, type, 0, t::pattern(48));
    CHECK_EQ(apply(e, te), uint32_t(RewriteError::NOT_APPLICABLE));
    CHECK_EQ(apply(e, ptb), uint32_t(RewriteError::NOT_APPLICABLE));
  }
  Bytes echo = error6(kIn, CLIENT, VIP, 1, 128, 0x10001, t::pattern(48));
  CHECK_EQ(apply(echo, te), 0u);
  // Sent to a multicast group: no source to answer from unless the verdict gives one.
  Bytes mc = client_tcp(10, 1, -1, "ff02::1");
  CHECK_EQ(apply(mc, te), uint32_t(RewriteError::NOT_APPLICABLE));
  t::Verdict te_src = te;
  set6(te_src, verdict::SRC_IP6_0, VIP);
  CHECK_EQ(apply(mc, te_src), 0u);
  // From the unspecified address: nobody to tell.
  t6::Ip6 anon{"::", VIP};
  anon.hop = 1;
  Bytes a = t6::tcp_frame(kIn, anon, {});
  CHECK_EQ(apply(a, te), uint32_t(RewriteError::NOT_APPLICABLE));
  // A later fragment gets time exceeded (as Linux forwarding) but no packet too big (as IPVS).
  t6::Ip6 fr{CLIENT, VIP};
  fr.hop = 1;
  Bytes later = t::ethernet(kIn, 0x86dd, t6::ipv6(fr, {t6::fragment(1448, false, 9)}, 17, t::pattern(100)));
  CHECK_EQ(apply(later, ptb), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(apply(later, te), 0u);
  // An egress that cannot carry a header and a quoted IPv6 header.
  Bytes f = client_tcp(100, 1);
  CHECK_EQ(apply(f, te, t::egress("02:00:00:00:00:aa", 80)), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(apply(f, act(Action::ICMP_FRAG_NEEDED), t::egress("02:00:00:00:00:aa", 0)), uint32_t(RewriteError::BAD_VERDICT));
}
