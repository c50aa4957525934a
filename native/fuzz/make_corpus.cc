// Writes the seed corpus for parse_rewrite_fuzz: golden frames from the test builders, each
// paired with every action/method verdict, so the fuzzer starts past the IP header checksum.
// Usage: make_corpus DIR
#include <cstdio>
#include <cstring>
#include <string>

#include "../test/builders.h"

using namespace director;
using t::Bytes;

static void write(const std::string& dir, int n, const core::VnetHdr& vnet, const t::Verdict& v, const Bytes& f) {
  std::string path = dir + "/seed-" + std::to_string(n);
  FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) return;
  std::fwrite(&vnet, sizeof vnet, 1, out);
  std::fwrite(v.w, sizeof v.w, 1, out);
  std::fwrite(f.data(), 1, f.size(), out);
  std::fclose(out);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  t::Tcp small;
  small.payload = t::pattern(40);
  t::Tcp big;
  big.payload = t::pattern(3000);
  t::Ip df;
  df.df = true;
  Bytes quoted = t::ip_packet(t::tcp_frame({}, {"198.19.0.100", "198.18.1.10"}, {80, 40000}));
  std::vector<std::pair<Bytes, core::VnetHdr>> frames = {
      {t::tcp_frame({}, df, small), {}},
      {t::udp_frame({"02:00:00:00:00:02", "02:00:00:00:00:01", 3}, {}, {}), {}},
      {t::icmp_frame({}, {}, t::icmp_echo(8, 1, 2, t::pattern(16))), {}},
      {t::icmp_frame({}, {}, t::icmp_error(3, 4, 1400, quoted, 40)), {}},
      {t::arp_frame({}, 1, "02:00:00:00:00:05", "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100"), {}},
  };
  t::Partial p = t::make_partial(t::tcp_frame({}, df, big));
  frames.push_back({p.frame, p.vnet});
  p.vnet.gso_type = 1;
  p.vnet.gso_size = 1000;
  frames.push_back({p.frame, p.vnet});
  int n = 0;
  for (const auto& [f, vnet] : frames) {
    for (uint32_t a = 0; a < uint32_t(Action::COUNT); ++a) {
      for (uint32_t k = 0; k < uint32_t(Method::COUNT) * 2; ++k) {
        t::Verdict v = t::forward(Method(k / 2), Direction(k % 2));
        v.set(verdict::ACTION, a).set(verdict::SRC_IP, t::ip("198.19.1.1")).set(verdict::SRC_PORT, 2000);
        v.set(verdict::DST_IP, t::ip("198.19.0.11")).set(verdict::DST_PORT, 8080);
        v.set(verdict::TUN_SRC, t::ip("198.19.0.2")).set(verdict::TUN_DST, t::ip("198.19.0.11"));
        v.set(verdict::RESERVED_15, 1500);  // the harness's egress MTU
        write(argv[1], n++, vnet, v, f);
        if (a != uint32_t(Action::FORWARD)) break;
      }
    }
  }
  std::printf("%d seeds\n", n);
  return 0;
}
