// libFuzzer harness: the frames the director answers with itself, ARP reply, ICMP echo reply,
// and the ICMP errors it originates (fragmentation needed, time exceeded). Properties, on
// success, one frame out with an empty vnet header, and:
//  - ARP reply: same length; Ethernet to the requester from the egress MAC; opcode 2; sender :=
//    egress MAC + the asked address; target := the requester's MAC + address; nothing else;
//  - echo reply: the IP packet without Ethernet padding; MACs turned around (source := egress);
//    addresses swapped, TTL 64, type 0; IP header verifies from scratch; the ICMP checksum keeps
//    its residue (a correct request gets a correct reply); nothing else changes;
//  - frag-needed / time-exceeded: head (Ethernet back to the sender + IPv4 + ICMP header) and a
//    body quoting the offending IP packet from its start; total = 28 + quote, at most 576 and
//    the egress MTU, quoting all of the packet when it fits; from the egress address to the
//    sender; both checksums verify from scratch; type/code and the MTU as asked; never about an
//    ICMP error, a non-first fragment or a non-unicast address. The input frame is unchanged;
//  - on IPv6 frames, Packet Too Big / Time Exceeded: head (Ethernet back to the sender + IPv6 +
//    ICMPv6 header), body quoting the packet from its start, at most 1280 bytes and the egress
//    MTU in all, all of it when it fits; version 6, traffic class and flow label 0, hop limit
//    64, from the verdict's SRC_IP6 (else the packet's destination) to its source, both unicast;
//    the ICMPv6 checksum verifies from scratch; type 2 with max(MTU, 1280) (never about a later
//    fragment) or type 3 code 0; never about an ICMPv6 error (type < 128) or redirect;
//  - neighbour advertisement (ND_ADVERT, the verdict's target set to the frame's when it holds
//    one): only for a solicitation with hop limit 255, code 0, no extension headers, the
//    verdict's target, not multicast; a 32-byte NA from the egress MAC, the VLAN tag kept, hop
//    limit 255, from the target to the soliciter (to ff02::1 and 33:33:00:00:00:01 when it came
//    from ::, else to its first source link-layer option's MAC or its Ethernet source), Override
//    set, Solicited unless from ::, the target and a target link-layer option with the egress
//    MAC; its checksum verifies from scratch.
#include <cstring>

#include "fuzz_case.h"
#include "oracle.h"

using namespace director;
using fuzz::oracle::Bytes;
namespace o = fuzz::oracle;

namespace {

constexpr Action kActions[] = {Action::ARP_REPLY, Action::ICMP_ECHO_REPLY, Action::ICMP_FRAG_NEEDED,
                               Action::ICMP_TIME_EXCEEDED, Action::ND_ADVERT};

bool zero16(const uint8_t* p) {
  for (int i = 0; i < 16; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// The MAC of the first source link-layer option of the NS at l4 (n bytes), or nullptr.
const uint8_t* first_slla(const Bytes& f, size_t l4, size_t n) {
  for (size_t at = 24; at + 8 <= n && f[l4 + at + 1] != 0; at += f[l4 + at + 1] * 8u) {
    if (f[l4 + at] == 1 && f[l4 + at + 1] == 1) return &f[l4 + at + 2];
  }
  return nullptr;
}

void check_nd(const fuzz::Case& c, const fuzz::OutFrame& f) {
  o::Ip6 ip;
  PROPERTY(o::find_ip6(c.orig, ip) && ip.upper == ip.l3 + 40 && ip.proto == 58);
  const uint8_t* h = &c.orig[ip.l3];
  const uint8_t* ns = &c.orig[ip.upper];
  PROPERTY(ip.end - ip.upper >= 24 && h[7] == 255 && ns[0] == 135 && ns[1] == 0 && ns[8] != 0xff);
  Bytes want_target(16);
  for (size_t i = 0; i < 4; ++i) o::put32(want_target, 4 * i, c.v[verdict::SRC_IP6_0 + i]);
  const uint8_t* target = want_target.data();
  PROPERTY(std::memcmp(ns + 8, target, 16) == 0);
  PROPERTY(f.head_len == ip.l3 + 72 && f.body_len == 0);
  Bytes got = fuzz::flat(f);
  bool dad = zero16(h + 8);
  static const uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
  const uint8_t* slla = first_slla(c.orig, ip.upper, ip.end - ip.upper);
  const uint8_t* to = dad ? kAllNodesMac : slla ? slla : &c.orig[6];
  PROPERTY(!dad || slla == nullptr);
  PROPERTY(std::memcmp(got.data(), to, 6) == 0 && std::memcmp(&got[6], c.egress.mac, 6) == 0);
  PROPERTY(std::memcmp(&got[12], &c.orig[12], ip.l3 - 12) == 0);
  const uint8_t* r = &got[ip.l3];
  PROPERTY(o::be32(r) == 0x60000000u && o::be16(r + 4) == 32 && r[6] == 58 && r[7] == 255);
  static const uint8_t kAllNodes[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  PROPERTY(std::memcmp(r + 8, target, 16) == 0 && std::memcmp(r + 24, dad ? kAllNodes : h + 8, 16) == 0);
  const uint8_t* na = r + 40;
  PROPERTY(na[0] == 136 && na[1] == 0 && na[4] == (dad ? 0x20 : 0x60) && na[5] == 0 && na[6] == 0 && na[7] == 0);
  PROPERTY(std::memcmp(na + 8, target, 16) == 0 && na[24] == 2 && na[25] == 1 && std::memcmp(na + 26, c.egress.mac, 6) == 0);
  uint64_t ps = 58 + 32;
  for (size_t i = 8; i < 40; i += 2) ps += o::be16(r + i);
  PROPERTY(o::verifies(na, 32, ps));
}

void turn_around(Bytes& want, const Bytes& orig, const fuzz::Case& c) {
  std::memcpy(want.data(), orig.data() + 6, 6);
  std::memcpy(want.data() + 6, c.egress.mac, 6);
}

void check_arp(const fuzz::Case& c, const Bytes& got) {
  PROPERTY(got.size() == c.len);
  size_t a = (o::be16(&c.orig[12]) == 0x8100) ? 18 : 14;
  Bytes want = c.orig;
  std::memcpy(want.data(), &c.orig[a + 8], 6);
  std::memcpy(want.data() + 6, c.egress.mac, 6);
  o::put16(want, a + 6, 2);
  std::memcpy(&want[a + 8], c.egress.mac, 6);
  std::memcpy(&want[a + 14], &c.orig[a + 24], 4);
  std::memcpy(&want[a + 18], &c.orig[a + 8], 6);
  std::memcpy(&want[a + 24], &c.orig[a + 14], 4);
  PROPERTY(got == want);
}

// An IPv6 echo reply: addresses swapped, hop limit 64, type 129, nothing else but the checksum,
// which must verify over the swapped pseudo-header (the same sum: the addresses only traded places).
void check_echo6(const fuzz::Case& c, const Bytes& got, const o::Ip6& ip) {
  PROPERTY(ip.upper == ip.l3 + 40 && ip.proto == 58 && got.size() == ip.end);
  Bytes want(c.orig.begin(), c.orig.begin() + long(ip.end));
  turn_around(want, c.orig, c);
  std::memcpy(&want[ip.l3 + 8], &c.orig[ip.l3 + 24], 16);
  std::memcpy(&want[ip.l3 + 24], &c.orig[ip.l3 + 8], 16);
  want[ip.l3 + 7] = 64;
  want[ip.upper] = 129;
  fuzz::same_field(want, got, ip.upper + 2);
  PROPERTY(got == want);
  PROPERTY(c.orig[ip.upper] == 128 && c.orig[ip.upper + 1] == 0);
  uint64_t ps = 58 + (ip.end - ip.upper);
  for (size_t i = ip.l3 + 8; i < ip.l3 + 40; i += 2) ps += o::be16(&got[i]);
  uint64_t was = 58 + (ip.end - ip.upper);
  for (size_t i = ip.l3 + 8; i < ip.l3 + 40; i += 2) was += o::be16(&c.orig[i]);
  // The type moved 128 -> 129 in the high byte: the checksum follows it, whatever it was before.
  PROPERTY(o::verifies(&got[ip.upper], ip.end - ip.upper, ps) == o::verifies(&c.orig[ip.upper], ip.end - ip.upper, was));
}

void check_echo(const fuzz::Case& c, const Bytes& got) {
  o::Ip6 ip6;
  if (o::find_ip6(c.orig, ip6)) {
    check_echo6(c, got, ip6);
    return;
  }
  o::Ip ip;
  PROPERTY(o::find_ip(c.orig, ip) && got.size() == ip.end);
  Bytes want(c.orig.begin(), c.orig.begin() + long(ip.end));
  turn_around(want, c.orig, c);
  std::memcpy(&want[ip.l3 + 12], &c.orig[ip.l3 + 16], 4);
  std::memcpy(&want[ip.l3 + 16], &c.orig[ip.l3 + 12], 4);
  want[ip.l3 + 8] = 64;
  want[ip.l4()] = 0;
  fuzz::same_field(want, got, ip.l3 + 10);
  fuzz::same_field(want, got, ip.l4() + 2);
  PROPERTY(got == want);
  PROPERTY(o::verifies(&got[ip.l3], ip.ihl));
  PROPERTY(o::residue(&got[ip.l4()], ip.end - ip.l4()) == o::residue(&c.orig[ip.l4()], ip.end - ip.l4()));
}

bool unicast(uint32_t a) { return a != 0 && a != 0xffffffffu && (a >> 24) != 127 && (a >> 24) < 224; }

void check_icmp_error(const fuzz::Case& c, Action a, const fuzz::OutFrame& f) {
  o::Ip ip;
  PROPERTY(o::find_ip(c.orig, ip) && !ip.nonfirst());
  const uint8_t* h = &c.orig[ip.l3];
  PROPERTY(unicast(o::be32(h + 12)) && unicast(o::be32(h + 16)));
  if (ip.proto == o::ICMP) {
    uint8_t type = c.orig[ip.l4()];
    PROPERTY(type != 3 && type != 4 && type != 5 && type != 11 && type != 12);
  }
  uint32_t limit = (c.egress.mtu != 0 && c.egress.mtu < 576) ? c.egress.mtu : 576;
  PROPERTY(f.head_len == ip.l3 + 28 && f.body == c.frame.get() + ip.l3);
  PROPERTY(f.body_len == (ip.total < limit - 28 ? ip.total : limit - 28));
  Bytes got = fuzz::flat(f);
  Bytes want_l2(c.orig.begin(), c.orig.begin() + long(ip.l3));
  turn_around(want_l2, c.orig, c);
  PROPERTY(std::memcmp(got.data(), want_l2.data(), ip.l3) == 0);
  const uint8_t* r = &got[ip.l3];
  PROPERTY(r[0] == 0x45 && r[9] == 1 && o::be16(r + 2) == 28 + f.body_len && o::be16(r + 2) <= limit);
  PROPERTY(o::be32(r + 12) == c.egress.ip && o::be32(r + 16) == o::be32(h + 12));
  PROPERTY(o::verifies(r, 20) && o::verifies(r + 20, 8 + f.body_len));
  uint32_t mtu = c.v[verdict::MTU] ? c.v[verdict::MTU] : c.egress.mtu;
  if (a == Action::ICMP_FRAG_NEEDED) PROPERTY(r[20] == 3 && r[21] == 4 && o::be32(r + 24) == mtu);
  else PROPERTY(r[20] == 11 && r[21] == 0 && o::be32(r + 24) == 0);
}

bool unicast6(const uint8_t* a) {
  if (a[0] == 0xff) return false;
  for (int i = 0; i < 15; ++i) {
    if (a[i] != 0) return true;
  }
  return a[15] > 1;
}

void check_icmp6_error(const fuzz::Case& c, Action a, const fuzz::OutFrame& f, const o::Ip6& ip) {
  bool ptb = a == Action::ICMP_FRAG_NEEDED;
  PROPERTY(!(ptb && ip.nonfirst));
  if (ip.proto == 58) PROPERTY(!ip.nonfirst && ip.end >= ip.upper + 8 && c.orig[ip.upper] >= 128 && c.orig[ip.upper] != 137);
  const uint8_t* h = &c.orig[ip.l3];
  uint8_t src[16];
  bool any = false;
  for (size_t i = 0; i < 4; ++i) {
    uint32_t w = c.v[verdict::SRC_IP6_0 + i];
    any = any || w != 0;
    src[4 * i] = uint8_t(w >> 24), src[4 * i + 1] = uint8_t(w >> 16), src[4 * i + 2] = uint8_t(w >> 8), src[4 * i + 3] = uint8_t(w);
  }
  if (!any) std::memcpy(src, h + 24, 16);
  PROPERTY(unicast6(src) && unicast6(h + 8));
  uint32_t limit = (c.egress.mtu != 0 && c.egress.mtu < 1280) ? c.egress.mtu : 1280;
  size_t total = ip.end - ip.l3;
  PROPERTY(f.head_len == ip.l3 + 48 && f.body == c.frame.get() + ip.l3);
  PROPERTY(f.body_len == (total < limit - 48 ? total : limit - 48));
  Bytes got = fuzz::flat(f);
  Bytes want_l2(c.orig.begin(), c.orig.begin() + long(ip.l3));
  turn_around(want_l2, c.orig, c);
  PROPERTY(std::memcmp(got.data(), want_l2.data(), ip.l3) == 0);
  const uint8_t* r = &got[ip.l3];
  PROPERTY(o::be32(r) == 0x60000000u && o::be16(r + 4) == 8 + f.body_len && r[6] == 58 && r[7] == 64);
  PROPERTY(48 + f.body_len <= limit);
  PROPERTY(std::memcmp(r + 8, src, 16) == 0 && std::memcmp(r + 24, h + 8, 16) == 0);
  uint64_t ps = 58 + 8 + f.body_len;
  for (size_t i = 8; i < 40; i += 2) ps += o::be16(r + i);
  PROPERTY(o::verifies(r + 40, 8 + f.body_len, ps));
  uint32_t mtu = c.v[verdict::MTU] ? c.v[verdict::MTU] : c.egress.mtu;
  if (ptb) PROPERTY(r[40] == 2 && r[41] == 0 && o::be32(r + 44) == (mtu < 1280 ? 1280 : mtu));
  else PROPERTY(r[40] == 3 && r[41] == 0 && o::be32(r + 44) == 0);
}

void check_ok(const fuzz::Case& c, Action a) {
  const fuzz::RewriteOut& out = fuzz::out();
  PROPERTY(out.count == 1);
  const fuzz::OutFrame& f = out.frames[0];
  fuzz::VnetHdr none{};
  PROPERTY(std::memcmp(&f.vnet, &none, sizeof none) == 0);
  if (a == Action::ND_ADVERT) {
    PROPERTY(fuzz::unchanged(c));
    check_nd(c, f);
    return;
  }
  if (a == Action::ARP_REPLY || a == Action::ICMP_ECHO_REPLY) {
    PROPERTY(f.head_len == 0 && f.body == c.frame.get());
    if (a == Action::ARP_REPLY) check_arp(c, fuzz::flat(f));
    else check_echo(c, fuzz::flat(f));
    return;
  }
  PROPERTY(fuzz::unchanged(c));
  o::Ip6 ip6;
  if (o::find_ip6(c.orig, ip6)) check_icmp6_error(c, a, f, ip6);
  else check_icmp_error(c, a, f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Case c;
  if (!fuzz::decode(data, size, c)) return 0;
  Action a = fuzz::pick(c.v[verdict::ACTION], kActions);
  c.v[verdict::ACTION] = uint32_t(a);
  // ND_ADVERT answers only for the verdict's target: mostly the frame's own, so the answer is reached.
  o::Ip6 ip6;
  if (a == Action::ND_ADVERT && (c.v[verdict::SRC_IP6_3] & 7) != 0 && o::find_ip6(c.orig, ip6) && ip6.upper + 24 <= ip6.end) {
    for (int i = 0; i < 4; ++i) c.v[verdict::SRC_IP6_0 + i] = o::be32(&c.orig[ip6.upper + 8 + 4 * i]);
  }
  fuzz::run(c);
  if (fuzz::out().error == 0) {
    check_ok(c, a);
  } else {
    PROPERTY(fuzz::unchanged(c));
  }
  return 0;
}
