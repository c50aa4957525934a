// Golden tests of the verdict dispatcher, DR forwarding and ARP replies: each case builds the
// input and the expected output with the test builders and compares bytes.
#include <cstring>

#include "builders.h"
#include "harness.h"

using namespace director;
using t::Bytes;

namespace {

core::RewriteOut out;  // large: one static instance, as the engine preallocates it

const core::VnetHdr kPlain{};

uint32_t run(Bytes& f, const t::Verdict& v, const core::VnetHdr& vnet = kPlain,
             const core::Egress& eg = t::egress()) {
  t::Meta m = t::parse(f, &vnet);
  core::apply_verdict(f.data(), uint32_t(f.size()), vnet, m.w, v.w, eg, out);
  return out.error;
}

t::Verdict action(Action a) { return t::Verdict().set(verdict::ACTION, uint32_t(a)); }

}  // namespace

TEST(drop_and_hold_send_nothing) {
  for (Action a : {Action::DROP, Action::HOLD}) {
    Bytes f = t::tcp_frame({}, {}, {});
    Bytes before = f;
    CHECK_EQ(run(f, action(a)), 0u);
    CHECK_EQ(out.count, 0u);
    CHECK(f == before);
  }
}

TEST(unknown_action_method_or_direction_is_bad_verdict) {
  Bytes f = t::tcp_frame({}, {}, {});
  CHECK_EQ(run(f, action(Action::COUNT)), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(out.count, 0u);
  CHECK_EQ(run(f, action(Action(0xffffffffu))), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(run(f, t::forward(Method::COUNT)), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(out.count, 0u);
  CHECK_EQ(run(f, t::forward(Method::DR, Direction::COUNT)), uint32_t(RewriteError::BAD_VERDICT));
}

TEST(dr_and_tun_have_no_out_direction) {
  // Their replies go from the real server straight to the client, never through the director.
  Bytes f = t::tcp_frame({}, {}, {});
  CHECK_EQ(run(f, t::forward(Method::DR, Direction::OUT)), uint32_t(RewriteError::BAD_VERDICT));
  t::Verdict tun = t::forward(Method::TUN, Direction::OUT);
  tun.set(verdict::TUN_SRC, t::ip("198.19.0.2")).set(verdict::TUN_DST, t::ip("198.19.0.11"));
  CHECK_EQ(run(f, tun), uint32_t(RewriteError::BAD_VERDICT));
  CHECK_EQ(out.count, 0u);
}

TEST(forward_of_a_malformed_frame_is_not_applicable) {
  t::Ip i;
  i.checksum = 1;
  Bytes f = t::tcp_frame({}, i, {});
  CHECK_EQ(run(f, t::forward(Method::DR)), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(out.count, 0u);
}

TEST(dr_rewrites_only_the_macs) {
  struct Case { const char* what; t::Eth eth; bool partial; };
  Case cases[] = {{"plain", {}, false}, {"vlan", {"02:00:00:00:00:02", "02:00:00:00:00:01", 5}, false},
                  {"partial", {}, true}};
  for (const Case& c : cases) {
    CONTEXT(c.what);
    t::Tcp s;
    s.payload = t::pattern(300);
    Bytes f = t::tcp_frame(c.eth, {"198.18.1.10", "198.19.0.100"}, s);
    core::VnetHdr vnet{};
    if (c.partial) {
      t::Partial p = t::make_partial(f);
      f = p.frame;
      vnet = p.vnet;
    }
    t::Eth want_eth = c.eth;
    want_eth.dst = "02:00:00:00:00:11";
    want_eth.src = "02:00:00:00:00:aa";
    Bytes want = t::tcp_frame(want_eth, {"198.18.1.10", "198.19.0.100"}, s);
    if (c.partial) want = t::make_partial(want).frame;
    CHECK_EQ(run(f, t::forward(Method::DR), vnet), 0u);
    CHECK_EQ(out.count, 1u);
    CHECK(t::flat(out.frames[0]) == want);
    CHECK(std::memcmp(&out.frames[0].vnet, &vnet, sizeof vnet) == 0);
  }
}

TEST(dr_passes_gso_frames_and_refuses_oversized_plain_ones) {
  t::Tcp s;
  s.payload = t::pattern(3000);
  Bytes f = t::tcp_frame({}, {}, s);
  t::Partial p = t::make_partial(f);
  p.vnet.gso_type = 1;
  p.vnet.gso_size = 1448;
  CHECK_EQ(run(p.frame, t::forward(Method::DR), p.vnet), 0u);
  CHECK_EQ(out.count, 1u);
  CHECK_EQ(out.frames[0].vnet.gso_size, 1448);
  CHECK_EQ(run(f, t::forward(Method::DR)), uint32_t(RewriteError::TOO_BIG));
  CHECK_EQ(out.count, 0u);
}

TEST(arp_reply_answers_the_requester_from_the_port_mac) {
  for (int vlan : {-1, 9}) {
    CONTEXT("vlan " + std::to_string(vlan));
    Bytes f = t::arp_frame({"ff:ff:ff:ff:ff:ff", "02:00:00:00:00:05", vlan}, 1, "02:00:00:00:00:05",
                           "198.19.0.1", "00:00:00:00:00:00", "198.19.0.100");
    f.resize(f.size() + 18, 0);  // Ethernet padding stays as it was
    Bytes want = t::arp_frame({"02:00:00:00:00:05", "02:00:00:00:00:aa", vlan}, 2, "02:00:00:00:00:aa",
                              "198.19.0.100", "02:00:00:00:00:05", "198.19.0.1");
    want.resize(want.size() + 18, 0);
    core::VnetHdr odd{};
    odd.flags = 1;  // a reply never inherits offload flags
    CHECK_EQ(run(f, action(Action::ARP_REPLY), odd), 0u);
    CHECK_EQ(out.count, 1u);
    CHECK(t::flat(out.frames[0]) == want);
    CHECK_EQ(out.frames[0].vnet.flags, 0);
  }
}

TEST(arp_reply_refuses_replies_and_non_arp) {
  Bytes rep = t::arp_frame({}, 2, "02:00:00:00:00:05", "198.19.0.1", "02:00:00:00:00:aa", "198.19.0.100");
  CHECK_EQ(run(rep, action(Action::ARP_REPLY)), uint32_t(RewriteError::NOT_APPLICABLE));
  Bytes tcp = t::tcp_frame({}, {}, {});
  CHECK_EQ(run(tcp, action(Action::ARP_REPLY)), uint32_t(RewriteError::NOT_APPLICABLE));
  CHECK_EQ(out.count, 0u);
}

TEST(rewrite_rejects_meta_that_disagrees_with_the_frame) {
  Bytes f = t::tcp_frame({}, {}, {});
  t::Meta m = t::parse(f);
  m.w[meta::L4_OFF] = 40;  // TypeScript can write meta; the core must not trust it
  t::Verdict v = t::forward(Method::NAT);
  v.set(verdict::DST_IP, t::ip("198.19.0.11")).set(verdict::DST_PORT, 8080);
  core::apply_verdict(f.data(), uint32_t(f.size()), kPlain, m.w, v.w, t::egress(), out);
  CHECK_EQ(out.error, uint32_t(RewriteError::NOT_APPLICABLE));
  m = t::parse(f);
  m.w[meta::LEN] = 9999;
  core::apply_verdict(f.data(), uint32_t(f.size()), kPlain, m.w, v.w, t::egress(), out);
  CHECK_EQ(out.error, uint32_t(RewriteError::NOT_APPLICABLE));
}
