// ICMP errors about a NAT or FULLNAT connection (as IPVS ip_vs_nat_icmp, extended to FULLNAT):
// the outer header is rewritten like any packet in that direction, and the quoted packet, which
// travelled the opposite way, gets the mirror image. For the ends the method changes (src,
// dst; see routed() in nat_edit.h), from the verdict's SRC_IP:SRC_PORT and DST_IP:DST_PORT:
//   outer source      := SRC_IP            outer destination := DST_IP
//   quoted source     := DST_IP:DST_PORT   quoted destination := SRC_IP:SRC_PORT
// A quoted port of 0 in the verdict is left alone. A quoted TCP sequence number of a translating
// connection goes back to the sender's numbering (untranslate_quoted_seq, tcp_seq.h). Quoted IP
// checksum and (when quoted) L4 checksum updated incrementally, the outer TTL decremented, the
// ICMP checksum recomputed over the whole message.
#include "core/bytes.h"
#include "core/nat_edit.h"
#include "core/tcp_seq.h"

namespace director::core::rw {

namespace {

struct Quoted {
  uint8_t* h;
  uint32_t ihl, n;  // header length, bytes present
  uint8_t* l4_check;  // quoted L4 checksum field, nullptr when not quoted
  uint8_t* tcp;       // quoted TCP header of a first fragment (n - ihl bytes of it), else nullptr
  bool udp, ports;
};

// The quoted packet of an ICMP error (is_icmp_error), if it is usable IPv4.
bool quoted_view(const Ctx& c, const Ip4& ip, Quoted& q) {
  q.h = c.frame + ip.l4 + 8;
  q.n = ip.end - ip.l4 - 8;
  if (q.n < 20 || (q.h[0] >> 4) != 4) return false;
  q.ihl = (q.h[0] & 0x0f) * 4u;
  if (q.ihl < 20 || q.ihl > q.n) return false;
  bool first = (rd16(q.h + 6) & 0x1fff) == 0;
  q.udp = q.h[9] == 17;
  bool l4 = first && (q.h[9] == 6 || q.udp);
  q.ports = l4 && q.n >= q.ihl + 4;
  q.tcp = (l4 && !q.udp) ? q.h + q.ihl : nullptr;
  uint32_t field = q.udp ? 6 : 16;
  q.l4_check = (l4 && q.n >= q.ihl + field + 2) ? q.h + q.ihl + field : nullptr;
  return true;
}

void quoted_addr(const Quoted& q, End end, uint32_t addr) {
  uint8_t* at = q.h + (end == End::SRC ? 12 : 16);
  uint32_t old = rd32(at);
  wr32(at, addr);
  wr16(q.h + 10, csum::update32(rd16(q.h + 10), old, addr));
  if (q.l4_check) csum::l4_addr(q.l4_check, q.udp ? csum::Field::UDP_FULL : csum::Field::FULL, old, addr);
}

void quoted_port(const Quoted& q, End end, uint32_t port) {
  if (!q.ports || port == 0 || port > 0xffff) return;
  uint8_t* at = q.h + q.ihl + (end == End::SRC ? 0 : 2);
  uint16_t old = rd16(at);
  wr16(at, port);
  if (q.l4_check) {
    csum::l4_word(q.l4_check, q.udp ? csum::Field::UDP_FULL : csum::Field::FULL, old,
                  static_cast<uint16_t>(port));
  }
}

}  // namespace

RewriteError icmp_nat(Ctx& c, const Ip4& ip, bool src, bool dst) {
  Quoted q;
  if (!quoted_view(c, ip, q)) return RewriteError::NOT_APPLICABLE;
  const uint32_t* v = c.v;
  if ((src && v[verdict::SRC_IP] == 0) || (dst && v[verdict::DST_IP] == 0)) {
    return RewriteError::BAD_VERDICT;
  }
  if (too_big(c, ip.end - ip.l3, c.egress.mtu)) return RewriteError::TOO_BIG;
  if (!dec_ttl(c, ip)) return RewriteError::NOT_APPLICABLE;
  if (src) {
    set_addr(c, ip, End::SRC, v[verdict::SRC_IP]);
    quoted_addr(q, End::DST, v[verdict::SRC_IP]);
    quoted_port(q, End::DST, v[verdict::SRC_PORT]);
  }
  if (dst) {
    set_addr(c, ip, End::DST, v[verdict::DST_IP]);
    quoted_addr(q, End::SRC, v[verdict::DST_IP]);
    quoted_port(q, End::SRC, v[verdict::DST_PORT]);
  }
  if (q.tcp) untranslate_quoted_seq(c, q.tcp, q.n - q.ihl, q.l4_check);
  uint8_t* icmp = c.frame + ip.l4;
  wr16(icmp + 2, 0);
  wr16(icmp + 2, csum::compute(icmp, ip.end - ip.l4));
  set_next_hop(c, c.frame);
  if (!emit(c, VnetHdr{}, nullptr, 0, c.frame, c.len)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace director::core::rw
