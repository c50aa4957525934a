// Golden tests of TUN for TCPv6 GSO super-frames (ip6ip6 and 6in4): each segment equals a
// from-scratch build of that segment (inner payload length, sequence, FIN/PSH only on the last,
// CWR only on the first, TCP checksum over the IPv6 pseudo-header) inside its outer header;
// UDP GSO and extension headers refused; a segment that would not fit refused as too big.
#include <algorithm>
#include <cstring>

#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};
const char* RS6 = "2001:db8::11";
constexpr uint32_t TCP_HDR = 32;  // 20 + 12 bytes of options

t::Verdict ip6ip6_verdict() {
  t::Verdict v = t::forward(Method::TUN);
  uint32_t w[4];
  t6::words("2001:db8::2", w);
  for (uint32_t i = 0; i < 4; ++i) v.set(verdict::SRC_IP6_0 + i, w[i]);
  t6::words(RS6, w);
  for (uint32_t i = 0; i < 4; ++i) v.set(verdict::DST_IP6_0 + i, w[i]);
  return v;
}

t::Verdict sixin4_verdict() {
  return t::forward(Method::TUN).set(verdict::TUN_SRC, t::ip("198.19.0.2")).set(verdict::TUN_DST, t::ip("198.19.0.11"));
}

t6::Ip6 client_ip() {
  t6::Ip6 ip{"2001:db8:1::10", "2001:db8::100"};
  ip.hop = 33;
  ip.tclass = 0x2b;  // CE: the outer header carries ECT(0)
  return ip;
}

t::Tcp super_tcp(uint32_t payload) {
  t::Tcp tcp;
  tcp.seq = 0xfffff000u;  // wraps inside the frame
  tcp.ack = 77;
  tcp.flags = 0x80 | 0x10 | 0x08 | 0x01;  // CWR ACK PSH FIN
  tcp.options = Bytes{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  tcp.payload = t::pattern(payload, 5);
  return tcp;
}

// The super-frame as the kernel hands it over: NEEDS_CSUM at the TCP checksum, TCPv6 GSO.
core::VnetHdr gso_vnet(uint32_t mss, uint8_t type = 4) {
  core::VnetHdr v{};
  v.flags = 1;
  v.csum_start = 54;
  v.csum_offset = 16;
  v.gso_type = type;
  v.gso_size = uint16_t(mss);
  return v;
}

uint32_t apply(Bytes& f, const core::VnetHdr& vnet, const t::Verdict& v) {
  t::Meta m = t::parse(f, &vnet);
  CHECK_EQ(m[meta::ERROR], 0u);
  core::apply_verdict(f.data(), uint32_t(f.size()), vnet, m.w, v.w, t::egress("02:00:00:00:00:aa", 1500), out);
  return out.error;
}

// The inner IPv6 packet of segment i, built from scratch.
Bytes expect_inner(const t::Tcp& tcp, uint32_t mss, uint32_t i, uint32_t count) {
  t6::Ip6 ip = client_ip();
  uint32_t off = i * mss, n = std::min<uint32_t>(mss, uint32_t(tcp.payload.size()) - off);
  t::Tcp seg = tcp;
  seg.seq = tcp.seq + off;
  seg.flags = uint8_t(0x10 | (i == 0 ? 0x80 : 0) | (i + 1 == count ? 0x09 : 0));
  seg.payload = Bytes(tcp.payload.begin() + off, tcp.payload.begin() + off + n);
  return t6::ipv6(ip, {}, 6, t6::tcp_segment(ip, seg));
}

// Runs a 3 segments + remainder super-frame; check(i, got, inner) checks one segment.
template <typename Check>
void run_four(uint32_t mss, const t::Verdict& v, Check check) {
  t::Tcp tcp = super_tcp(3 * mss + 123);
  Bytes f = t6::tcp_frame({}, client_ip(), tcp);
  CHECK_EQ(apply(f, gso_vnet(mss), v), 0u);
  CHECK_EQ(out.count, 4u);
  Bytes joined;
  for (uint32_t i = 0; i < out.count; ++i) {
    CONTEXT("segment " + std::to_string(i));
    Bytes got = t::flat(out.frames[i]);
    Bytes inner = expect_inner(tcp, mss, i, out.count);
    check(i, got, inner);
    CHECK_EQ(out.frames[i].vnet.flags, 0);
    CHECK_EQ(out.frames[i].vnet.gso_type, 0);
    CHECK(got.size() - 14 <= 1500);
    joined.insert(joined.end(), got.end() - long(inner.size() - 40 - TCP_HDR), got.end());
  }
  CHECK(joined == tcp.payload);
}

}  // namespace

TEST(tun6_gso_ip6ip6_segments_like_the_kernel) {
  const uint32_t mss = 1500 - 40 - 40 - TCP_HDR;  // 1388: the lab's segment size
  run_four(mss, ip6ip6_verdict(), [](uint32_t, const Bytes& got, const Bytes& inner) {
    t6::Ip6 outer{"2001:db8::2", RS6};
    outer.flow = 0;
    outer.tclass = 0x2a;
    outer.hop = 33;
    CHECK(got == t::ethernet(kOut, 0x86dd, t6::ipv6(outer, {}, 41, inner)));
    CHECK(t6::l4_ok(got, 54, 94, 6));
  });
}

TEST(tun6_gso_6in4_segments_like_the_kernel) {
  const uint32_t mss = 1500 - 20 - 40 - TCP_HDR;
  uint16_t ids[4] = {};
  run_four(mss, sixin4_verdict(), [&](uint32_t i, const Bytes& got, const Bytes& inner) {
    t::Ip outer{"198.19.0.2", "198.19.0.11"};
    outer.ttl = 33;
    outer.tos = 0x2a;
    outer.df = false;
    outer.id = uint16_t(t::rd16(got, 18));  // derived: checked for variation below
    ids[i] = outer.id;
    CHECK(got == t::ethernet(kOut, 0x0800, t::ipv4(outer, 41, inner)));
    CHECK(t::ip_header_ok(got, 14));
    CHECK(t6::l4_ok(got, 34, 74, 6));
  });
  CHECK(ids[0] != ids[1] && ids[1] != ids[2] && ids[2] != ids[3]);  // DF clear: IDs vary
}

TEST(tun6_gso_limits_and_refusals) {
  t::Tcp tcp = super_tcp(5000);
  Bytes f = t6::tcp_frame({}, client_ip(), tcp);
  // One byte more per segment than ip6ip6 holds at MTU 1500: too big (TS answers first).
  CHECK_EQ(apply(f, gso_vnet(1389), ip6ip6_verdict()), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(apply(f, gso_vnet(1388), ip6ip6_verdict()), 0u);
  CHECK_EQ(apply(f, gso_vnet(1409), sixin4_verdict()), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(apply(f, gso_vnet(1408), sixin4_verdict()), 0u);
  // 313 segments > MAX_FRAMES
  CHECK_EQ(apply(f, gso_vnet(16), ip6ip6_verdict()), uint32_t(RewriteError::TOO_MANY_SEGMENTS));
  // UDP GSO and ECN-flagged GSO are refused, as over IPv4.
  CHECK_EQ(apply(f, gso_vnet(1000, 5), ip6ip6_verdict()), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(apply(f, gso_vnet(1000, 0x84), sixin4_verdict()), uint32_t(RewriteError::NOT_APPLICABLE));
  // Extension headers before TCP: refused (a routing header would change the pseudo-header).
  Bytes ext = t6::tcp_frame({}, client_ip(), tcp, {t6::options(0)});
  core::VnetHdr v = gso_vnet(1000);
  v.csum_start = 62;
  CHECK_EQ(apply(ext, v, ip6ip6_verdict()), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(out.count, 0u);
}
