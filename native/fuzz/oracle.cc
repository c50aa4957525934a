// The harnesses' independent view of a frame (oracle.h); sums come from native/test's reference.
#include "oracle.h"

#include "../test/builders.h"

namespace fuzz::oracle {

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(be16(p)) << 16 | be16(p + 2); }

void put16(Bytes& b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}

void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, v >> 16);
  put16(b, at + 2, v);
}

uint16_t residue(const uint8_t* p, size_t n, uint64_t extra) {
  // ref_checksum is ~fold(sum); folding extra first keeps it within its 32-bit argument.
  while (extra >> 16) extra = (extra & 0xffff) + (extra >> 16);
  return uint16_t(uint16_t(~t::ref_checksum(p, n, uint32_t(extra))) % 0xffff);
}

bool verifies(const uint8_t* p, size_t n, uint64_t extra) {
  while (extra >> 16) extra = (extra & 0xffff) + (extra >> 16);
  return t::ref_checksum(p, n, uint32_t(extra)) == 0;
}

size_t Ip::l4_check() const {
  if (nonfirst()) return 0;
  if (proto == TCP && end >= l4() + 20) return l4() + 16;
  if (proto == UDP && end >= l4() + 8) return l4() + 6;
  return 0;
}

bool find_ip(const Bytes& f, Ip& ip) {
  if (f.size() < 14) return false;
  ip.l3 = (f.size() >= 18 && be16(&f[12]) == 0x8100) ? 18 : 14;
  if (be16(&f[ip.l3 - 2]) != 0x0800 || f.size() < ip.l3 + 20) return false;
  const uint8_t* h = &f[ip.l3];
  ip.ihl = (h[0] & 0x0f) * 4u;
  ip.total = be16(h + 2);
  if ((h[0] >> 4) != 4 || ip.ihl < 20 || ip.total < ip.ihl || ip.l3 + ip.total > f.size()) return false;
  ip.end = ip.l3 + ip.total;
  ip.proto = h[9];
  ip.frag = be16(h + 6);
  return true;
}

// The chain walk of find_ip6 over f[at..end) whose fixed header starts at l3; `partial` (a
// quote) skips the ragged-fragment rule. False on any rule broken or a header past end.
static bool walk6(const Bytes& f, size_t l3, size_t end, bool partial, Ip6& ip) {
  int hop = 0, routing = 0, frag = 0, dest = 0;
  uint8_t nh = f[l3 + 6];
  size_t at = l3 + 40;
  for (;;) {
    if (nh == 50 || nh == 51 || nh == 135 || nh == 139 || nh == 140 || nh == 253 || nh == 254) return false;
    if (nh != 0 && nh != 43 && nh != 44 && nh != 60) break;
    if (nh == 0 && (at != l3 + 40 || ++hop > 1)) return false;
    if ((nh == 43 && ++routing > 1) || (nh == 44 && ++frag > 1) || (nh == 60 && ++dest > 2)) return false;
    if (at + 8 > end) return false;
    size_t len = nh == 44 ? 8 : (f[at + 1] + 1u) * 8u;
    if (at + len > end) return false;
    if (nh == 44) {
      uint16_t off = be16(&f[at + 2]);
      if (!partial && (off & 1) && (end - at - 8) % 8 != 0) return false;
      if (off & 0xfff8) {
        ip.nonfirst = true;
        ip.upper = at + 8;
        ip.proto = f[at];
        return true;
      }
    }
    nh = f[at];
    at += len;
  }
  ip.upper = at;
  ip.proto = nh;
  return true;
}

bool find_ip6(const Bytes& f, Ip6& ip) {
  if (f.size() < 14) return false;
  ip.l3 = (f.size() >= 18 && be16(&f[12]) == 0x8100) ? 18 : 14;
  if (be16(&f[ip.l3 - 2]) != 0x86dd || f.size() < ip.l3 + 40) return false;
  const uint8_t* h = &f[ip.l3];
  ip.end = ip.l3 + 40 + be16(h + 4);
  if ((h[0] >> 4) != 6 || ip.end > f.size()) return false;
  return walk6(f, ip.l3, ip.end, false, ip);
}

bool is_icmp6_error(const Bytes& f, const Ip6& ip) {
  return ip.proto == 58 && !ip.nonfirst && ip.end >= ip.upper + 8 && f[ip.upper] >= 1 && f[ip.upper] <= 4;
}

bool find_quote6(const Bytes& f, const Ip6& ip, Quote6& q) {
  if (!is_icmp6_error(f, ip)) return false;
  q.ip.l3 = ip.upper + 8;
  q.ip.end = ip.end;
  if (q.ip.end < q.ip.l3 + 40 || (f[q.ip.l3] >> 4) != 6 || !walk6(f, q.ip.l3, q.ip.end, true, q.ip)) return false;
  const Ip6& in = q.ip;
  bool l4 = !in.nonfirst && (in.proto == TCP || in.proto == UDP);
  q.ports = l4 && in.end >= in.upper + 4;
  q.seq = (l4 && in.proto == TCP && in.end >= in.upper + 8) ? in.upper + 4 : 0;
  size_t field = in.proto == TCP ? 16 : in.proto == UDP ? 6 : in.proto == 58 ? 2 : 0;
  q.check = (!in.nonfirst && field && in.end >= in.upper + field + 2) ? in.upper + field : 0;
  return true;
}

uint16_t quote6_residue(const Bytes& f, const Quote6& q) {
  uint64_t s = 0;
  for (size_t i = 8; i < 40; i += 2) s += be16(&f[q.ip.l3 + i]);
  if (q.ports) s += be16(&f[q.ip.upper]) + be16(&f[q.ip.upper + 2]);
  if (q.seq) s += be16(&f[q.seq]) + be16(&f[q.seq + 2]);
  if (q.check) s += be16(&f[q.check]);
  return residue(nullptr, 0, s);
}

uint64_t pseudo(const Bytes& f, const Ip& ip) {
  return t::ref_pseudo(&f[ip.l3], uint32_t(ip.total - ip.ihl));
}

uint16_t l4_residue(const Bytes& f, const Ip& ip) {
  return residue(&f[ip.l4()], ip.end - ip.l4(), pseudo(f, ip));
}

uint16_t seed_residue(const Bytes& f, const Ip& ip) {
  uint16_t seed = be16(&f[ip.l4_check()]);
  uint16_t ps = residue(nullptr, 0, pseudo(f, ip));
  return residue(nullptr, 0, uint64_t(seed) + uint16_t(~ps));
}

bool core_completes(const Bytes& f, const Ip& ip, bool partial, uint8_t gso_type, uint16_t gso_size) {
  if (!partial || ip.proto != TCP || ip.l4_check() == 0) return false;
  size_t payload = ip.end - ip.l4() - (f[ip.l4() + 12] >> 4) * 4u;
  return gso_type == 0 || payload <= gso_size;
}

uint16_t completed_residue(const Bytes& f, const Ip& ip) {
  uint16_t r = seed_residue(f, ip);
  return r == 0 ? 0 : uint16_t(0xffff - r);
}

bool is_icmp_error(const Bytes& f, const Ip& ip) {
  if (ip.proto != ICMP || ip.nonfirst() || ip.end < ip.l4() + 8) return false;
  uint8_t type = f[ip.l4()];
  return type == 3 || type == 11 || type == 12;
}

bool find_quote(const Bytes& f, const Ip& ip, Quote& q) {
  if (!is_icmp_error(f, ip)) return false;
  q.at = ip.l4() + 8;
  q.n = ip.end - q.at;
  if (q.n < 20 || (f[q.at] >> 4) != 4) return false;
  q.ihl = (f[q.at] & 0x0f) * 4u;
  if (q.ihl < 20 || q.ihl > q.n) return false;
  q.proto = f[q.at + 9];
  bool first = (be16(&f[q.at + 6]) & 0x1fff) == 0;
  bool l4 = first && (q.proto == TCP || q.proto == UDP);
  q.ports = l4 && q.n >= q.ihl + 4;
  q.seq = (l4 && q.proto == TCP && q.n >= q.ihl + 8) ? q.at + q.ihl + 4 : 0;
  size_t field = q.proto == UDP ? 6 : 16;
  q.check = (l4 && q.n >= q.ihl + field + 2) ? q.at + q.ihl + field : 0;
  return true;
}

uint16_t quote_residue(const Bytes& f, const Quote& q) {
  uint64_t s = 0;
  for (size_t i = 12; i < 20; i += 2) s += be16(&f[q.at + i]);
  if (q.ports) s += be16(&f[q.at + q.ihl]) + be16(&f[q.at + q.ihl + 2]);
  if (q.seq) s += be16(&f[q.seq]) + be16(&f[q.seq + 2]);
  if (q.check) s += be16(&f[q.check]);
  return residue(nullptr, 0, s);
}

}  // namespace fuzz::oracle
