// Golden tests of ICMP handling: errors the director originates (frag-needed, time-exceeded)
// and ICMP errors about NAT/FULLNAT connections rewritten outer and inner, both directions.
// Expected frames are built from scratch, so equality proves every checksum.
#include <cstring>

#include "builders.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const char* CLIENT = "198.18.1.10";
const char* ROUTER = "198.18.0.1";
const char* VIP = "198.19.0.100";
const char* DIRECTOR = "198.19.0.2";
const char* RS = "198.19.0.11";
const char* LIP = "198.19.1.1";
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};

uint32_t apply(Bytes& f, const t::Verdict& v, const core::Egress& eg = t::egress()) {
  core::VnetHdr plain{};
  t::Meta m = t::parse(f, &plain);
  core::apply_verdict(f.data(), uint32_t(f.size()), plain, m.w, v.w, eg, out);
  return out.error;
}

t::Verdict act(Action a) { return t::Verdict().set(verdict::ACTION, uint32_t(a)); }

Bytes tcp_packet(const char* src, const char* dst, uint16_t sp, uint16_t dp, size_t payload, bool df = true) {
  t::Ip ip{src, dst};
  ip.df = df;
  ip.ttl = 50;
  t::Tcp tcp;
  tcp.sport = sp;
  tcp.dport = dp;
  tcp.payload = t::pattern(payload, 4);
  return t::ip_packet(t::tcp_frame({}, ip, tcp));
}

Bytes udp_packet(const char* src, const char* dst, uint16_t sp, uint16_t dp) {
  t::Udp u;
  u.sport = sp;
  u.dport = dp;
  u.payload = t::pattern(40, 2);
  return t::ip_packet(t::udp_frame({}, {src, dst}, u));
}

Bytes error_frame(const t::Eth& eth, const char* src, const char* dst, uint8_t ttl, uint8_t type,
                  uint8_t code, uint32_t rest, const Bytes& quoted, size_t quote_len, uint8_t tos = 0, uint16_t id = 0x1234) {
  t::Ip ip{src, dst};
  ip.ttl = ttl;
  ip.tos = tos;
  ip.id = id;
  return t::icmp_frame(eth, ip, t::icmp_error(type, code, rest, quoted, quote_len));
}

}  // namespace

TEST(frag_needed_quotes_up_to_576_bytes_from_the_egress_address) {
  Bytes pkt = tcp_packet(CLIENT, VIP, 40000, 80, 1400);
  Bytes f = t::ethernet({"02:00:00:00:00:aa", "02:00:00:00:00:01"}, 0x0800, pkt);
  CHECK_EQ(apply(f, act(Action::ICMP_FRAG_NEEDED).set(verdict::MTU, 1480)), 0u);
  CHECK_EQ(out.count, 1u);
  Bytes got = t::flat(out.frames[0]);
  CHECK_EQ(got.size(), 14u + 576u);
  Bytes want = error_frame({"02:00:00:00:00:01", "02:00:00:00:00:aa"}, DIRECTOR, CLIENT, 64, 3, 4, 1480, pkt, 548,
                           0xc0, t::rd16(got, 18));
  CHECK(got == want);
  CHECK(t::l4_ok(got, 14));
  CHECK_EQ(out.frames[0].body_len, 548u);  // the quote is not copied
}

TEST(time_exceeded_quotes_a_small_packet_whole_and_keeps_vlan) {
  Bytes pkt = udp_packet(CLIENT, VIP, 33434, 33434);
  Bytes f = t::ethernet({"02:00:00:00:00:aa", "02:00:00:00:00:01", 30}, 0x0800, pkt);
  CHECK_EQ(apply(f, act(Action::ICMP_TIME_EXCEEDED)), 0u);
  Bytes got = t::flat(out.frames[0]);
  Bytes want = error_frame({"02:00:00:00:00:01", "02:00:00:00:00:aa", 30}, DIRECTOR, CLIENT, 64, 11, 0, 0, pkt,
                           pkt.size(), 0xc0, t::rd16(got, 22));
  CHECK(got == want);
}

TEST(frag_needed_mtu_defaults_to_the_port_and_is_checked) {
  Bytes pkt = tcp_packet(CLIENT, VIP, 40000, 80, 100);
  Bytes f = t::ethernet({}, 0x0800, pkt);
  CHECK_EQ(apply(f, act(Action::ICMP_FRAG_NEEDED)), 0u);
  CHECK_EQ(t::rd32(t::flat(out.frames[0]), 14 + 20 + 4), 1500u);
  CHECK_EQ(apply(f, act(Action::ICMP_FRAG_NEEDED).set(verdict::MTU, 30)), uint32_t(RewriteError::BAD_VERDICT));
}

TEST(no_icmp_error_about_errors_fragments_broadcasts_or_without_an_address) {
  Bytes err = t::ethernet({}, 0x0800, t::ipv4({ROUTER, VIP}, 1, t::icmp_error(3, 3, 0, udp_packet(VIP, CLIENT, 53, 40000))));
  CHECK_EQ(apply(err, act(Action::ICMP_TIME_EXCEEDED)), uint32_t(RewriteError::NOT_APPLICABLE));
  t::Ip frag{CLIENT, VIP};
  frag.frag_off = 64;
  Bytes nonfirst = t::ethernet({}, 0x0800, t::ipv4(frag, 17, t::pattern(30)));
  CHECK_EQ(apply(nonfirst, act(Action::ICMP_TIME_EXCEEDED)), uint32_t(RewriteError::NOT_APPLICABLE));
  Bytes bcast = t::ethernet({}, 0x0800, udp_packet(CLIENT, "255.255.255.255", 1, 2));
  CHECK_EQ(apply(bcast, act(Action::ICMP_TIME_EXCEEDED)), uint32_t(RewriteError::NOT_APPLICABLE));
  Bytes ok = t::ethernet({}, 0x0800, udp_packet(CLIENT, VIP, 1, 2));
  CHECK_EQ(apply(ok, act(Action::ICMP_TIME_EXCEEDED), t::egress("02:00:00:00:00:aa", 1500, "0.0.0.0")),
           uint32_t(RewriteError::NOT_APPLICABLE));
  Bytes echo = t::icmp_frame({}, {CLIENT, VIP}, t::icmp_echo(8, 1, 1, {}));
  CHECK_EQ(apply(echo, act(Action::ICMP_TIME_EXCEEDED)), 0u);  // echo is not an error
  CHECK_EQ(out.count, 1u);
}

namespace {
struct NatCase {
  const char* what;
  Method method;
  Direction direction;
  const char *outer_src, *outer_dst;  // the error as it arrives
  Bytes quoted;                        // the packet it quotes
  size_t quote_len;
  uint32_t src_ip, src_port, dst_ip, dst_port;
  const char *want_src, *want_dst;     // outer after rewrite
  Bytes want_quoted;
};
}  // namespace

TEST(icmp_errors_about_nat_and_fnat_conns_are_rewritten_inside_and_out) {
  const NatCase cases[] = {
      {"NAT in, frag-needed from a router, 8 quoted bytes", Method::NAT, Direction::IN, ROUTER, VIP,
       tcp_packet(VIP, CLIENT, 80, 40000, 100), 28, 0, 0, t::ip(RS), 8080, ROUTER, RS,
       tcp_packet(RS, CLIENT, 8080, 40000, 100)},
      {"NAT in, quoted TCP checksum included", Method::NAT, Direction::IN, ROUTER, VIP,
       tcp_packet(VIP, CLIENT, 80, 40000, 100), 120, 0, 0, t::ip(RS), 8080, ROUTER, RS,
       tcp_packet(RS, CLIENT, 8080, 40000, 100)},
      {"NAT out, port unreachable from the real server", Method::NAT, Direction::OUT, RS, CLIENT,
       udp_packet(CLIENT, RS, 40000, 5353), 0, t::ip(VIP), 53, 0, 0, VIP, CLIENT,
       udp_packet(CLIENT, VIP, 40000, 53)},
      {"FNAT in", Method::FNAT, Direction::IN, ROUTER, VIP, tcp_packet(VIP, CLIENT, 80, 40000, 60), 0,
       t::ip(LIP), 5001, t::ip(RS), 8080, LIP, RS, tcp_packet(RS, LIP, 8080, 5001, 60)},
      {"FNAT out", Method::FNAT, Direction::OUT, RS, LIP, udp_packet(LIP, RS, 5001, 8080), 0,
       t::ip(VIP), 80, t::ip(CLIENT), 40000, VIP, CLIENT, udp_packet(CLIENT, VIP, 40000, 80)},
  };
  for (const NatCase& c : cases) {
    CONTEXT(c.what);
    Bytes f = error_frame({}, c.outer_src, c.outer_dst, 20, 3, 4, 1400, c.quoted, c.quote_len);
    t::Verdict v = t::forward(c.method, c.direction);
    v.set(verdict::SRC_IP, c.src_ip).set(verdict::SRC_PORT, c.src_port);
    v.set(verdict::DST_IP, c.dst_ip).set(verdict::DST_PORT, c.dst_port);
    CHECK_EQ(apply(f, v), 0u);
    CHECK_EQ(out.count, 1u);
    if (out.count != 1) continue;
    Bytes want = error_frame(kOut, c.want_src, c.want_dst, 19, 3, 4, 1400, c.want_quoted, c.quote_len);
    Bytes got = t::flat(out.frames[0]);
    CHECK(got == want);
    CHECK(t::ip_header_ok(got, 14));
    CHECK(t::l4_ok(got, 14));
    CHECK(t::ip_header_ok(got, 14 + 20 + 8));
  }
}

TEST(icmp_nat_refuses_missing_addresses_and_unusable_quotes) {
  t::Verdict in = t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS));
  Bytes err = error_frame({}, ROUTER, VIP, 20, 11, 0, 0, tcp_packet(VIP, CLIENT, 80, 1, 10), 0);
  CHECK_EQ(apply(err, t::forward(Method::NAT)), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(apply(err, t::forward(Method::NAT, Direction::OUT)), uint32_t(RewriteError::BAD_VERDICT));
  t::Verdict fnat_no_lip = t::forward(Method::FNAT).set(verdict::DST_IP, t::ip(RS));
  CHECK_EQ(apply(err, fnat_no_lip), uint32_t(RewriteError::BAD_VERDICT));
  Bytes cut = error_frame({}, ROUTER, VIP, 20, 11, 0, 0, tcp_packet(VIP, CLIENT, 80, 1, 10), 16);
  CHECK_EQ(apply(cut, in), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(out.count, 0u);
}

TEST(an_icmp_echo_of_a_nat_conn_is_an_ordinary_packet_not_an_error) {
  // Only errors quote a packet: an echo through a NAT verdict gets the plain outer rewrite.
  Bytes echo = t::icmp_frame({}, {CLIENT, VIP}, t::icmp_echo(8, 1, 1, {}));
  CHECK_EQ(apply(echo, t::forward(Method::NAT).set(verdict::DST_IP, t::ip(RS))), 0u);
  CHECK_EQ(out.count, 1u);
  Bytes want = t::icmp_frame(kOut, {CLIENT, RS, 63}, t::icmp_echo(8, 1, 1, {}));
  if (out.count == 1) CHECK(t::flat(out.frames[0]) == want);
}
