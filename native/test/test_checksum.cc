// Tests of core::csum against the reference sum: full checksums, RFC 1624 updates equal to a
// recomputation, the UDP zero rule, and the CHECKSUM_PARTIAL seed rule.
#include <random>

#include "builders.h"
#include "core/checksum.h"
#include "harness.h"

using namespace director::core;
using t::Bytes;

TEST(full_checksum_matches_reference_for_every_length) {
  std::mt19937 rng(1);
  for (uint32_t n = 0; n < 300; ++n) {
    Bytes b(n);
    for (auto& x : b) x = uint8_t(rng());
    CHECK_EQ(csum::compute(b.data(), n), t::ref_checksum(b.data(), n));
  }
}

TEST(rfc1624_update_equals_recomputation) {
  std::mt19937 rng(2);
  for (int i = 0; i < 20000; ++i) {
    Bytes b(20);
    for (auto& x : b) x = uint8_t(rng());
    if (i % 7 == 0) std::fill(b.begin(), b.end(), 0xff);  // edge: sums of all-ones words
    b[10] = b[11] = 0;
    uint16_t c = t::ref_checksum(b.data(), 20);
    t::wr16(b, 10, c);
    uint32_t old = t::rd32(b, 12), neu = rng();
    uint16_t old16 = t::rd16(b, 16), neu16 = uint16_t(rng());
    t::wr16(b, 12, neu >> 16);
    t::wr16(b, 14, neu);
    t::wr16(b, 16, neu16);
    uint16_t inc = csum::update16(csum::update32(c, old, neu), old16, neu16);
    b[10] = b[11] = 0;
    uint16_t full = t::ref_checksum(b.data(), 20);
    // One's complement has two zeros; a receiver accepts either, so compare verifications.
    t::wr16(b, 10, inc);
    CHECK_EQ(t::ref_checksum(b.data(), 20), 0);
    if (inc != full) CHECK((inc == 0 && full == 0xffff) || (inc == 0xffff && full == 0));
  }
}

TEST(udp_zero_checksum_stays_zero_and_computed_zero_becomes_ffff) {
  Bytes field{0, 0};
  csum::l4_addr(field.data(), csum::Field::UDP_FULL, 0x01020304, 0x05060708);
  CHECK_EQ(t::rd16(field, 0), 0);
  csum::l4_word(field.data(), csum::Field::UDP_FULL, 1, 2);
  CHECK_EQ(t::rd16(field, 0), 0);
  // A change that makes the updated checksum 0 must be written as 0xffff for UDP only.
  uint16_t c = 0x1234;
  uint16_t to = 0;
  for (uint32_t m = 0; m < 0x10000; ++m) {
    if (csum::update16(c, 0, uint16_t(m)) == 0) {
      to = uint16_t(m);
      break;
    }
  }
  CHECK(csum::update16(c, 0, to) == 0);
  Bytes u{0x12, 0x34}, tcp{0x12, 0x34};
  csum::l4_word(u.data(), csum::Field::UDP_FULL, 0, to);
  csum::l4_word(tcp.data(), csum::Field::FULL, 0, to);
  CHECK_EQ(t::rd16(u, 0), 0xffff);
  CHECK_EQ(t::rd16(tcp, 0), 0);
}

TEST(partial_seed_follows_addresses_and_ignores_ports) {
  for (bool udp : {false, true}) {
    CONTEXT(udp ? "udp" : "tcp");
    t::Ip a{"198.18.1.10", "198.19.0.100"}, b{"198.18.1.10", "198.19.0.11"};
    t::Tcp ts;
    ts.payload = t::pattern(77);
    t::Udp us;
    us.payload = t::pattern(77);
    Bytes fa = udp ? t::udp_frame({}, a, us) : t::tcp_frame({}, a, ts);
    us.dport = 5353;
    ts.dport = 8080;
    Bytes fb = udp ? t::udp_frame({}, b, us) : t::tcp_frame({}, b, ts);
    t::Partial pa = t::make_partial(fa), pb = t::make_partial(fb);
    size_t field = 34 + (udp ? 6 : 16);
    csum::l4_addr(pa.frame.data() + field, csum::Field::PARTIAL, t::ip(a.dst), t::ip(b.dst));
    csum::l4_word(pa.frame.data() + field, csum::Field::PARTIAL, udp ? 53 : 80, udp ? 5353 : 8080);
    CHECK_EQ(t::rd16(pa.frame, field), t::rd16(pb.frame, field));
  }
}

TEST(pseudo_header_and_fold) {
  CHECK_EQ(csum::fold(0x1ffff), 0x0001);
  CHECK_EQ(csum::fold(0xffff), 0xffff);
  uint8_t h[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0, 198, 18, 1, 10, 198, 19, 0, 100};
  CHECK_EQ(csum::fold(csum::pseudo(t::ip("198.18.1.10"), t::ip("198.19.0.100"), 6, 40)),
           uint16_t(~t::ref_checksum(nullptr, 0, t::ref_pseudo(h, 40))));
}
