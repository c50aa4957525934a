// Applies one verdict to one frame: picks the action's handler, and for FORWARD the one of the
// method and direction, from fixed tables indexed by the verdict words (one choice per frame, no
// per-method branches inside the rewrites), and turns any failure into count 0 plus a RewriteError.
#include "core/rewrite_ctx.h"

namespace director::core {
namespace {

using rw::Ctx;
using rw::Handler;

RewriteError consume(Ctx&) { return RewriteError::OK; }  // DROP, HOLD: nothing leaves here
RewriteError bad_verdict(Ctx&) { return RewriteError::BAD_VERDICT; }

// One handler per method and direction; DR and TUN replies never pass through the director.
constexpr Handler kForward[][static_cast<uint32_t>(Direction::COUNT)] = {
    {rw::forward_dr, bad_verdict},          // Method::DR
    {rw::nat_in, rw::nat_out},              // Method::NAT
    {rw::forward_tun, bad_verdict},         // Method::TUN
    {rw::fnat, rw::fnat},                   // Method::FNAT
};
static_assert(sizeof(kForward) / sizeof(kForward[0]) == static_cast<uint32_t>(Method::COUNT),
              "one handler pair per Method");

RewriteError forward(Ctx& c) {
  uint32_t m = c.v[verdict::METHOD], d = c.v[verdict::DIRECTION];
  if (m >= static_cast<uint32_t>(Method::COUNT) || d >= static_cast<uint32_t>(Direction::COUNT)) {
    return RewriteError::BAD_VERDICT;
  }
  if (c.meta[meta::ERROR] != 0 || c.meta[meta::LEN] != c.len) return RewriteError::NOT_APPLICABLE;
  return kForward[m][d](c);
}

constexpr Handler kActions[] = {
    consume,                  // Action::DROP
    forward,                  // Action::FORWARD
    rw::arp_reply,            // Action::ARP_REPLY
    consume,                  // Action::HOLD (the engine copies the frame into its slot)
    rw::icmp_frag_needed,     // Action::ICMP_FRAG_NEEDED
    rw::icmp_time_exceeded,   // Action::ICMP_TIME_EXCEEDED
    rw::icmp_echo_reply,      // Action::ICMP_ECHO_REPLY
    rw::synproxy_synack,      // Action::SYNPROXY_SYNACK
    rw::synproxy_syn,         // Action::SYNPROXY_SYN
    rw::synproxy_ack,         // Action::SYNPROXY_ACK
    rw::nd_advert,            // Action::ND_ADVERT
};
static_assert(sizeof(kActions) / sizeof(kActions[0]) == static_cast<uint32_t>(Action::COUNT),
              "one handler per Action");

}  // namespace

void apply_verdict(uint8_t* frame, uint32_t len, const VnetHdr& vnet, const uint32_t* meta,
                   const uint32_t* verdict, const Egress& egress, RewriteOut& out) {
  out.count = 0;
  out.error = 0;
  uint32_t a = verdict[verdict::ACTION];
  RewriteError e = RewriteError::BAD_VERDICT;
  if (a < static_cast<uint32_t>(Action::COUNT)) {
    rw::Ctx c{frame, len, vnet, meta, verdict, egress, out, 0};
    e = kActions[a](c);
  }
  if (e != RewriteError::OK) out.count = 0;
  out.error = static_cast<uint32_t>(e);
}

}  // namespace director::core
