// Golden tests of Neighbour Discovery: what parse records of an NS/NA's options (ND_OPTS and
// the link-layer address), and ND_ADVERT turning a neighbour solicitation for an owned target
// into the solicited advertisement built from scratch by the test builders (checksum by the
// reference sum), then every solicitation RFC 4861 7.1.1 says to discard, refused; and the
// ICMPv6 echo reply to an owned address (ICMP_ECHO_REPLY on an IPv6 frame).
#include <cstring>
#include <functional>

#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const char* PEER = "2001:db8::11";
const char* VIP = "2001:db8::100";
const char* VIP_SNODE = "ff02::1:ff00:100";
const char* PEER_MAC = "02:00:00:00:00:11";
const char* SLLA_MAC = "02:00:00:00:00:77";  // differs from the Ethernet source on purpose
const char* PORT_MAC = "02:00:00:00:00:aa";

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes lla_opt(uint8_t type, const char* mac_text) { return cat({type, 1}, t::mac(mac_text)); }

struct Ns {
  const char* src = PEER;
  const char* dst = VIP_SNODE;
  const char* target = VIP;
  uint8_t hop = 255, code = 0;
  Bytes options = lla_opt(1, SLLA_MAC);
  int vlan = -1;
  std::vector<t6::Ext> chain;
};

Bytes ns_frame(const Ns& n) {
  t6::Ip6 ip{n.src, n.dst, n.hop, 0, 0};
  t::Eth e{"33:33:ff:00:01:00", PEER_MAC, n.vlan};
  return t6::icmp6_frame(e, ip, t6::icmp6(ip, 135, n.code, 0, cat(t6::addr(n.target), n.options)), n.chain);
}

Bytes na_frame(const char* eth_dst, const char* dst, uint8_t flags, int vlan = -1) {
  t6::Ip6 ip{VIP, dst, 255, 0, 0};
  t::Eth e{eth_dst, PORT_MAC, vlan};
  return t6::icmp6_frame(e, ip, t6::icmp6(ip, 136, 0, uint32_t(flags) << 24, cat(t6::addr(VIP), lla_opt(2, PORT_MAC))));
}

t::Verdict advert(const char* target = VIP) {
  t::Verdict v;
  v.set(verdict::ACTION, uint32_t(Action::ND_ADVERT));
  uint32_t w[4];
  t6::words(target, w);
  for (uint32_t i = 0; i < 4; ++i) v.set(verdict::SRC_IP6_0 + i, w[i]);
  return v;
}

uint32_t answer(Bytes& f, const t::Verdict& v, const core::VnetHdr& vnet = {}) {
  t::Meta m = t::parse(f, &vnet);
  CHECK_EQ(m[meta::ERROR], 0u);
  core::apply_verdict(f.data(), uint32_t(f.size()), vnet, m.w, v.w, t::egress(PORT_MAC), out);
  return out.error;
}

struct Answered {
  const char* name;
  std::function<Bytes()> ns;
  std::function<Bytes()> na;
};

}  // namespace

TEST(nd_parse_records_options) {
  Ns n;
  t::Meta m = t::parse(ns_frame(n));
  CHECK_EQ(m[meta::ERROR], 0u);
  CHECK_EQ(m[meta::ICMP], 135u << 8);
  CHECK_EQ(m[meta::ND_OPTS], nd_opts::LLA);
  CHECK_EQ(m[meta::ND_LLA_HI], 0x0200u);
  CHECK_EQ(m[meta::ND_LLA_LO], 0x00000077u);
  CHECK_EQ(m[meta::INNER_DST_IP6_3], 0x100u);
  n.options = {};
  CHECK_EQ(t::parse(ns_frame(n))[meta::ND_OPTS], nd_opts::NONE);
  n.options = cat(Bytes{14, 1, 0, 0, 0, 0, 0, 0}, lla_opt(1, SLLA_MAC));  // a nonce, then the SLLA
  CHECK_EQ(t::parse(ns_frame(n))[meta::ND_OPTS], nd_opts::LLA);
  n.options = {1, 0, 0, 0, 0, 0, 0, 0};  // length 0
  CHECK_EQ(t::parse(ns_frame(n))[meta::ND_OPTS], nd_opts::BAD);
  n.options = {1, 2, 0, 0, 0, 0, 0, 0};  // 16 bytes claimed, 8 there
  CHECK_EQ(t::parse(ns_frame(n))[meta::ND_OPTS], nd_opts::BAD);
  n.options = {1, 1, 0, 0};  // cut short
  CHECK_EQ(t::parse(ns_frame(n))[meta::ND_OPTS], nd_opts::BAD);
  CHECK_EQ(t::parse(na_frame(PEER_MAC, PEER, 0x60))[meta::ND_OPTS], nd_opts::LLA);
  CHECK_EQ(t::parse(na_frame(PEER_MAC, PEER, 0x60))[meta::ND_LLA_LO], 0x000000aau);
}

TEST(nd_advert_answers) {
  const Answered cases[] = {
      {"multicast NS with SLLA: to the SLLA MAC", [] { return ns_frame({}); },
       [] { return na_frame(SLLA_MAC, PEER, 0x60); }},
      {"NS without SLLA: to the Ethernet source", [] { Ns n; n.options = {}; return ns_frame(n); },
       [] { return na_frame(PEER_MAC, PEER, 0x60); }},
      {"unicast NS (reachability probe)", [] { Ns n; n.dst = VIP; return ns_frame(n); },
       [] { return na_frame(SLLA_MAC, PEER, 0x60); }},
      {"DAD NS from ::: to all nodes, Solicited clear", [] { Ns n; n.src = "::"; n.options = {}; return ns_frame(n); },
       [] { return na_frame("33:33:00:00:00:01", "ff02::1", 0x20); }},
      {"VLAN tag kept", [] { Ns n; n.vlan = 42; return ns_frame(n); },
       [] { return na_frame(SLLA_MAC, PEER, 0x60, 42); }},
  };
  for (const Answered& c : cases) {
    CONTEXT(c.name);
    Bytes f = c.ns();
    CHECK_EQ(answer(f, advert()), uint32_t(RewriteError::OK));
    CHECK_EQ(out.count, 1u);
    Bytes got = t::flat(out.frames[0]);
    Bytes want = c.na();
    CHECK(got == want);
    size_t l3 = c.name[0] == 'V' ? 18 : 14;
    CHECK(t6::l4_ok(got, l3, l3 + 40, 58));
  }
}

TEST(nd_advert_refusals) {
  struct Refused {
    const char* name;
    std::function<Bytes()> ns;
    const char* target;
  };
  const Refused cases[] = {
      {"hop limit 254", [] { Ns n; n.hop = 254; return ns_frame(n); }, VIP},
      {"code 1", [] { Ns n; n.code = 1; return ns_frame(n); }, VIP},
      {"multicast target", [] { Ns n; n.target = "ff02::1"; return ns_frame(n); }, "ff02::1"},
      {"target not the verdict's", [] { return ns_frame({}); }, "2001:db8::101"},
      {"option of length 0", [] { Ns n; n.options = {1, 0, 0, 0, 0, 0, 0, 0}; return ns_frame(n); }, VIP},
      {"option past the end", [] { Ns n; n.options = {1, 2, 0, 0, 0, 0, 0, 0}; return ns_frame(n); }, VIP},
      {"DAD with an SLLA", [] { Ns n; n.src = "::"; return ns_frame(n); }, VIP},
      {"DAD not to the solicited-node group", [] { Ns n; n.src = "::"; n.dst = VIP; n.options = {}; return ns_frame(n); }, VIP},
      {"behind a destination options header", [] { Ns n; n.chain = {t6::options(60)}; return ns_frame(n); }, VIP},
      {"an advertisement", [] { return na_frame(PEER_MAC, PEER, 0x60); }, VIP},
  };
  for (const Refused& c : cases) {
    CONTEXT(c.name);
    Bytes f = c.ns();
    CHECK_EQ(answer(f, advert(c.target)), uint32_t(RewriteError::NOT_APPLICABLE));
    CHECK_EQ(out.count, 0u);
  }
  {
    CONTEXT("bad checksum");
    Bytes f = ns_frame({});
    f[14 + 40 + 2] ^= 1;
    CHECK_EQ(answer(f, advert()), uint32_t(RewriteError::NOT_APPLICABLE));
    core::VnetHdr valid{};
    valid.flags = 2;  // F_DATA_VALID: the sender's stack vouches for it, as the kernel trusts
    CHECK_EQ(answer(f, advert(), valid), uint32_t(RewriteError::OK));
  }
  {
    CONTEXT("no target in the verdict");
    Bytes f = ns_frame({});
    t::Verdict v;
    v.set(verdict::ACTION, uint32_t(Action::ND_ADVERT));
    CHECK_EQ(answer(f, v), uint32_t(RewriteError::BAD_VERDICT));
  }
}

TEST(echo6_reply) {
  const char* CLIENT = "2001:db8:1::10";
  t::Eth in{"02:00:00:00:00:aa", PEER_MAC};
  t6::Ip6 req{CLIENT, VIP, 60};
  Bytes body = t::pattern(56, 9);
  Bytes f = t6::icmp6_frame(in, req, t6::icmp6(req, 128, 0, 0x12340007, body));
  t::Verdict v;
  v.set(verdict::ACTION, uint32_t(Action::ICMP_ECHO_REPLY));
  CHECK_EQ(answer(f, v), uint32_t(RewriteError::OK));
  CHECK_EQ(out.count, 1u);
  t6::Ip6 rep{VIP, CLIENT, 64};
  Bytes want = t6::icmp6_frame({PEER_MAC, PORT_MAC}, rep, t6::icmp6(rep, 129, 0, 0x12340007, body));
  CHECK(t::flat(out.frames[0]) == want);
  struct Refused {
    const char* name;
    std::function<Bytes()> frame;
  };
  const Refused refused[] = {
      {"echo reply", [&] { return t6::icmp6_frame(in, req, t6::icmp6(req, 129, 0, 1, body)); }},
      {"code 1", [&] { return t6::icmp6_frame(in, req, t6::icmp6(req, 128, 1, 1, body)); }},
      {"to a multicast address", [&] { t6::Ip6 m{CLIENT, "ff02::1"}; return t6::icmp6_frame(in, m, t6::icmp6(m, 128, 0, 1, body)); }},
      {"behind extension headers", [&] { return t6::icmp6_frame(in, req, t6::icmp6(req, 128, 0, 1, body), {t6::options(60)}); }},
  };
  for (const Refused& r : refused) {
    CONTEXT(r.name);
    Bytes g = r.frame();
    CHECK_EQ(answer(g, v), uint32_t(RewriteError::NOT_APPLICABLE));
  }
}
