// libFuzzer harness: the routed rewrites in both directions, DR, NAT in/out and FULLNAT in/out,
// on any frame (fragments, VLAN, IP options, CHECKSUM_PARTIAL and GSO vnet headers included).
// Properties, on success:
//  - one frame out; DR: the whole frame, the vnet header passed through unchanged; NAT/FULLNAT:
//    the IP datagram without Ethernet padding or trailer, the vnet header passed through
//    unless the core completed a partial TCP checksum (then an empty one, see below);
//  - DR: only the MACs differ; NAT/FULLNAT: exactly MACs, TTL - 1, the verdict's addresses and
//    (TCP/UDP first fragments) ports differ, besides the checksum fields; with SEQ_MODE
//    TRANSLATE (half the inputs) on a TCP first fragment also, from the client (IN), the
//    sequence number plus CLIENT_DELTA, the ack (ACK set) and every SACK edge minus SEQ_DELTA
//    and (SYN set) every timestamp option's bytes NOPs, from the real server (OUT), the sequence
//    number plus SEQ_DELTA, the ack (ACK set) and every SACK edge minus CLIENT_DELTA, and
//    (no SYN) the window field << and >> by the WINDOW word's shifts, capped at 65535;
//  - the IP header checksum verifies from scratch;
//  - the TCP/UDP checksum keeps its residue (oracle.h): full checksums stay correct (or exactly
//    as wrong); a UDP zero checksum stays zero and a non-zero one never becomes zero;
//    CHECKSUM_PARTIAL seeds keep their residue against the new pseudo-header, so the kernel's
//    completion of the output is correct exactly when the input's would have been; a partial
//    TCP frame the kernel would not segment leaves completed, correct exactly when its seed
//    was, and never as 0xffff (the kernel's software completion writes a zero that way);
//  - not larger than the egress MTU unless GSO;
//  - IPv6 (NAT/FULLNAT): exactly MACs, hop limit - 1, the verdict's IPv6 addresses and (TCP/UDP,
//    not a later fragment) ports differ besides the upper-layer checksum field (sequence
//    translation as above), the datagram leaves without trailer, and a full TCP/UDP/ICMPv6
//    checksum keeps its residue against the new pseudo-header; ICMPv6 errors: fuzz_icmp_nat.
// On any error: nothing out and the frame untouched.
#include <cstring>

#include "fuzz_case.h"
#include "oracle.h"

using namespace director;
using fuzz::oracle::Bytes;
namespace o = fuzz::oracle;

namespace {

constexpr fuzz::Way kWays[] = {{Method::DR, Direction::IN, false, false}, fuzz::kNatWays[0],
                               fuzz::kNatWays[1], fuzz::kNatWays[2], fuzz::kNatWays[3]};

// The options of the TCP header at t, on the expected bytes: SACK edges minus `edges`, and
// (strip) every timestamp option's bytes NOPs.
void options(Bytes& want, size_t t, uint32_t edges, bool strip) {
  size_t end = t + (want[t + 12] >> 4) * 4u;
  for (size_t i = t + 20; i < end;) {
    if (want[i] == 0) break;
    if (want[i] == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= end || want[i + 1] < 2 || i + want[i + 1] > end) break;
    size_t len = want[i + 1];
    if (want[i] == 5 && (len - 2) % 8 == 0) {
      for (size_t at = i + 2; at < i + len; at += 4) o::put32(want, at, o::be32(&want[at]) - edges);
    }
    if (want[i] == 8 && strip) std::memset(&want[i], 1, len);
    i += len;
  }
}

// The sequence translation of a TCP header at t (tcp_seq.h), on the expected bytes: each side's
// sequence number plus its delta, its ack and SACK edges minus the other side's.
void translated(const fuzz::Case& c, Bytes& want, size_t t) {
  uint32_t server = c.v[verdict::SEQ_DELTA], client = c.v[verdict::CLIENT_DELTA];
  uint32_t w = c.v[verdict::WINDOW], left = w & 0xff, right = (w >> 8) & 0xff;
  if (w != 0 && !(want[t + 13] & 0x02) && left <= 14 && right <= 14) {
    uint32_t win = (uint32_t(o::be16(&want[t + 14])) << left) >> right;
    o::put16(want, t + 14, win > 0xffff ? 0xffff : win);
  }
  bool out = c.v[verdict::DIRECTION] == uint32_t(Direction::OUT);
  uint32_t own = out ? server : client, other = out ? client : server;
  o::put32(want, t + 4, o::be32(&want[t + 4]) + own);
  if (want[t + 13] & 0x10) o::put32(want, t + 8, o::be32(&want[t + 8]) - other);
  options(want, t, other, !out && (want[t + 13] & 0x02));
}

// The expected output of a NAT-family rewrite, checksum fields taken from `got`.
Bytes expected(const fuzz::Case& c, const o::Ip& ip, bool src, bool dst, const Bytes& got) {
  Bytes want(c.orig.begin(), c.orig.begin() + long(ip.end));
  fuzz::next_hop(want, c);
  want[ip.l3 + 8] = uint8_t(want[ip.l3 + 8] - 1);
  if (src) o::put32(want, ip.l3 + 12, c.v[verdict::SRC_IP]);
  if (dst) o::put32(want, ip.l3 + 16, c.v[verdict::DST_IP]);
  if (size_t check = ip.l4_check()) {
    if (src) o::put16(want, ip.l4(), c.v[verdict::SRC_PORT]);
    if (dst) o::put16(want, ip.l4() + 2, c.v[verdict::DST_PORT]);
    bool translate = c.v[verdict::SEQ_MODE] == uint32_t(SeqMode::TRANSLATE);
    if (translate && ip.proto == o::TCP) translated(c, want, ip.l4());
    fuzz::same_field(want, got, check);
  }
  fuzz::same_field(want, got, ip.l3 + 10);
  return want;
}

void check_l4(const fuzz::Case& c, const o::Ip& ip, const Bytes& got, bool completed) {
  size_t check = ip.l4_check();
  if (!check) return;
  if (completed) {
    PROPERTY(o::be16(&got[check]) != 0xffff);  // a zero result is written 0x0000 (RFC 1624)
    PROPERTY(o::l4_residue(got, ip) == o::completed_residue(c.orig, ip));
    return;
  }
  if (c.vnet.flags & 1) {
    PROPERTY(o::seed_residue(got, ip) == o::seed_residue(c.orig, ip));
    return;
  }
  uint16_t before = o::be16(&c.orig[check]), after = o::be16(&got[check]);
  if (ip.proto == o::UDP && before == 0) {
    PROPERTY(after == 0);
    return;
  }
  if (ip.proto == o::UDP) PROPERTY(after != 0);
  PROPERTY(o::l4_residue(got, ip) == o::l4_residue(c.orig, ip));
}

void check_ok(const fuzz::Case& c, const fuzz::Way& w) {
  const fuzz::RewriteOut& out = fuzz::out();
  PROPERTY(out.count == 1);
  const fuzz::OutFrame& f = out.frames[0];
  PROPERTY(f.head_len == 0 && f.body == c.frame.get());
  Bytes got = fuzz::flat(f);
  if (w.method == Method::DR) {
    PROPERTY(f.body_len == c.len && std::memcmp(&f.vnet, &c.vnet, sizeof c.vnet) == 0);
    Bytes want = c.orig;
    fuzz::next_hop(want, c);
    PROPERTY(got == want);
    return;
  }
  o::Ip ip;
  PROPERTY(o::find_ip(c.orig, ip));
  PROPERTY(f.body_len == ip.end);  // the datagram, without Ethernet padding or trailer
  bool completed = o::core_completes(c.orig, ip, c.vnet.flags & 1, c.vnet.gso_type, c.vnet.gso_size);
  fuzz::VnetHdr none{};
  PROPERTY(std::memcmp(&f.vnet, completed ? &none : &c.vnet, sizeof c.vnet) == 0);
  PROPERTY(got == expected(c, ip, w.src, w.dst, got));
  PROPERTY(o::verifies(&got[ip.l3], ip.ihl));
  check_l4(c, ip, got, completed);
  if (c.vnet.gso_type == 0 && c.egress.mtu != 0) PROPERTY(ip.total <= c.egress.mtu);
}

// Unfolded IPv6 pseudo-header sum of the packet in f (its addresses now, upper-layer length).
uint64_t pseudo6(const Bytes& f, const o::Ip6& ip) {
  uint64_t s = ip.proto + uint64_t(ip.end - ip.upper);
  for (size_t i = ip.l3 + 8; i < ip.l3 + 40; i += 2) s += o::be16(&f[i]);
  return s;
}

// Offset of the upper-layer checksum field the rewrite keeps right, 0 when none is in the frame.
size_t check6(const o::Ip6& ip) {
  if (ip.nonfirst) return 0;
  if (ip.proto == o::TCP) return ip.upper + 16;
  if (ip.proto == o::UDP) return ip.upper + 6;
  if (ip.proto == 58) return ip.upper + 2;
  return 0;
}

void check_ok6(const fuzz::Case& c, const o::Ip6& ip, bool src, bool dst) {
  const fuzz::RewriteOut& out = fuzz::out();
  PROPERTY(out.count == 1);
  const fuzz::OutFrame& f = out.frames[0];
  PROPERTY(f.head_len == 0 && f.body == c.frame.get() && f.body_len == ip.end);
  Bytes got = fuzz::flat(f);
  Bytes want(c.orig.begin(), c.orig.begin() + long(ip.end));
  fuzz::next_hop(want, c);
  want[ip.l3 + 7] = uint8_t(want[ip.l3 + 7] - 1);
  for (size_t i = 0; i < 4; ++i) {
    if (src) o::put32(want, ip.l3 + 8 + 4 * i, c.v[verdict::SRC_IP6_0 + i]);
    if (dst) o::put32(want, ip.l3 + 24 + 4 * i, c.v[verdict::DST_IP6_0 + i]);
  }
  size_t check = check6(ip);
  if (check && (ip.proto == o::TCP || ip.proto == o::UDP)) {
    if (src) o::put16(want, ip.upper, c.v[verdict::SRC_PORT]);
    if (dst) o::put16(want, ip.upper + 2, c.v[verdict::DST_PORT]);
    if (ip.proto == o::TCP && c.v[verdict::SEQ_MODE] == uint32_t(SeqMode::TRANSLATE)) translated(c, want, ip.upper);
  }
  if (check) fuzz::same_field(want, got, check);
  PROPERTY(got == want);
  if (check && !(c.vnet.flags & 1)) {
    PROPERTY(o::residue(&got[ip.upper], ip.end - ip.upper, pseudo6(got, ip)) ==
             o::residue(&c.orig[ip.upper], ip.end - ip.upper, pseudo6(c.orig, ip)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Case c;
  if (!fuzz::decode(data, size, c)) return 0;
  const fuzz::Way w = fuzz::pick(c.v[verdict::METHOD], kWays);
  fuzz::forward(c, w);
  c.v[verdict::SEQ_MODE] &= 1;  // NONE or TRANSLATE, half each
  fuzz::run(c);
  o::Ip ip;
  if (w.method != Method::DR && o::find_ip(c.orig, ip) && o::is_icmp_error(c.orig, ip)) {
    return 0;  // NAT and FULLNAT hand ICMP errors to the quoted-packet rewrite: fuzz_icmp_nat
  }
  o::Ip6 ip6;
  bool v6 = w.method != Method::DR && o::find_ip6(c.orig, ip6);
  if (v6 && o::is_icmp6_error(c.orig, ip6)) return 0;  // the quoted-packet rewrite: fuzz_icmp_nat
  if (fuzz::out().error == 0) {
    if (v6) check_ok6(c, ip6, w.src, w.dst);
    else check_ok(c, w);
  } else {
    PROPERTY(fuzz::unchanged(c));
  }
  return 0;
}
