// ICMP errors about a NAT or FULLNAT connection (as IPVS ip_vs_nat_icmp, extended to FULLNAT):
// the outer header is rewritten like any packet in that direction, and the quoted packet, which
// travelled the opposite way, gets the mirror image. With the verdict's SRC_IP:SRC_PORT and
// DST_IP:DST_PORT (0 = leave alone):
//   outer source      := SRC_IP            outer destination := DST_IP
//   quoted source     := DST_IP:DST_PORT   quoted destination := SRC_IP:SRC_PORT
// ICMP_NAT_IN (toward the real server) needs DST_IP; ICMP_NAT_OUT (toward the client) needs
// SRC_IP. Quoted IP checksum and (when quoted) L4 checksum updated incrementally, the outer
// TTL decremented, the ICMP checksum recomputed over the whole message.
#include "core/bytes.h"
#include "core/nat_edit.h"

namespace director::core::rw {

namespace {

struct Quoted {
  uint8_t* h;
  uint32_t ihl, n;  // header length, bytes present
  uint8_t* l4_check;  // quoted L4 checksum field, nullptr when not quoted
  bool udp, ports;
};

bool quoted_view(const Ctx& c, const Ip4& ip, Quoted& q) {
  if (ip.proto != 1 || ip.l4 == 0 || ip.end - ip.l4 < 8) return false;
  uint8_t type = c.frame[ip.l4];
  if (type != 3 && type != 11 && type != 12) return false;
  q.h = c.frame + ip.l4 + 8;
  q.n = ip.end - ip.l4 - 8;
  if (q.n < 20 || (q.h[0] >> 4) != 4) return false;
  q.ihl = (q.h[0] & 0x0f) * 4u;
  if (q.ihl < 20 || q.ihl > q.n) return false;
  bool first = (rd16(q.h + 6) & 0x1fff) == 0;
  q.udp = q.h[9] == 17;
  bool l4 = first && (q.h[9] == 6 || q.udp);
  q.ports = l4 && q.n >= q.ihl + 4;
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

RewriteError icmp_nat(Ctx& c, bool need_src, bool need_dst) {
  Ip4 ip;
  Quoted q;
  if (!ip4_view(c, ip) || !quoted_view(c, ip, q)) return RewriteError::NOT_APPLICABLE;
  const uint32_t* v = c.v;
  uint32_t src = v[verdict::SRC_IP], dst = v[verdict::DST_IP];
  if ((need_src && src == 0) || (need_dst && dst == 0)) return RewriteError::BAD_VERDICT;
  if (too_big(c, ip.end - ip.l3, c.egress.mtu)) return RewriteError::TOO_BIG;
  if (!dec_ttl(c, ip)) return RewriteError::NOT_APPLICABLE;
  if (src) {
    set_addr(c, ip, End::SRC, src);
    quoted_addr(q, End::DST, src);
    quoted_port(q, End::DST, v[verdict::SRC_PORT]);
  }
  if (dst) {
    set_addr(c, ip, End::DST, dst);
    quoted_addr(q, End::SRC, dst);
    quoted_port(q, End::SRC, v[verdict::DST_PORT]);
  }
  uint8_t* icmp = c.frame + ip.l4;
  wr16(icmp + 2, 0);
  wr16(icmp + 2, csum::compute(icmp, ip.end - ip.l4));
  set_next_hop(c, c.frame);
  if (!emit(c, VnetHdr{}, nullptr, 0, c.frame, c.len)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

}  // namespace

RewriteError icmp_nat_in(Ctx& c) { return icmp_nat(c, false, true); }

RewriteError icmp_nat_out(Ctx& c) { return icmp_nat(c, true, false); }

}  // namespace director::core::rw
