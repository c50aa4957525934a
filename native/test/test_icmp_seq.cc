// Golden tests of ICMP and ICMPv6 errors about connections whose sequence numbers are translated
// (FULLNAT's CLIENT_DELTA, the SYN proxy's SEQ_DELTA): the quoted TCP sequence number goes back
// to the numbering of the endpoint that sent the quoted segment, when its 4 bytes are quoted,
// besides the usual mirror of addresses and ports (rewrite_icmp_nat.cc, rewrite_icmp6_nat.cc).
// Expected frames are built from scratch with the sender's own numbers, so byte equality proves
// the ICMP checksum and, in a whole quote, the quoted TCP checksum too.
#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;
const char* CLIENT = "198.18.1.10";
const char* ROUTER = "198.18.0.1";
const char* VIP = "198.19.0.100";
const char* RS = "198.19.0.11";
const char* LIP = "198.19.1.1";
const t::Eth kOut{"02:00:00:00:00:11", "02:00:00:00:00:aa"};

const uint32_t CLIENT_SEQ = 0xf0000010, CLIENT_DELTA = 0x22345668;  // FULLNAT: + toward the RS
const uint32_t SERVER_SEQ = 0x00001001, SEQ_DELTA = 0xfedcb997;     // SYN proxy: + toward the client
const uint32_t ACK = 0x0badf00d;                                     // never moved in a quote

uint32_t apply(Bytes& f, const t::Verdict& v) {
  core::VnetHdr plain{};
  t::Meta m = t::parse(f, &plain);
  core::apply_verdict(f.data(), uint32_t(f.size()), plain, m.w, v.w, t::egress(), out);
  return out.error;
}

// The TCP header and 100 bytes of payload of a quoted segment sp -> dp numbered seq.
t::Tcp quoted_tcp(uint16_t sp, uint16_t dp, uint32_t seq, uint8_t salt) {
  t::Tcp tcp;
  tcp.sport = sp;
  tcp.dport = dp;
  tcp.seq = seq;
  tcp.ack = ACK;
  tcp.flags = 0x18;
  tcp.payload = t::pattern(100, salt);
  return tcp;
}

// A TCP segment src:sp -> dst:dp numbered seq; quote_len bytes of it (0: all of it).
Bytes segment(const char* src, const char* dst, uint16_t sp, uint16_t dp, uint32_t seq, size_t quote_len) {
  t::Ip ip{src, dst};
  ip.df = true;
  ip.ttl = 50;
  Bytes p = t::ip_packet(t::tcp_frame({}, ip, quoted_tcp(sp, dp, seq, 4)));
  if (quote_len != 0) p.resize(quote_len);
  return p;
}

// A frag-needed (MTU 1400) src -> dst quoting all of `quoted`.
Bytes frag_needed(const t::Eth& eth, const char* src, const char* dst, uint8_t ttl, const Bytes& quoted) {
  t::Ip ip{src, dst};
  ip.ttl = ttl;
  return t::icmp_frame(eth, ip, t::icmp_error(3, 4, 1400, quoted, quoted.size()));
}

t::Verdict translating(Method m, Direction d, uint32_t mode = uint32_t(SeqMode::TRANSLATE)) {
  t::Verdict v = t::forward(m, d);
  return v.set(verdict::SEQ_MODE, mode).set(verdict::SEQ_DELTA, SEQ_DELTA).set(verdict::CLIENT_DELTA, CLIENT_DELTA);
}

// Quote lengths: IP header + 8 (RFC 792: ports and sequence number), + 4 (ports only), + 6 (two
// bytes of the number), + 18 (through the TCP checksum), whole.
const size_t kQuoteLens[] = {28, 24, 26, 38, 0};

bool moves(size_t quote_len, size_t ip_header) { return quote_len == 0 || quote_len >= ip_header + 8; }

}  // namespace

TEST(icmp_error_from_the_real_server_leg_quotes_the_clients_own_sequence_number) {
  for (size_t len : kQuoteLens) {
    CONTEXT("FULLNAT out, quote of " + std::to_string(len) + " bytes");
    // The real server saw LIP:20001 -> RS:80 numbered from the director's ISN.
    Bytes f = frag_needed({}, RS, LIP, 20, segment(LIP, RS, 20001, 80, CLIENT_SEQ + CLIENT_DELTA, len));
    t::Verdict v = translating(Method::FNAT, Direction::OUT);
    v.set(verdict::SRC_IP, t::ip(VIP)).set(verdict::SRC_PORT, 80).set(verdict::DST_IP, t::ip(CLIENT)).set(verdict::DST_PORT, 40000);
    CHECK_EQ(apply(f, v), 0u);
    CHECK_EQ(out.count, 1u);
    if (out.count != 1) continue;
    uint32_t seq = moves(len, 20) ? CLIENT_SEQ : CLIENT_SEQ + CLIENT_DELTA;
    Bytes got = t::flat(out.frames[0]);
    CHECK(got == frag_needed(kOut, VIP, CLIENT, 19, segment(CLIENT, VIP, 40000, 80, seq, len)));
    CHECK(t::ip_header_ok(got, 14) && t::l4_ok(got, 14));
    if (len == 0) CHECK(t::l4_ok(got, 14 + 20 + 8));  // the quoted segment's own checksum
  }
}

TEST(icmp_error_from_the_client_leg_of_a_proxied_conn_quotes_the_real_servers_numbers) {
  struct Row {
    const char* what;
    Method m;
    const char *dst, *src;  // the rewritten quote's destination (the client side) and source
    uint16_t dport, sport;
  };
  const Row rows[] = {{"NAT in, SYN proxy", Method::NAT, CLIENT, RS, 40000, 8080},
                      {"FULLNAT in, SYN proxy and client delta", Method::FNAT, LIP, RS, 20001, 8080}};
  for (const Row& r : rows) {
    for (size_t len : kQuoteLens) {
      CONTEXT(std::string(r.what) + ", quote of " + std::to_string(len) + " bytes");
      // The client saw VIP:80 -> CLIENT:40000 numbered from the cookie.
      Bytes f = frag_needed({}, ROUTER, VIP, 20, segment(VIP, CLIENT, 80, 40000, SERVER_SEQ + SEQ_DELTA, len));
      t::Verdict v = translating(r.m, Direction::IN);
      v.set(verdict::DST_IP, t::ip(RS)).set(verdict::DST_PORT, 8080);
      if (r.m == Method::FNAT) v.set(verdict::SRC_IP, t::ip(LIP)).set(verdict::SRC_PORT, 20001);
      CHECK_EQ(apply(f, v), 0u);
      CHECK_EQ(out.count, 1u);
      if (out.count != 1) continue;
      uint32_t seq = moves(len, 20) ? SERVER_SEQ : SERVER_SEQ + SEQ_DELTA;
      Bytes got = t::flat(out.frames[0]);
      const char* outer_src = r.m == Method::FNAT ? LIP : ROUTER;
      CHECK(got == frag_needed(kOut, outer_src, RS, 19, segment(r.src, r.dst, r.sport, r.dport, seq, len)));
      CHECK(t::ip_header_ok(got, 14) && t::l4_ok(got, 14));
    }
  }
}

TEST(icmp_error_quote_keeps_its_numbers_without_translation_or_tcp) {
  // SeqMode NONE with deltas in the verdict: nothing but addresses and ports moves.
  Bytes f = frag_needed({}, RS, LIP, 20, segment(LIP, RS, 20001, 80, 77, 0));
  t::Verdict v = translating(Method::FNAT, Direction::OUT, uint32_t(SeqMode::NONE));
  v.set(verdict::SRC_IP, t::ip(VIP)).set(verdict::SRC_PORT, 80).set(verdict::DST_IP, t::ip(CLIENT)).set(verdict::DST_PORT, 40000);
  CHECK_EQ(apply(f, v), 0u);
  if (out.count == 1) CHECK(t::flat(out.frames[0]) == frag_needed(kOut, VIP, CLIENT, 19, segment(CLIENT, VIP, 40000, 80, 77, 0)));
  // A UDP quote under a translating verdict: its bytes after the ports are payload, untouched.
  t::Udp u;
  u.sport = 20001;
  u.dport = 53;
  u.payload = t::pattern(40, 2);
  Bytes udp = t::ip_packet(t::udp_frame({}, {LIP, RS}, u));
  Bytes e = frag_needed({}, RS, LIP, 20, udp);
  v.set(verdict::SEQ_MODE, uint32_t(SeqMode::TRANSLATE)).set(verdict::SRC_PORT, 53);
  CHECK_EQ(apply(e, v), 0u);
  u.sport = 40000;
  if (out.count == 1) CHECK(t::flat(out.frames[0]) == frag_needed(kOut, VIP, CLIENT, 19, t::ip_packet(t::udp_frame({}, {CLIENT, VIP}, u))));
}

namespace {
const char* CLIENT6 = "2001:db8:1::10";
const char* VIP6 = "2001:db8::100";
const char* RS6 = "2001:db8::11";
const char* LIP6 = "2001:db8:f::1";

// An IPv6 TCP segment, as segment(); chain: extension headers before it.
Bytes segment6(const char* src, const char* dst, uint16_t sp, uint16_t dp, uint32_t seq, size_t quote_len,
               const std::vector<t6::Ext>& chain = {}) {
  t6::Ip6 ip{src, dst};
  Bytes p = t6::ipv6(ip, chain, 6, t6::tcp_segment(ip, quoted_tcp(sp, dp, seq, 7)));
  if (quote_len != 0) p.resize(quote_len);
  return p;
}

Bytes too_big6(const t::Eth& e, const char* src, const char* dst, uint8_t hop, const Bytes& quote) {
  t6::Ip6 ip{src, dst};
  ip.hop = hop;
  return t6::icmp6_frame(e, ip, t6::icmp6(ip, 2, 0, 1400, quote));
}

void set6(t::Verdict& v, uint32_t word0, const char* text) {
  uint32_t w[4];
  t6::words(text, w);
  for (uint32_t i = 0; i < 4; ++i) v.set(word0 + i, w[i]);
}
}  // namespace

TEST(icmp6_packet_too_big_from_the_real_server_leg_quotes_the_clients_own_sequence_number) {
  // Quote lengths after the 40-byte header (and 16 bytes of destination options in the last):
  // ports and number, ports only, half the number, through the checksum, whole.
  struct Row {
    size_t len;
    bool ext, moves;
  };
  const Row rows[] = {{48, false, true}, {44, false, false}, {46, false, false}, {58, false, true}, {0, false, true},
                      {64, true, true}, {62, true, false}, {0, true, true}};
  for (const Row& r : rows) {
    CONTEXT("FULLNAT out, IPv6 quote of " + std::to_string(r.len) + (r.ext ? " bytes behind options" : " bytes"));
    std::vector<t6::Ext> chain;
    if (r.ext) chain.push_back(t6::options(60, 16));
    Bytes f = too_big6({}, RS6, LIP6, 20, segment6(LIP6, RS6, 20001, 80, CLIENT_SEQ + CLIENT_DELTA, r.len, chain));
    t::Verdict v = translating(Method::FNAT, Direction::OUT);
    set6(v, verdict::SRC_IP6_0, VIP6);
    set6(v, verdict::DST_IP6_0, CLIENT6);
    v.set(verdict::SRC_PORT, 80).set(verdict::DST_PORT, 40000);
    CHECK_EQ(apply(f, v), 0u);
    CHECK_EQ(out.count, 1u);
    if (out.count != 1) continue;
    uint32_t seq = r.moves ? CLIENT_SEQ : CLIENT_SEQ + CLIENT_DELTA;
    Bytes got = t::flat(out.frames[0]);
    CHECK(got == too_big6(kOut, VIP6, CLIENT6, 19, segment6(CLIENT6, VIP6, 40000, 80, seq, r.len, chain)));
    CHECK(t6::l4_ok(got, 14, 54, 58));
  }
}
