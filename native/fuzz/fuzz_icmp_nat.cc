// libFuzzer harness: ICMP errors about NAT/FULLNAT connections, both ways (IN toward the real
// server, OUT toward the client), which NAT and FNAT verdicts route to the quoted-packet rewrite.
// Properties, on success:
//  - one frame out, the whole frame, same length, an empty vnet header;
//  - exactly these bytes differ, besides checksum fields: MACs, outer TTL - 1; where the method
//    changes the source (NAT OUT, FNAT), outer source := SRC_IP and quoted destination :=
//    SRC_IP (quoted destination port := SRC_PORT); where it changes the destination (NAT IN,
//    FNAT), outer destination := DST_IP and quoted source := DST_IP (quoted source port :=
//    DST_PORT); quoted ports only when both are quoted and the port is 1..65535; with SEQ_MODE
//    TRANSLATE (half the inputs) a quoted TCP first fragment's sequence number, when all 4 of
//    its bytes are quoted, minus CLIENT_DELTA (OUT: the quote is of a client segment) or minus
//    SEQ_DELTA (IN: of a real server's), in both families;
//  - the outer IP header and the whole ICMP message verify from scratch;
//  - the quoted IP header keeps its residue (it verifies after exactly when it did before);
//  - the quoted TCP/UDP checksum field moves with the quoted addresses, ports and sequence
//    number: the sum of what the quote carries of that checksum (addresses, ports, number,
//    field) keeps its residue, and a quoted UDP zero checksum stays zero;
//  - ICMPv6 (the same rule with the verdict's SRC_IP6/DST_IP6): the datagram without trailer;
//    MACs, hop limit - 1, outer and quoted addresses, quoted ports as above, besides the ICMPv6
//    and quoted checksum fields; the quote's addresses only when its fixed header is whole and
//    its chain walks inside the quote; the ICMPv6 message verifies from scratch over the new
//    pseudo-header; the quoted TCP/UDP/ICMPv6 checksum keeps its quote residue; never a GSO
//    frame, never over the egress MTU.
// On any error: nothing out and the frame untouched.
#include <cstring>

#include "fuzz_case.h"
#include "oracle.h"

using namespace director;
using fuzz::oracle::Bytes;
namespace o = fuzz::oracle;

namespace {

void quoted_port(Bytes& want, const o::Quote& q, size_t at, uint32_t port) {
  if (q.ports && port != 0 && port <= 0xffff) o::put16(want, q.at + q.ihl + at, port);
}

// A translating connection's quoted segment went the other way: its number goes back by the
// delta of the side that sent it (seq: offset of the quoted number, 0 when not all quoted).
void quoted_seq(Bytes& want, const fuzz::Case& c, size_t seq) {
  if (seq == 0 || c.v[verdict::SEQ_MODE] != uint32_t(SeqMode::TRANSLATE)) return;
  bool out = c.v[verdict::DIRECTION] == uint32_t(Direction::OUT);
  o::put32(want, seq, o::be32(&want[seq]) - c.v[out ? verdict::CLIENT_DELTA : verdict::SEQ_DELTA]);
}

Bytes expected(const fuzz::Case& c, const fuzz::Way& w, const o::Ip& ip, const o::Quote& q, const Bytes& got) {
  Bytes want = c.orig;
  fuzz::next_hop(want, c);
  want[ip.l3 + 8] = uint8_t(want[ip.l3 + 8] - 1);
  if (w.src) {
    o::put32(want, ip.l3 + 12, c.v[verdict::SRC_IP]);
    o::put32(want, q.at + 16, c.v[verdict::SRC_IP]);
    quoted_port(want, q, 2, c.v[verdict::SRC_PORT]);
  }
  if (w.dst) {
    o::put32(want, ip.l3 + 16, c.v[verdict::DST_IP]);
    o::put32(want, q.at + 12, c.v[verdict::DST_IP]);
    quoted_port(want, q, 0, c.v[verdict::DST_PORT]);
  }
  quoted_seq(want, c, q.seq);
  fuzz::same_field(want, got, ip.l3 + 10);
  fuzz::same_field(want, got, ip.l4() + 2);
  fuzz::same_field(want, got, q.at + 10);
  if (q.check) fuzz::same_field(want, got, q.check);
  return want;
}

void check_ok(const fuzz::Case& c, const fuzz::Way& w) {
  const fuzz::RewriteOut& out = fuzz::out();
  PROPERTY(out.count == 1);
  const fuzz::OutFrame& f = out.frames[0];
  PROPERTY(f.head_len == 0 && f.body == c.frame.get() && f.body_len == c.len);
  fuzz::VnetHdr none{};
  PROPERTY(std::memcmp(&f.vnet, &none, sizeof none) == 0);
  Bytes got = fuzz::flat(f);
  o::Ip ip;
  o::Quote q;
  PROPERTY(o::find_ip(c.orig, ip) && o::find_quote(c.orig, ip, q));
  PROPERTY(got == expected(c, w, ip, q, got));
  PROPERTY(o::verifies(&got[ip.l3], ip.ihl));
  PROPERTY(o::verifies(&got[ip.l4()], ip.end - ip.l4()));
  PROPERTY(o::residue(&got[q.at], q.ihl) == o::residue(&c.orig[q.at], q.ihl));
  if (q.check && q.proto == o::UDP && o::be16(&c.orig[q.check]) == 0) {
    PROPERTY(o::be16(&got[q.check]) == 0);
  } else if (q.check) {
    PROPERTY(o::quote_residue(got, q) == o::quote_residue(c.orig, q));
  }
  if (c.vnet.gso_type == 0 && c.egress.mtu != 0) PROPERTY(ip.total <= c.egress.mtu);
}

// Unfolded IPv6 pseudo-header sum of the packet at ip in f (its addresses now).
uint64_t pseudo6(const Bytes& f, const o::Ip6& ip) {
  uint64_t s = ip.proto + uint64_t(ip.end - ip.upper);
  for (size_t i = ip.l3 + 8; i < ip.l3 + 40; i += 2) s += o::be16(&f[i]);
  return s;
}

void put6(Bytes& want, size_t at, const uint32_t* words) {
  for (size_t i = 0; i < 4; ++i) o::put32(want, at + 4 * i, words[i]);
}

void check_ok6(const fuzz::Case& c, const fuzz::Way& w, const o::Ip6& ip) {
  const fuzz::RewriteOut& out = fuzz::out();
  o::Quote6 q;
  PROPERTY(out.count == 1 && o::find_quote6(c.orig, ip, q) && c.vnet.gso_type == 0);
  const fuzz::OutFrame& f = out.frames[0];
  PROPERTY(f.head_len == 0 && f.body == c.frame.get() && f.body_len == ip.end);
  fuzz::VnetHdr none{};
  PROPERTY(std::memcmp(&f.vnet, &none, sizeof none) == 0);
  Bytes got = fuzz::flat(f);
  Bytes want(c.orig.begin(), c.orig.begin() + long(ip.end));
  fuzz::next_hop(want, c);
  want[ip.l3 + 7] = uint8_t(want[ip.l3 + 7] - 1);
  auto port = [&](size_t at, uint32_t p) { if (q.ports && p != 0 && p <= 0xffff) o::put16(want, q.ip.upper + at, p); };
  if (w.src) {
    put6(want, ip.l3 + 8, &c.v[verdict::SRC_IP6_0]);
    put6(want, q.ip.l3 + 24, &c.v[verdict::SRC_IP6_0]);
    port(2, c.v[verdict::SRC_PORT]);
  }
  if (w.dst) {
    put6(want, ip.l3 + 24, &c.v[verdict::DST_IP6_0]);
    put6(want, q.ip.l3 + 8, &c.v[verdict::DST_IP6_0]);
    port(0, c.v[verdict::DST_PORT]);
  }
  quoted_seq(want, c, q.seq);
  fuzz::same_field(want, got, ip.upper + 2);
  if (q.check) fuzz::same_field(want, got, q.check);
  PROPERTY(got == want);
  PROPERTY(o::verifies(&got[ip.upper], ip.end - ip.upper, pseudo6(got, ip)));
  if (q.check && q.ip.proto == o::UDP && o::be16(&c.orig[q.check]) == 0) {
    PROPERTY(o::be16(&got[q.check]) == 0);
  } else if (q.check) {
    PROPERTY(o::quote6_residue(got, q) == o::quote6_residue(c.orig, q));
  }
  if (c.egress.mtu != 0) PROPERTY(ip.end - ip.l3 <= c.egress.mtu);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Case c;
  if (!fuzz::decode(data, size, c)) return 0;
  const fuzz::Way w = fuzz::pick(c.v[verdict::METHOD], fuzz::kNatWays);
  fuzz::forward(c, w);
  c.v[verdict::SEQ_MODE] &= 1;  // NONE or TRANSLATE, half each
  fuzz::run(c);
  o::Ip ip;
  if (o::find_ip(c.orig, ip) && !o::is_icmp_error(c.orig, ip)) {
    return 0;  // any other IPv4 packet takes the routed rewrite: fuzz_nat
  }
  o::Ip6 ip6;
  bool v6 = o::find_ip6(c.orig, ip6);
  if (v6 && !o::is_icmp6_error(c.orig, ip6)) return 0;  // fuzz_nat's too
  if (fuzz::out().error == 0) {
    if (v6) check_ok6(c, w, ip6);
    else check_ok(c, w);
  } else {
    PROPERTY(fuzz::unchanged(c));
  }
  return 0;
}
