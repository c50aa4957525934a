// Golden tests of NAT and FULLNAT rewrites in both directions: a table of input frames, the
// verdict, and the expected frame built from scratch by the builders (so byte equality proves
// the incremental checksum updates), for TCP, UDP (zero checksum too), partial checksums (TCP
// ones completed, UDP ones kept partial), VLAN, fragments and ICMP echo.
#include <cstring>
#include <functional>

#include "builders.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const char* CLIENT = "198.18.1.10";
const char* VIP = "198.19.0.100";
const char* RS = "198.19.0.11";
const char* LIP = "198.19.1.1";
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};

struct Flow {  // what the builders need for one packet
  const char* src;
  const char* dst;
  uint16_t sport, dport;
  uint8_t ttl;
};

enum class Kind { TCP, UDP, UDP_NOSUM, TCP_PARTIAL, UDP_PARTIAL, TCP_VLAN, ECHO, FRAG_NONFIRST };

Bytes build(Kind k, const Flow& f, const t::Eth& eth, core::VnetHdr* vnet) {
  t::Ip ip{f.src, f.dst};
  ip.ttl = f.ttl;
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
    case Kind::TCP: return t::tcp_frame(e, ip, tcp);
    case Kind::UDP: return t::udp_frame(e, ip, udp);
    case Kind::UDP_NOSUM: udp.checksum = false; return t::udp_frame(e, ip, udp);
    case Kind::TCP_VLAN: e.vlan = 77; return t::tcp_frame(e, ip, tcp);
    case Kind::ECHO: return t::icmp_frame(e, ip, t::icmp_echo(8, 0x77, 1, t::pattern(24)));
    case Kind::FRAG_NONFIRST: ip.frag_off = 1480; return t::ethernet(e, 0x0800, t::ipv4(ip, 17, t::pattern(100)));
    case Kind::TCP_PARTIAL:
    case Kind::UDP_PARTIAL: {
      t::Partial p = t::make_partial(k == Kind::TCP_PARTIAL ? t::tcp_frame(e, ip, tcp) : t::udp_frame(e, ip, udp));
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
  uint32_t src_ip, src_port, dst_ip, dst_port;
};

const Case kCases[] = {
    {"NAT in", Method::NAT, Direction::IN, {CLIENT, VIP, 40000, 80, 64}, {CLIENT, RS, 40000, 8080, 63}, 0, 0, t::ip(RS), 8080},
    {"NAT in, same port", Method::NAT, Direction::IN, {CLIENT, VIP, 40000, 80, 9}, {CLIENT, RS, 40000, 80, 8}, 0, 0, t::ip(RS), 80},
    {"NAT out", Method::NAT, Direction::OUT, {RS, CLIENT, 8080, 40000, 64}, {VIP, CLIENT, 80, 40000, 63}, t::ip(VIP), 80, 0, 0},
    {"FNAT in", Method::FNAT, Direction::IN, {CLIENT, VIP, 40000, 80, 64}, {LIP, RS, 5001, 8080, 63}, t::ip(LIP), 5001, t::ip(RS), 8080},
    {"FNAT out", Method::FNAT, Direction::OUT, {RS, LIP, 8080, 5001, 2}, {VIP, CLIENT, 80, 40000, 1}, t::ip(VIP), 80, t::ip(CLIENT), 40000},
};

uint32_t apply(Bytes& f, const core::VnetHdr& vnet, const t::Verdict& v, const core::Egress& eg = t::egress()) {
  t::Meta m = t::parse(f, &vnet);
  core::apply_verdict(f.data(), uint32_t(f.size()), vnet, m.w, v.w, eg, out);
  return out.error;
}

t::Verdict verdict_of(const Case& c) {
  t::Verdict v = t::forward(c.method, c.direction);
  v.set(verdict::SRC_IP, c.src_ip).set(verdict::SRC_PORT, c.src_port);
  return v.set(verdict::DST_IP, c.dst_ip).set(verdict::DST_PORT, c.dst_port);
}

}  // namespace

TEST(nat_and_fnat_golden_table) {
  const Kind kinds[] = {Kind::TCP, Kind::UDP, Kind::UDP_NOSUM, Kind::TCP_PARTIAL, Kind::UDP_PARTIAL,
                        Kind::TCP_VLAN, Kind::ECHO, Kind::FRAG_NONFIRST};
  const char* names[] = {"tcp", "udp", "udp zero checksum", "tcp partial", "udp partial", "tcp vlan", "icmp echo", "non-first fragment"};
  for (const Case& c : kCases) {
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; ++k) {
      CONTEXT(std::string(c.what) + " / " + names[k]);
      core::VnetHdr vnet{}, want_vnet{};
      Bytes f = build(kinds[k], c.in, {}, &vnet);
      Flow w = c.want;
      if (kinds[k] == Kind::ECHO || kinds[k] == Kind::FRAG_NONFIRST) {  // no ports to rewrite
        w.sport = c.in.sport;
        w.dport = c.in.dport;
      }
      // A partial TCP frame leaves complete (see complete_partial_tcp); partial UDP stays partial.
      Bytes want = build(kinds[k] == Kind::TCP_PARTIAL ? Kind::TCP : kinds[k], w, kOut, &want_vnet);
      CHECK_EQ(apply(f, vnet, verdict_of(c)), 0u);
      CHECK_EQ(out.count, 1u);
      if (out.count != 1) continue;
      Bytes got = t::flat(out.frames[0]);
      CHECK(got == want);
      CHECK(std::memcmp(&out.frames[0].vnet, &want_vnet, sizeof want_vnet) == 0);
      size_t l3 = t::l3_of(got);
      CHECK(t::ip_header_ok(got, l3));
      if (kinds[k] == Kind::UDP_PARTIAL) {
        CHECK(t::seed_ok(got, vnet));
        CHECK(t::l4_ok(t::complete(got, vnet), l3));
      } else if (kinds[k] != Kind::FRAG_NONFIRST) {
        CHECK(t::l4_ok(got, l3));
      }
    }
  }
}

TEST(nat_of_gso_frames_leaves_partial_only_what_the_kernel_segments) {
  // The kernel segments a GSO frame (each segment's checksum right) only when its payload needs
  // more than one segment; a smaller one it would complete in software, so the core does that.
  for (size_t payload : {size_t(20000), size_t(1000)}) {
    CONTEXT("payload " + std::to_string(payload));
    t::Tcp tcp;
    tcp.payload = t::pattern(payload);
    t::Partial p = t::make_partial(t::tcp_frame({}, {CLIENT, VIP}, tcp));
    p.vnet.gso_type = 1;
    p.vnet.gso_size = 1448;
    t::Verdict v = t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS)).set(verdict::DST_PORT, 8080);
    CHECK_EQ(apply(p.frame, p.vnet, v), 0u);
    Bytes got = t::flat(out.frames[0]);
    if (payload > 1448) {
      CHECK(t::seed_ok(got, p.vnet));
      CHECK_EQ(out.frames[0].vnet.gso_size, 1448);
      continue;
    }
    tcp.dport = 8080;
    t::Ip want_ip{CLIENT, RS};
    want_ip.ttl = 63;
    CHECK(got == t::tcp_frame(kOut, want_ip, tcp));
    CHECK_EQ(out.frames[0].vnet.flags, 0);
    CHECK_EQ(out.frames[0].vnet.gso_type, 0);
  }
}

// The pure ACK a real server sent during a FULLNAT upload (netns checksum case, both CPUs busy),
// byte for byte as captured: it arrived CHECKSUM_PARTIAL and, rewritten, its TCP checksum is
// zero. Left partial, the director's kernel completed it in software as 0xffff (tshark: bad).
static Bytes captured_ack(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                          uint8_t ttl, const t::Eth& eth) {
  t::Ip ip{src, dst};
  ip.ttl = ttl;
  ip.id = 0x55e9;
  ip.df = true;
  t::Tcp tcp;
  tcp.sport = sport;
  tcp.dport = dport;
  tcp.seq = 0xa68b436a;
  tcp.ack = 0xcad2b206;
  tcp.window = 0x01fe;
  tcp.options = {1, 1, 8, 10, 0x72, 0x24, 0x68, 0x8d, 0x76, 0x1f, 0x86, 0xdc};  // NOP NOP TS
  return t::tcp_frame(eth, ip, tcp);
}

TEST(partial_tcp_whose_checksum_is_zero_leaves_complete_as_0000) {
  const char* lip2 = "198.19.1.2";
  t::Partial p = t::make_partial(captured_ack(RS, 80, lip2, 1055, 64, {}));
  Bytes want = captured_ack(VIP, 80, CLIENT, 43102, 63, kOut);
  CHECK_EQ(t::rd16(want, 50), 0u);  // the row covers the zero checksum, or it proves nothing
  t::Verdict v = t::forward(Method::FNAT, Direction::OUT).set(verdict::SRC_IP, t::ip(VIP)).set(verdict::SRC_PORT, 80);
  v.set(verdict::DST_IP, t::ip(CLIENT)).set(verdict::DST_PORT, 43102);
  CHECK_EQ(apply(p.frame, p.vnet, v), 0u);
  CHECK_EQ(out.count, 1u);
  if (out.count != 1) return;
  CHECK(t::flat(out.frames[0]) == want);
  core::VnetHdr plain{};
  CHECK(std::memcmp(&out.frames[0].vnet, &plain, sizeof plain) == 0);  // nothing left to the kernel
}

TEST(nat_sends_the_datagram_without_the_ethernet_trailer) {
  // Bytes past the IP total length (padding to 60, a trailer) must not leave: the kernel would
  // sum them into a partial checksum it completes. A partial UDP frame and a padded plain ACK.
  t::Udp udp;
  udp.payload = t::pattern(11);
  t::Tcp ack;
  t::Ip in{CLIENT, VIP}, want_ip{CLIENT, RS};
  want_ip.ttl = 63;
  t::Partial p = t::make_partial(t::udp_frame({}, in, udp));
  Bytes padded = t::tcp_frame({}, in, ack);
  udp.dport = ack.dport = 8080;
  t::Partial want_udp = t::make_partial(t::udp_frame(kOut, want_ip, udp));
  Bytes want_ack = t::tcp_frame(kOut, want_ip, ack);
  core::VnetHdr plain{};
  const struct { Bytes& in; const core::VnetHdr& vnet; const Bytes& want; } rows[] = {
      {p.frame, p.vnet, want_udp.frame}, {padded, plain, want_ack}};
  t::Verdict v = t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS)).set(verdict::DST_PORT, 8080);
  for (const auto& r : rows) {
    r.in.insert(r.in.end(), 6, 0xa5);
    CHECK_EQ(apply(r.in, r.vnet, v), 0u);
    Bytes got = t::flat(out.frames[0]);
    CHECK(got == r.want);
    CHECK(t::l4_ok(t::complete(got, out.frames[0].vnet), 14));
  }
}

TEST(completing_a_partial_tcp_checksum_keeps_a_wrong_seed_wrong) {
  // The core completes as the kernel would, from the seed: a sender's wrong seed is not laundered.
  t::Tcp tcp;
  tcp.payload = t::pattern(300);
  t::Partial p = t::make_partial(t::tcp_frame({}, {CLIENT, VIP}, tcp));
  t::wr16(p.frame, 14 + 20 + 16, t::rd16(p.frame, 14 + 20 + 16) ^ 0x0100u);
  t::Verdict v = t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS)).set(verdict::DST_PORT, 8080);
  CHECK_EQ(apply(p.frame, p.vnet, v), 0u);
  Bytes got = t::flat(out.frames[0]);
  tcp.dport = 8080;
  t::Ip want_ip{CLIENT, RS};
  want_ip.ttl = 63;
  Bytes want = t::tcp_frame(kOut, want_ip, tcp);
  CHECK(!t::l4_ok(got, 14));
  t::wr16(got, 14 + 20 + 16, t::rd16(want, 14 + 20 + 16));
  CHECK(got == want);  // only the checksum differs
}

TEST(nat_refuses_expired_ttl_bad_verdicts_and_oversize) {
  core::VnetHdr plain{};
  Bytes f = build(Kind::TCP, {CLIENT, VIP, 1, 80, 1}, {}, nullptr);
  Bytes before = f;
  t::Verdict v = t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS)).set(verdict::DST_PORT, 80);
  CHECK_EQ(apply(f, plain, v), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK(f == before);  // refused frames are left untouched
  Bytes g = build(Kind::TCP, {CLIENT, VIP, 1, 80, 64}, {}, nullptr);
  t::Verdict no_port = t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS));
  CHECK_EQ(apply(g, plain, no_port), uint32_t(RewriteError::BAD_VERDICT));
  t::Verdict no_ip = t::forward(Method::NAT, Direction::OUT).set(verdict::SRC_PORT, 80);
  CHECK_EQ(apply(g, plain, no_ip), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(apply(g, plain, v, t::egress("02:00:00:00:00:aa", 300)), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(out.count, 0u);
}

TEST(nat_first_fragment_updates_the_whole_datagram_checksum) {
  // A first fragment carries the L4 checksum of the whole datagram: after NAT, the reassembled
  // datagram (first fragment's new header + the untouched rest) must verify.
  t::Udp u;
  u.payload = t::pattern(200);
  Bytes whole = t::ip_packet(t::udp_frame({}, {CLIENT, VIP}, u));
  Bytes l4(whole.begin() + 20, whole.end());
  t::Ip first{CLIENT, VIP};
  first.mf = true;
  Bytes f = t::ethernet({}, 0x0800, t::ipv4(first, 17, Bytes(l4.begin(), l4.begin() + 104)));
  t::Verdict v = t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS)).set(verdict::DST_PORT, 5353);
  CHECK_EQ(apply(f, core::VnetHdr{}, v), 0u);
  Bytes got = t::flat(out.frames[0]);
  Bytes reassembled(got.begin() + 14, got.end());
  reassembled.insert(reassembled.end(), l4.begin() + 104, l4.end());
  t::wr16(reassembled, 2, uint32_t(reassembled.size()));
  t::wr16(reassembled, 6, 0);
  Bytes as_frame = t::ethernet({}, 0x0800, reassembled);
  CHECK(t::l4_ok(as_frame, 14));
  CHECK_EQ(t::rd16(got, 36), 5353);
}
