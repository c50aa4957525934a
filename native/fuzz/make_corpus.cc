// Writes the seed corpus of the packet-core harnesses, one folder per harness, at build time:
// golden frames from native/test's builders (every checksum computed from scratch, so the fuzzer
// starts past the IP header checksum), each paired with every choice the harness makes from
// its ACTION/METHOD word, a realistic verdict and egress. Usage: make_corpus DIR
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "../test/builders.h"
#include "../test/builders6.h"
#include "fuzz_case.h"

using namespace director;
using t::Bytes;

namespace {

struct Seed {
  Bytes frame;
  core::VnetHdr vnet;
};

t::Tcp tcp_with(size_t payload, uint8_t flags = 0x18) {
  t::Tcp s;
  s.payload = t::pattern(payload);
  s.flags = flags;
  return s;
}

void add_partial(std::vector<Seed>& s, const Bytes& frame, uint8_t gso_type = 0, uint16_t gso_size = 0) {
  t::Partial p = t::make_partial(frame);
  p.vnet.gso_type = gso_type;
  p.vnet.gso_size = gso_size;
  s.push_back({p.frame, p.vnet});
}

std::vector<Seed> ip_seeds() {
  std::vector<Seed> s;
  t::Ip df;
  df.df = true;
  t::Ip opts;
  opts.options = {0x94, 0x04, 0, 0};  // router alert
  t::Tcp mss = tcp_with(40, 0x02);
  mss.options = {2, 4, 0x05, 0xb4};
  t::Udp nosum;
  nosum.checksum = false;
  s.push_back({t::tcp_frame({}, df, tcp_with(40)), {}});
  s.push_back({t::tcp_frame({"02:00:00:00:00:02", "02:00:00:00:00:01", 7}, {}, tcp_with(10)), {}});
  s.push_back({t::tcp_frame({}, opts, mss), {}});
  // A client's SYN with timestamps at an odd offset (FULLNAT's translation removes them), and an
  // ACK with a SACK block after a single NOP.
  t::Tcp ts = tcp_with(0, 0x02);
  ts.options = {1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 4, 2, 1, 1, 0};
  s.push_back({t::tcp_frame({}, df, ts), {}});
  t::Tcp sack = tcp_with(20, 0x10);
  sack.options = {1, 1, 5, 10, 0x80, 0, 0, 1, 0x80, 0, 0x10, 1};
  s.push_back({t::tcp_frame({}, df, sack), {}});
  s.push_back({t::udp_frame({"02:00:00:00:00:02", "02:00:00:00:00:01", 3}, {}, {}), {}});
  s.push_back({t::udp_frame({}, {}, nosum), {}});
  Bytes padded = t::tcp_frame({}, {}, tcp_with(0, 0x10));
  padded.resize(60, 0);
  s.push_back({padded, {}});
  t::Ip first;
  first.mf = true;
  s.push_back({t::ethernet({}, 0x0800, t::ipv4(first, 17, t::udp_datagram(first, {}))), {}});
  t::Ip later;
  later.frag_off = 1480;
  s.push_back({t::ethernet({}, 0x0800, t::ipv4(later, 6, t::pattern(64))), {}});
  s.push_back({t::ethernet({}, 0x0800, t::ipv4({"198.19.0.2", "198.19.0.11"}, 4, t::ip_packet(s[0].frame))), {}});
  add_partial(s, t::tcp_frame({}, df, tcp_with(200)));
  add_partial(s, t::udp_frame({}, {}, {}));
  add_partial(s, t::tcp_frame({}, df, tcp_with(3000, 0x80 | 0x18 | 0x01)), 1, 1000);
  add_partial(s, t::tcp_frame({"02:00:00:00:00:02", "02:00:00:00:00:01", 9}, df, tcp_with(1500)), 1, 536);
  return s;
}

std::vector<Seed> ip6_seeds() {
  std::vector<Seed> s;
  t6::Ip6 i;
  t::Udp u;
  u.payload = t::pattern(16);
  s.push_back({t6::tcp_frame({}, i, tcp_with(40)), {}});
  s.push_back({t6::tcp_frame({"02:00:00:00:00:02", "02:00:00:00:00:01", 7}, i, tcp_with(10)), {}});
  s.push_back({t6::udp_frame({}, i, u, {t6::options(0), t6::options(60, 16), t6::routing(), t6::options(60)}), {}});
  s.push_back({t6::udp_frame({}, i, u, {t6::fragment(0, true, 77)}), {}});
  s.push_back({t::ethernet({}, 0x86dd, t6::ipv6(i, {t6::fragment(1448, false, 77)}, 17, t::pattern(40))), {}});
  s.push_back({t6::icmp6_frame({}, i, t6::icmp6(i, 128, 0, 0x00010002, t::pattern(16))), {}});
  t6::Ip6 back{"2001:db8::100", "2001:db8:1::10"};
  Bytes quoted = t6::ipv6(back, {}, 6, t6::tcp_segment(back, {80, 40000}));
  s.push_back({t6::icmp6_frame({}, {"2001:db8:ff::1", "2001:db8::100"}, t6::icmp6(i, 2, 0, 1280, quoted)), {}});
  t6::Ip6 ns{"2001:db8::1", "ff02::1:ff00:100"};
  ns.hop = 255;
  s.push_back({t6::icmp6_frame({"33:33:ff:00:01:00"}, ns, t6::icmp6(ns, 135, 0, 0, t6::addr("2001:db8::100"))), {}});
  core::VnetHdr gso{};  // a TCPv6 GSO super-frame of 3 segments + a remainder (TUN segments it)
  gso.flags = 1;
  gso.csum_start = 54;
  gso.csum_offset = 16;
  gso.gso_type = 4;
  gso.gso_size = 1000;
  s.push_back({t6::tcp_frame({}, i, tcp_with(3500, 0x80 | 0x18 | 0x01)), gso});
  return s;
}

// ICMPv6 errors about a connection: whole and cut quotes, TCP, UDP and an error quoting an error.
std::vector<Seed> icmp6_seeds() {
  std::vector<Seed> s;
  t6::Ip6 back{"2001:db8::100", "2001:db8:1::10"}, router{"2001:db8:ff::1", "2001:db8::100"};
  t::Udp dns;
  dns.sport = 53;
  dns.dport = 40000;
  dns.payload = t::pattern(30);
  Bytes tcp = t6::ipv6(back, {}, 6, t6::tcp_segment(back, {80, 40000}));
  Bytes udp = t6::ipv6(back, {t6::options(60)}, 17, t6::udp_datagram(back, dns));
  Bytes cut(tcp.begin(), tcp.begin() + 46);
  Bytes err = t6::ipv6(back, {}, 58, t6::icmp6(back, 1, 4, 0, cut));
  for (const Bytes* q : {&tcp, &udp, &cut, &err}) {
    uint8_t type = uint8_t(1 + s.size() % 4);
    s.push_back({t6::icmp6_frame({}, router, t6::icmp6(router, type, 0, type == 2 ? 1400 : 0, *q)), {}});
  }
  return s;
}

std::vector<Seed> icmp_seeds() {
  std::vector<Seed> s;
  Bytes tcp = t::ip_packet(t::tcp_frame({}, {"198.19.0.100", "198.18.1.10"}, {80, 40000}));
  t::Udp dns;
  dns.sport = 53;
  dns.dport = 40000;
  dns.payload = t::pattern(30);
  Bytes udp = t::ip_packet(t::udp_frame({}, {"198.19.0.11", "198.18.1.10"}, dns));
  t::Udp nosum = dns;
  nosum.checksum = false;
  Bytes udp0 = t::ip_packet(t::udp_frame({}, {"198.19.0.11", "198.18.1.10"}, nosum));
  s.push_back({t::icmp_frame({}, {}, t::icmp_echo(8, 1, 2, t::pattern(16))), {}});
  s.push_back({t::icmp_frame({}, {}, t::icmp_error(3, 4, 1400, tcp, 40)), {}});
  s.push_back({t::icmp_frame({}, {}, t::icmp_error(11, 0, 0, udp)), {}});
  s.push_back({t::icmp_frame({}, {"198.19.0.1", "198.19.0.11"}, t::icmp_error(3, 3, 0, udp0, 60)), {}});
  s.push_back({t::icmp_frame({}, {}, t::icmp_error(12, 0, 0, tcp, 24)), {}});
  return s;
}

// Which tunnel words a seed's verdict keeps: both (harnesses other than tun), IPv4 (6in4) or IPv6.
enum class Outer { BOTH, V4, V6 };

// seq: the verdict translates sequence numbers (SEQ_MODE TRANSLATE, both deltas set).
void write_dir(const std::string& dir, const std::vector<Seed>& seeds, uint32_t choices, int& n,
               Outer outer = Outer::BOTH, bool seq = false) {
  ::mkdir(dir.c_str(), 0755);
  for (const Seed& s : seeds) {
    for (uint32_t choice = 0; choice < choices; ++choice) {
      t::Verdict v = t::forward(Method::DR);
      v.set(verdict::ACTION, choice).set(verdict::METHOD, choice);
      v.set(verdict::SRC_IP, t::ip("198.19.1.1")).set(verdict::SRC_PORT, 2000);
      v.set(verdict::DST_IP, t::ip("198.19.0.11")).set(verdict::DST_PORT, 8080);
      v.set(verdict::TUN_SRC, t::ip("198.19.0.2")).set(verdict::TUN_DST, t::ip("198.19.0.11"));
      v.set(verdict::SLOT, 0x9e3779b9u).set(verdict::REASON, 0x7f4a7c15u);  // the flow hash key
      uint32_t lip6[4], rs6[4];
      t6::words("2001:db8:f::1", lip6);
      t6::words("2001:db8::11", rs6);
      for (uint32_t w = 0; w < 4; ++w) v.set(verdict::SRC_IP6_0 + w, lip6[w]).set(verdict::DST_IP6_0 + w, rs6[w]);
      if (outer == Outer::V6) v.set(verdict::TUN_SRC, 0).set(verdict::TUN_DST, 0);
      if (seq) v.set(verdict::SEQ_MODE, uint32_t(SeqMode::TRANSLATE)).set(verdict::SEQ_DELTA, 0x89abcdefu).set(verdict::CLIENT_DELTA, 0x12345678u);
      for (uint32_t w = 0; outer == Outer::V4 && w < 4; ++w) v.set(verdict::SRC_IP6_0 + w, 0).set(verdict::DST_IP6_0 + w, 0);
      Bytes input = fuzz::encode(s.vnet, v.w, 1500, t::ip("198.19.0.2"), s.frame);
      std::string path = dir + "/seed-" + std::to_string(n++);
      FILE* out = std::fopen(path.c_str(), "wb");
      if (!out) return;
      std::fwrite(input.data(), 1, input.size(), out);
      std::fclose(out);
    }
  }
}

// An IPv6 packet; only what the decapsulator reads is filled in (no checksum covers the header).
Bytes ipv6(uint8_t next, const Bytes& payload, uint8_t dst_last) {
  Bytes p(40, 0);
  p[0] = 0x60;
  p[4] = static_cast<uint8_t>(payload.size() >> 8);
  p[5] = static_cast<uint8_t>(payload.size());
  p[6] = next;
  p[7] = 64;
  const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
  for (int at : {8, 24}) std::copy(prefix, prefix + 8, p.begin() + at);
  p[23] = 0x02;
  p[39] = dst_last;
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// fuzz_decap's seeds: raw frames of each tunnel kind to the harness's local addresses.
std::vector<Bytes> decap_seeds() {
  Bytes inner4 = t::ip_packet(t::udp_frame({}, {}, {}));
  Bytes inner6 = ipv6(17, t::pattern(24), 0x99);
  Bytes limit = {41, 0, 4, 1, 4, 1, 1, 0};  // destination options: encapsulation limit 4, PadN
  limit.insert(limit.end(), inner6.begin(), inner6.end());
  return {
      t::ethernet({}, 0x0800, t::ipv4({"198.19.0.2", "198.19.0.11"}, 4, inner4)),
      t::ethernet({}, 0x0800, t::ipv4({"198.19.0.2", "198.19.0.11"}, 41, inner6)),
      t::ethernet({}, 0x86dd, ipv6(41, inner6, 0x11)),
      t::ethernet({}, 0x86dd, ipv6(60, limit, 0x11)),
      t::ethernet({}, 0x86dd, ipv6(4, inner4, 0x11)),
  };
}

void write_raw(const std::string& dir, const std::vector<Bytes>& frames, int& n) {
  ::mkdir(dir.c_str(), 0755);
  for (const Bytes& f : frames) {
    std::string path = dir + "/seed-" + std::to_string(n++);
    FILE* out = std::fopen(path.c_str(), "wb");
    if (!out) return;
    std::fwrite(f.data(), 1, f.size(), out);
    std::fclose(out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  ::mkdir(dir.c_str(), 0755);
  std::vector<Seed> ip = ip_seeds(), icmp = icmp_seeds(), ip6 = ip6_seeds(), all = ip;
  std::vector<Seed> icmp6 = icmp6_seeds();
  icmp.insert(icmp.end(), icmp6.begin(), icmp6.end());
  all.insert(all.end(), icmp.begin(), icmp.end());
  all.insert(all.end(), ip6.begin(), ip6.end());
  Seed arp{t::arp_frame({}, 1, "02:00:00:00:00:05", "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100"), {}};
  all.push_back(arp);
  std::vector<Seed> replies = icmp;
  replies.push_back(arp);
  replies.push_back(ip[0]);
  replies.push_back(ip[3]);
  replies.push_back(ip6[0]);
  replies.push_back(ip6[4]);
  replies.push_back(ip6[5]);  // an ICMPv6 echo request (ICMP_ECHO_REPLY answers IPv6 too)
  replies.push_back(ip6[7]);  // a neighbour solicitation (ND_ADVERT)
  int n = 0;
  write_dir(dir + "/parse", all, 1, n);
  write_dir(dir + "/nat", all, 5, n);       // fuzz_nat's five ways: DR, NAT and FULLNAT in and out
  write_dir(dir + "/tun", ip, 1, n);
  write_dir(dir + "/tun", ip6, 1, n, Outer::V4);  // 6in4
  write_dir(dir + "/tun", ip6, 1, n, Outer::V6);  // ip6ip6
  write_dir(dir + "/icmp_nat", icmp, 4, n);  // NAT and FULLNAT, in and out
  write_dir(dir + "/icmp_nat", icmp, 4, n, Outer::BOTH, true);  // the same, translating sequence numbers
  write_dir(dir + "/reply", replies, 5, n);  // ARP, echo, frag-needed, time-exceeded, ND advert
  write_raw(dir + "/decap", decap_seeds(), n);  // frames alone: the decapsulator takes no verdict
  std::printf("%d seeds in %s\n", n, dir.c_str());
  return 0;
}
