// ICMPv6 errors about a NAT or FULLNAT connection (as IPVS ip_vs_nat_icmp_v6, extended to
// FULLNAT): the rule of rewrite_icmp_nat.cc with IPv6 addresses. For the ends the method changes,
// from the verdict's SRC_IP6:SRC_PORT and DST_IP6:DST_PORT:
//   outer source      := SRC_IP6           outer destination  := DST_IP6
//   quoted source     := DST_IP6:DST_PORT  quoted destination := SRC_IP6:SRC_PORT
// The quote may be cut anywhere (RFC 4443 quotes as much as fits 1280 bytes): its addresses are
// rewritten when all 40 bytes of its fixed header are there, its ports and its TCP, UDP or
// ICMPv6 checksum only when quoted, and nothing is read past the message; a quoted TCP sequence
// number of a translating connection goes back to the sender's numbering when its 4 bytes are
// quoted (untranslate_quoted_seq, tcp_seq.h). The quoted checksum is updated incrementally (a
// quoted packet's checksum covers bytes the quote may lack), the outer hop limit decremented and
// the ICMPv6 checksum recomputed over the new pseudo-header and the whole message.
#include "core/bytes.h"
#include "core/nat_edit.h"
#include "core/parse_parts.h"
#include "core/tcp_seq.h"

namespace director::core::rw {

namespace {

constexpr uint8_t IP_TCP = 6, IP_UDP = 17, IP_ICMPV6 = 58;

struct Quoted6 {
  uint8_t* h;
  uint8_t* l4_check;  // quoted L4 checksum field, nullptr when not quoted
  csum::Field kind;
  uint8_t* ports;     // quoted TCP/UDP ports, nullptr when not quoted
  uint8_t* tcp;       // quoted TCP header of a first fragment (tcp_n bytes of it), else nullptr
  uint32_t tcp_n;
};

// The quoted packet of an ICMPv6 error, if it is IPv6 whose header chain the quote holds (the
// same test parse applies before it fills INNER_*).
bool quoted_view6(const Ctx& c, const Ip4& ip, Quoted6& q) {
  q.h = c.frame + ip.l4 + 8;
  uint32_t n = ip.end - ip.l4 - 8;
  if (n < 40 || (q.h[0] >> 4) != 6) return false;
  parse::Chain chain;
  if (parse::walk_chain(q.h, n, chain, true) != 0 || chain.proto == 0) return false;
  q.l4_check = q.ports = q.tcp = nullptr;
  q.tcp_n = 0;
  q.kind = csum::Field::FULL;
  if (chain.nonfirst) return true;
  uint32_t l4 = chain.upper, field = 0;
  if (chain.proto == IP_TCP) field = 16;
  if (chain.proto == IP_UDP) field = 6, q.kind = csum::Field::UDP_FULL;
  if (chain.proto == IP_ICMPV6) field = 2;
  if (field != 0 && n >= l4 + field + 2) q.l4_check = q.h + l4 + field;
  if ((chain.proto == IP_TCP || chain.proto == IP_UDP) && n >= l4 + 4) q.ports = q.h + l4;
  if (chain.proto == IP_TCP && n >= l4) q.tcp = q.h + l4, q.tcp_n = n - l4;
  return true;
}

void quoted_addr6(const Quoted6& q, End end, const uint8_t* addr) {
  uint8_t* at = q.h + (end == End::SRC ? 8 : 24);
  uint8_t old[16];
  for (int i = 0; i < 16; ++i) old[i] = at[i];
  for (int i = 0; i < 16; ++i) at[i] = addr[i];
  if (q.l4_check) csum::l4_addr6(q.l4_check, q.kind, old, addr);
}

void quoted_port6(const Quoted6& q, End end, uint32_t port) {
  if (!q.ports || port == 0 || port > 0xffff) return;
  uint8_t* at = q.ports + (end == End::SRC ? 0 : 2);
  uint16_t old = rd16(at);
  wr16(at, port);
  if (q.l4_check) csum::l4_word(q.l4_check, q.kind, old, static_cast<uint16_t>(port));
}

}  // namespace

RewriteError icmp6_nat(Ctx& c, const Ip4& ip, bool src, bool dst) {
  Quoted6 q;
  if (!quoted_view6(c, ip, q)) return RewriteError::NOT_APPLICABLE;
  uint8_t new_src[16], new_dst[16];
  bool have_src = verdict_addr6(c, verdict::SRC_IP6_0, new_src);
  bool have_dst = verdict_addr6(c, verdict::DST_IP6_0, new_dst);
  if ((src && !have_src) || (dst && !have_dst)) return RewriteError::BAD_VERDICT;
  if (c.vnet.gso_type != 0) return RewriteError::NOT_APPLICABLE;  // no ICMPv6 message is GSO
  if (too_big(c, ip.end - ip.l3, c.egress.mtu)) return RewriteError::TOO_BIG;
  uint8_t* h = c.frame + ip.l3;
  if (h[7] <= 1) return RewriteError::NOT_APPLICABLE;  // no error is answered about an error
  h[7] = static_cast<uint8_t>(h[7] - 1);
  if (src) {
    set_addr6(c, ip, End::SRC, new_src);
    quoted_addr6(q, End::DST, new_src);
    quoted_port6(q, End::DST, c.v[verdict::SRC_PORT]);
  }
  if (dst) {
    set_addr6(c, ip, End::DST, new_dst);
    quoted_addr6(q, End::SRC, new_dst);
    quoted_port6(q, End::SRC, c.v[verdict::DST_PORT]);
  }
  if (q.tcp) untranslate_quoted_seq(c, q.tcp, q.tcp_n, q.l4_check);
  uint8_t* icmp = c.frame + ip.l4;
  uint32_t n = ip.end - ip.l4;
  wr16(icmp + 2, 0);
  wr16(icmp + 2, csum::compute(icmp, n, csum::pseudo6(h + 8, h + 24, IP_ICMPV6, n)));
  set_next_hop(c, c.frame);
  if (!emit(c, VnetHdr{}, nullptr, 0, c.frame, ip.end)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace director::core::rw
