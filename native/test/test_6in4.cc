// Golden tests of 6in4 from the director (TUN for an IPv6 service whose real server is reached
// over IPv4): the outer IPv4 header built from scratch by the builders around the untouched IPv6
// packet (TTL from the hop limit, TOS from the traffic class with CE sent as ECT(0), DF clear,
// protocol 41, Ethernet type IPv4, VLAN kept), partial checksums, and the refusals.
#include <cstring>

#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};

t::Verdict v6in4() {
  return t::forward(Method::TUN).set(verdict::TUN_SRC, t::ip("198.19.0.2")).set(verdict::TUN_DST, t::ip("198.19.0.11"));
}

Bytes client_frame(bool udp, uint8_t tclass, int vlan, uint32_t seq = 1000) {
  t6::Ip6 ip{"2001:db8:1::10", "2001:db8::100"};
  ip.hop = 33;
  ip.tclass = tclass;
  t::Eth e;
  e.vlan = vlan;
  if (udp) {
    t::Udp u;
    u.payload = t::pattern(200, 3);
    return t6::udp_frame(e, ip, u);
  }
  t::Tcp tcp;
  tcp.seq = seq;
  tcp.payload = t::pattern(300, 2);
  return t6::tcp_frame(e, ip, tcp);
}

uint32_t apply(Bytes& f, const core::VnetHdr& vnet, const t::Verdict& v, const core::Egress& eg = t::egress()) {
  t::Meta m = t::parse(f, &vnet);
  CHECK_EQ(m[meta::ERROR], 0u);
  core::apply_verdict(f.data(), uint32_t(f.size()), vnet, m.w, v.w, eg, out);
  return out.error;
}

}  // namespace

TEST(sixin4_golden) {
  struct Row {
    const char* what;
    bool udp;
    uint8_t tclass, want_tos;
    int vlan;
  } rows[] = {
      {"tcp", false, 0, 0, -1},
      {"udp, DSCP and ECT(1) copied", true, 0xb9, 0xb9, -1},
      {"tcp, CE sent as ECT(0)", false, 0x2b, 0x2a, -1},
      {"tcp over a VLAN", false, 0x10, 0x10, 12},
  };
  core::VnetHdr plain{};
  for (const Row& r : rows) {
    CONTEXT(r.what);
    Bytes f = client_frame(r.udp, r.tclass, r.vlan);
    size_t l3 = r.vlan >= 0 ? 18 : 14;
    Bytes inner(f.begin() + long(l3), f.end());
    CHECK_EQ(apply(f, plain, v6in4()), 0u);
    CHECK_EQ(out.count, 1u);
    if (out.count != 1) continue;
    Bytes got = t::flat(out.frames[0]);
    t::Ip outer{"198.19.0.2", "198.19.0.11"};
    outer.ttl = 33;
    outer.tos = r.want_tos;
    outer.df = false;
    outer.id = uint16_t(t::rd16(got, l3 + 4));  // derived, checked for variation below
    t::Eth e = kOut;
    e.vlan = r.vlan;
    CHECK(got == t::ethernet(e, 0x0800, t::ipv4(outer, 41, inner)));
    CHECK(t::ip_header_ok(got, l3));
    CHECK(out.frames[0].body == f.data() + l3);  // the inner packet is not copied
  }
  // DF is clear, so the ID must change packet by packet.
  Bytes a = client_frame(false, 0, -1, 1000), b = client_frame(false, 0, -1, 1300);
  CHECK_EQ(apply(a, plain, v6in4()), 0u);
  uint16_t id_a = uint16_t(t::rd16(t::flat(out.frames[0]), 18));
  CHECK_EQ(apply(b, plain, v6in4()), 0u);
  CHECK(id_a != t::rd16(t::flat(out.frames[0]), 18));
}

TEST(sixin4_keeps_partial_udp_partial_and_completes_tcp) {
  for (bool udp : {true, false}) {
    CONTEXT(udp ? "udp" : "tcp");
    Bytes full = client_frame(udp, 0, -1);
    core::VnetHdr vnet{};
    vnet.flags = 1;
    vnet.csum_start = 54;
    vnet.csum_offset = udp ? 6 : 16;
    uint32_t n = uint32_t(full.size() - 54);
    t::wr16(full, 54 + vnet.csum_offset, uint16_t(~t::ref_checksum(nullptr, 0, t6::pseudo(full, 14, udp ? 17 : 6, n))));
    CHECK_EQ(apply(full, vnet, v6in4()), 0u);
    if (out.count != 1) continue;
    const core::VnetHdr& ov = out.frames[0].vnet;
    Bytes got = t::flat(out.frames[0]);
    if (udp) {
      CHECK_EQ(ov.flags, 1);
      CHECK_EQ(ov.csum_start, 74);
    } else {
      CHECK_EQ(ov.flags, 0);
    }
    CHECK(t6::l4_ok(t::complete(got, ov), 34, 74, udp ? 17 : 6));
  }
}

TEST(sixin4_refusals) {
  core::VnetHdr plain{};
  Bytes f = client_frame(false, 0, -1);
  uint32_t inner = uint32_t(f.size() - 14);
  // Both outer families, or half an IPv4 pair: no guess which tunnel was meant.
  t::Verdict both = v6in4();
  both.set(verdict::DST_IP6_0, 0x20010db8).set(verdict::DST_IP6_3, 0x11);
  CHECK_EQ(apply(f, plain, both), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(apply(f, plain, t::forward(Method::TUN).set(verdict::TUN_DST, t::ip("198.19.0.11"))), uint32_t(RewriteError::BAD_VERDICT));
  // 20 bytes more than the path holds: too big (TypeScript answers Packet Too Big first).
  CHECK_EQ(apply(f, plain, v6in4().set(verdict::MTU, inner + 19)), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(apply(f, plain, v6in4().set(verdict::MTU, inner + 20)), 0u);
  CHECK_EQ(apply(f, plain, v6in4(), t::egress("02:00:00:00:00:aa", inner + 19)), uint32_t(RewriteError::TOO_BIG));
  core::VnetHdr gso{};
  gso.gso_type = 5;  // UDP GSO: refused (TCPv6 GSO is segmented, test_tun6_gso.cc)
  gso.gso_size = 1200;
  CHECK_EQ(apply(f, gso, v6in4()), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(out.count, 0u);
}
