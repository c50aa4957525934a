// Golden tests of TUN (IPIP): outer header fields as IPVS sets them, the inner packet untouched,
// partial UDP checksums kept partial with csum_start moved, partial TCP ones completed, and GSO
// TCPv4 super-frames segmented into frames that each equal a from-scratch build of that segment.
#include <cstring>

#include "builders.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const char* CLIENT = "198.18.1.10";
const char* VIP = "198.19.0.100";
const char* DIRECTOR = "198.19.0.2";
const char* RS = "198.19.0.11";
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};

t::Verdict tun() {
  return t::forward(Method::TUN).set(verdict::TUN_SRC, t::ip(DIRECTOR)).set(verdict::TUN_DST, t::ip(RS));
}

uint32_t apply(Bytes& f, const core::VnetHdr& vnet, const t::Verdict& v, uint32_t mtu = 1500) {
  t::Meta m = t::parse(f, &vnet);
  core::apply_verdict(f.data(), uint32_t(f.size()), vnet, m.w, v.w, t::egress("02:00:00:00:00:aa", mtu), out);
  return out.error;
}

// The expected IPIP frame: outer as IPVS builds it around the given inner packet.
Bytes expect_ipip(const Bytes& inner, uint16_t outer_id, uint8_t outer_tos, t::Eth eth = kOut) {
  t::Ip outer{DIRECTOR, RS};
  outer.df = (inner[6] & 0x40) != 0;
  outer.ttl = inner[8];
  outer.id = outer_id;
  outer.tos = outer_tos;
  return t::ethernet(eth, 0x0800, t::ipv4(outer, 4, inner));
}

}  // namespace

TEST(tun_encapsulates_with_ipvs_outer_fields) {
  struct Case { const char* what; uint8_t tos, outer_tos; int vlan; };
  Case cases[] = {{"dscp copied", 0x28, 0x28, -1}, {"ect(1) copied", 0x29, 0x29, -1},
                  {"ce becomes ect(0)", 0x2b, 0x2a, -1}, {"vlan kept", 0, 0, 12}};
  for (const Case& c : cases) {
    CONTEXT(c.what);
    t::Ip ip{CLIENT, VIP};
    ip.df = true;
    ip.tos = c.tos;
    ip.ttl = 57;
    t::Tcp tcp;
    tcp.payload = t::pattern(500);
    t::Eth in_eth;
    in_eth.vlan = c.vlan;
    Bytes f = t::tcp_frame(in_eth, ip, tcp);
    Bytes inner = t::ip_packet(f);
    t::Eth out_eth = kOut;
    out_eth.vlan = c.vlan;
    CHECK_EQ(apply(f, core::VnetHdr{}, tun()), 0u);
    CHECK_EQ(out.count, 1u);
    Bytes got = t::flat(out.frames[0]);
    CHECK(got == expect_ipip(inner, 0, c.outer_tos, out_eth));
    CHECK_EQ(out.frames[0].body_len, uint32_t(inner.size()));  // the inner packet is not copied
    CHECK(t::ip_header_ok(got, t::l3_of(got)));
  }
}

TEST(tun_without_df_gets_a_varying_nonzero_id_and_no_df) {
  uint16_t ids[2];
  for (int i = 0; i < 2; ++i) {
    t::Ip ip{CLIENT, VIP};
    ip.id = uint16_t(100 + i);
    Bytes f = t::udp_frame({}, ip, {});
    Bytes inner = t::ip_packet(f);
    CHECK_EQ(apply(f, core::VnetHdr{}, tun()), 0u);
    Bytes got = t::flat(out.frames[0]);
    ids[i] = t::rd16(got, 18);
    CHECK(got == expect_ipip(inner, ids[i], 0));
    CHECK_EQ(got[20] & 0x40, 0);
  }
  CHECK(ids[0] != ids[1]);
}

TEST(tun_keeps_partial_udp_checksums_partial_with_csum_start_moved) {
  t::Udp udp;
  udp.payload = t::pattern(700);
  t::Ip ip{CLIENT, VIP};
  ip.df = true;
  Bytes plain = t::udp_frame({}, ip, udp);
  t::Partial p = t::make_partial(plain);
  CHECK_EQ(apply(p.frame, p.vnet, tun()), 0u);
  const core::VnetHdr& v = out.frames[0].vnet;
  CHECK_EQ(v.flags, 1);
  CHECK_EQ(v.csum_start, p.vnet.csum_start + 20);
  CHECK_EQ(v.csum_offset, 6);
  Bytes done = t::complete(t::flat(out.frames[0]), v);
  CHECK(done == expect_ipip(t::ip_packet(plain), 0, 0));
}

TEST(tun_completes_partial_tcp_checksums) {
  t::Tcp tcp;
  tcp.payload = t::pattern(701);  // odd length: the sum's padding byte
  t::Ip ip{CLIENT, VIP};
  ip.df = true;
  Bytes plain = t::tcp_frame({}, ip, tcp);
  t::Partial p = t::make_partial(plain);
  CHECK_EQ(apply(p.frame, p.vnet, tun()), 0u);
  core::VnetHdr none{};
  CHECK(std::memcmp(&out.frames[0].vnet, &none, sizeof none) == 0);
  CHECK(t::flat(out.frames[0]) == expect_ipip(t::ip_packet(plain), 0, 0));
}

TEST(tun_refuses_what_does_not_fit_or_lacks_addresses) {
  t::Udp u;
  u.payload = t::pattern(1453);  // inner 1481: 1501 bytes with the outer header
  Bytes f = t::udp_frame({}, {CLIENT, VIP}, u);
  CHECK_EQ(apply(f, core::VnetHdr{}, tun()), uint32_t(RewriteError::TOO_BIG));
  Bytes g = t::udp_frame({}, {CLIENT, VIP}, {});
  CHECK_EQ(apply(g, core::VnetHdr{}, tun().set(verdict::MTU, 40)), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(apply(g, core::VnetHdr{}, tun().set(verdict::TUN_DST, 0)), uint32_t(RewriteError::BAD_VERDICT));
  t::Partial p = t::make_partial(g);
  p.vnet.gso_type = 3;
  p.vnet.gso_size = 1000;
  CHECK_EQ(apply(p.frame, p.vnet, tun()), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(out.count, 0u);
}

TEST(tun_segments_a_gso_super_frame_like_the_kernel) {
  const uint32_t mss = 1428, total = 10000, seq = 0xfffff000u;  // 1500 - 20 - 20 - 32; seq wraps
  t::Ip ip{CLIENT, VIP};
  ip.df = true;
  ip.id = 0xfffe;  // inner IDs wrap too
  t::Tcp tcp;
  tcp.seq = seq;
  tcp.ack = 77;
  tcp.flags = 0x80 | 0x10 | 0x08 | 0x01;  // CWR ACK PSH FIN
  tcp.options = Bytes{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  tcp.payload = t::pattern(total, 9);
  t::Partial p = t::make_partial(t::tcp_frame({}, ip, tcp));
  p.vnet.gso_type = 1;
  p.vnet.gso_size = mss;
  CHECK_EQ(apply(p.frame, p.vnet, tun()), 0u);
  uint32_t want_count = (total + mss - 1) / mss;
  CHECK_EQ(out.count, want_count);
  Bytes joined;
  for (uint32_t i = 0; i < out.count; ++i) {
    CONTEXT("segment " + std::to_string(i));
    uint32_t off = i * mss, n = std::min(mss, total - off);
    t::Ip seg_ip = ip;
    seg_ip.id = uint16_t(ip.id + i);
    t::Tcp seg = tcp;
    seg.seq = seq + off;
    seg.flags = uint8_t(0x10 | (i == 0 ? 0x80 : 0) | (i + 1 == out.count ? 0x09 : 0));
    seg.payload = Bytes(tcp.payload.begin() + off, tcp.payload.begin() + off + n);
    Bytes inner = t::ipv4(seg_ip, 6, t::tcp_segment(seg_ip, seg));
    Bytes got = t::flat(out.frames[i]);
    CHECK(got == expect_ipip(inner, 0, 0));
    CHECK_EQ(out.frames[i].vnet.flags, 0);
    CHECK_EQ(out.frames[i].vnet.gso_type, 0);
    CHECK(got.size() - 14 <= 1500);
    joined.insert(joined.end(), got.begin() + 14 + 20 + 20 + 32, got.end());
  }
  CHECK(joined == tcp.payload);
}

TEST(tun_gso_limits) {
  t::Tcp tcp;
  tcp.payload = t::pattern(60000);
  t::Partial p = t::make_partial(t::tcp_frame({}, {CLIENT, VIP}, tcp));
  p.vnet.gso_type = 1;
  p.vnet.gso_size = 200;  // 300 segments > MAX_FRAMES
  CHECK_EQ(apply(p.frame, p.vnet, tun()), uint32_t(RewriteError::TOO_MANY_SEGMENTS));
  p.vnet.gso_size = 1460;  // 20 + 20 + 20 + 1460 > 1500
  CHECK_EQ(apply(p.frame, p.vnet, tun()), uint32_t(RewriteError::TOO_BIG));
  p.vnet.gso_size = 1440;
  CHECK_EQ(apply(p.frame, p.vnet, tun()), 0u);
  CHECK_EQ(out.count, 42u);
}
