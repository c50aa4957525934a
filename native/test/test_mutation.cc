// Deterministic mutation smoke test: golden frames, randomly corrupted (bytes, lengths, vnet
// header, even meta words), go through parse_frame and apply_verdict with every action and
// method; nothing may crash, read outside the frame (the sanitizer build checks), or emit a
// frame pointing outside the frame or scratch.
#include <cstdlib>
#include <memory>
#include <cstring>
#include <random>

#include "builders.h"
#include "builders6.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

struct Seed {
  Bytes frame;
  core::VnetHdr vnet;
};

std::vector<Seed> seeds() {
  std::vector<Seed> s;
  t::Tcp big;
  big.payload = t::pattern(4000);
  t::Tcp small;
  small.payload = t::pattern(20);
  t::Ip df;
  df.df = true;
  Bytes quoted = t::ip_packet(t::tcp_frame({}, {"198.19.0.100", "198.18.1.10"}, {80, 40000}));
  s.push_back({t::tcp_frame({}, {}, small), {}});
  s.push_back({t::udp_frame({"02:00:00:00:00:02", "02:00:00:00:00:01", 3}, {}, {}), {}});
  s.push_back({t::icmp_frame({}, {}, t::icmp_echo(8, 1, 2, t::pattern(16))), {}});
  s.push_back({t::icmp_frame({}, {}, t::icmp_error(3, 4, 1400, quoted, 40)), {}});
  s.push_back({t::icmp_frame({}, {}, t::icmp_error(11, 0, 0, quoted)), {}});
  s.push_back({t::arp_frame({}, 1, "02:00:00:00:00:05", "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100"), {}});
  s.push_back({t::ethernet({}, 0x0800, t::ipv4({"198.19.0.2", "198.19.0.11"}, 4, quoted)), {}});
  t::Ip frag;
  frag.frag_off = 16;
  s.push_back({t::ethernet({}, 0x0800, t::ipv4(frag, 17, t::pattern(64))), {}});
  t::Partial p = t::make_partial(t::tcp_frame({}, df, small));
  s.push_back({p.frame, p.vnet});
  t::Partial g = t::make_partial(t::tcp_frame({}, df, big));
  g.vnet.gso_type = 1;
  g.vnet.gso_size = 1000;
  s.push_back({g.frame, g.vnet});
  t::Partial u = t::make_partial(t::udp_frame({}, {}, {}));
  s.push_back({u.frame, u.vnet});
  // IPv6: a segment, and ICMPv6 errors quoting a whole and a cut TCP packet and an error.
  t6::Ip6 i6, back{"2001:db8::100", "2001:db8:1::10"}, router{"2001:db8:ff::1", "2001:db8::100"};
  i6.hop = 2;  // one hop left: routed, or answered once a mutation takes it
  s.push_back({t6::tcp_frame({}, i6, small, {t6::options(60)}), {}});
  Bytes q6 = t6::ipv6(back, {}, 6, t6::tcp_segment(back, small));
  Bytes cut(q6.begin(), q6.begin() + 48);
  s.push_back({t6::icmp6_frame({}, router, t6::icmp6(router, 2, 0, 1400, q6)), {}});
  s.push_back({t6::icmp6_frame({}, router, t6::icmp6(router, 1, 4, 0, cut)), {}});
  Bytes e6 = t6::ipv6(back, {}, 58, t6::icmp6(back, 3, 0, 0, cut));
  s.push_back({t6::icmp6_frame({}, router, t6::icmp6(router, 4, 0, 8, e6)), {}});
  return s;
}

void mutate(std::mt19937& rng, Bytes& f, core::VnetHdr& v) {
  int edits = 1 + int(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 8) {
      case 0: case 1: case 2:
        if (!f.empty()) f[rng() % f.size()] ^= uint8_t(1u << (rng() % 8));
        break;
      case 3:
        if (!f.empty()) f[rng() % f.size()] = uint8_t(rng());
        break;
      case 4: f.resize(rng() % (f.size() + 1)); break;
      case 5: f.resize(f.size() + rng() % 64, uint8_t(rng())); break;
      case 6: {
        uint8_t* raw = reinterpret_cast<uint8_t*>(&v);
        raw[rng() % sizeof v] = uint8_t(rng());
        break;
      }
      default:  // header-heavy: hit the first 80 bytes, where every length field lives
        if (!f.empty()) f[rng() % std::min<size_t>(80, f.size())] = uint8_t(rng());
    }
  }
}

void check_out(const core::RewriteOut& out, const uint8_t* frame, size_t len) {
  if (out.error != 0) CHECK_EQ(out.count, 0u);
  CHECK(out.count <= core::RewriteOut::MAX_FRAMES);
  for (uint32_t i = 0; i < out.count; ++i) {
    const core::OutFrame& o = out.frames[i];
    bool head_ok = o.head_len == 0 ||
                   (o.head >= out.scratch && o.head + o.head_len <= out.scratch + sizeof out.scratch);
    bool body_ok = o.body_len == 0 || (o.body >= frame && o.body + o.body_len <= frame + len);
    CHECK(head_ok);
    CHECK(body_ok);
  }
}

core::RewriteOut out;

}  // namespace

TEST(mutated_frames_through_parse_and_every_verdict) {
  const char* env = std::getenv("DIRECTOR_MUTATIONS");
  long iterations = env ? std::atol(env) : 200000;
  std::mt19937 rng(12345);
  std::vector<Seed> base = seeds();
  t::Meta m;
  long emitted = 0;
  for (long it = 0; it < iterations; ++it) {
    Seed s = base[size_t(it) % base.size()];
    mutate(rng, s.frame, s.vnet);
    // Exact-size heap buffer: the sanitizer build flags any read past the end.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[s.frame.size() + 1]);
    uint32_t len = uint32_t(s.frame.size());
    std::memcpy(buf.get(), s.frame.data(), len);
    core::FlowKey key{uint32_t(rng()), uint32_t(rng())};
    core::parse_frame(buf.get(), len, &s.vnet, key, m.w);
    if (rng() % 16 == 0) m.w[rng() % meta::WORDS] = uint32_t(rng() % 4 ? rng() % 128 : rng());
    for (uint32_t a = 0; a < uint32_t(Action::COUNT) + 1; ++a) {
      // FORWARD: every method and direction, and one past the end of each.
      uint32_t combos = a == uint32_t(Action::FORWARD) ? (uint32_t(Method::COUNT) + 1) * 3 : 1u;
      for (uint32_t k = 0; k < combos; ++k) {
        std::memcpy(buf.get(), s.frame.data(), len);
        t::Verdict v = t::forward(Method(k / 3), Direction(k % 3));
        v.set(verdict::ACTION, a);
        v.set(verdict::SRC_IP, rng() % 8 ? t::ip("198.19.1.1") : 0).set(verdict::SRC_PORT, rng() % 70000);
        v.set(verdict::DST_IP, t::ip("198.19.0.11")).set(verdict::DST_PORT, rng() % 8 ? 8080 : 0);
        bool tun4 = rng() % 2;  // IPv6 frames: 6in4 with the IPv4 tunnel words, else ip6ip6
        v.set(verdict::TUN_SRC, tun4 ? t::ip("198.19.0.2") : 0).set(verdict::TUN_DST, tun4 ? t::ip("198.19.0.11") : 0);
        for (uint32_t w = 0; w < 4; ++w) {
          v.set(verdict::SRC_IP6_0 + w, rng() % 8 ? 0x20010db8u + w : 0);
          v.set(verdict::DST_IP6_0 + w, tun4 && rng() % 2 ? 0 : 0x20010db8u + 3 * w);
        }
        v.set(verdict::MTU, rng() % 4 ? 0 : rng() % 2000);
        core::Egress eg = t::egress("02:00:00:00:00:aa", rng() % 8 ? 1500 : rng() % 3000);
        core::apply_verdict(buf.get(), len, s.vnet, m.w, v.w, eg, out);
        check_out(out, buf.get(), len);
        emitted += out.count;
      }
    }
  }
  std::printf("mutation smoke: %ld iterations, %ld frames emitted\n", iterations, emitted);
  CHECK(emitted > iterations);  // the mutations must not be so wild that nothing is rewritten
}
