// libFuzzer harness: TUN (IPIP) encapsulation, and the segmentation of TCPv4 GSO super-frames
// the core does for it. The input frame itself is only modified to complete a partial TCP
// checksum (below). Properties, on success:
//  - plain: one frame, head = Ethernet (the input's layout, VLAN kept, next-hop MACs) + a
//    20-byte outer IPv4 header, body = the inner IP packet unchanged, so the output is exactly
//    20 bytes longer than the IP packet it carries; outer header checksum verifies from
//    scratch, protocol 4, total = 20 + inner, TTL and DF copied, no fragment bits, addresses
//    from the verdict; a CHECKSUM_PARTIAL vnet header stays partial with csum_start moved by 20
//    (same offset), except for TCP, whose checksum the core completes in the inner packet
//    (correct exactly when the seed was, never 0xffff; nothing else in the packet changes);
//    anything else leaves with an empty vnet header;
//  - GSO: ceil(payload / gso_size) segments, each head + a body slice of the payload in order
//    (every slice gso_size bytes but the last), the slices adding up to the payload; per
//    segment the outer and inner IP checksums and the inner TCP checksum verify from scratch,
//    inner total length, ID + i and sequence + offset as the kernel's TCP GSO sets them, FIN
//    and PSH only on the last segment, CWR only on the first, other inner header bytes copied;
//  - no packet larger than the tunnel MTU (verdict MTU, else egress MTU) when one is known;
//  - IPv6 (ip6ip6): one frame, head = Ethernet (next-hop MACs) + a 40-byte outer IPv6 header
//    (next header 41, payload length = the inner packet, hop limit and traffic class copied, CE
//    sent as ECT(0), flow label 0, addresses from the verdict's SRC_IP6/DST_IP6), body = the
//    inner packet; the vnet header as for IPIP but csum_start moved by 40;
//  - IPv6 with the verdict's TUN_SRC/TUN_DST set (6in4): only when both are set and SRC_IP6 and
//    DST_IP6 are not; head = Ethernet (next-hop MACs, type IPv4, VLAN kept) + a 20-byte outer
//    IPv4 header (protocol 41, total = 20 + inner, TTL := hop limit, TOS := traffic class with
//    CE sent as ECT(0), no DF nor fragment bits, checksum verifies from scratch); body and vnet
//    header as ip6ip6 but csum_start moved by 20.
//  - IPv6 GSO (ip6ip6 or 6in4): only TCPv6 GSO without extension headers; segments as for
//    IPv4 (slices, sequence, flags, TCP checksum over the IPv6 pseudo-header) with the inner
//    payload length per segment, the outer length field per segment (6in4: header checksum).
// On any error: nothing out.
#include <cstring>

#include "fuzz_case.h"
#include "oracle.h"
#include "../test/builders.h"

using namespace director;
using fuzz::oracle::Bytes;
namespace o = fuzz::oracle;

namespace {

uint32_t tunnel_mtu(const fuzz::Case& c) { return c.v[verdict::MTU] ? c.v[verdict::MTU] : c.egress.mtu; }

// The outer Ethernet + IPv4 header of an output frame `got` carrying inner_total bytes.
void check_outer(const fuzz::Case& c, const o::Ip& ip, const Bytes& got, const uint8_t* inner, size_t inner_total) {
  Bytes want_l2(c.orig.begin(), c.orig.begin() + long(ip.l3));
  fuzz::next_hop(want_l2, c);
  PROPERTY(std::memcmp(got.data(), want_l2.data(), ip.l3) == 0);
  const uint8_t* h = &got[ip.l3];
  PROPERTY(h[0] == 0x45 && h[9] == 4);
  PROPERTY(o::be16(h + 2) == 20 + inner_total);
  PROPERTY(h[8] == inner[8]);
  PROPERTY((h[1] & 0xfc) == (inner[1] & 0xfc));  // DSCP copied (ECN per RFC 6040, see tun_head.h)
  PROPERTY(o::be16(h + 6) == ((inner[6] & 0x40) ? 0x4000 : 0));
  PROPERTY(o::be32(h + 12) == c.v[verdict::TUN_SRC] && o::be32(h + 16) == c.v[verdict::TUN_DST]);
  PROPERTY(o::verifies(h, 20));
  uint32_t mtu = tunnel_mtu(c);
  if (mtu != 0) PROPERTY(20 + inner_total <= mtu);
}

void check_plain(const fuzz::Case& c, const o::Ip& ip) {
  const fuzz::RewriteOut& out = fuzz::out();
  PROPERTY(out.count == 1);
  const fuzz::OutFrame& f = out.frames[0];
  PROPERTY(f.head_len == ip.l3 + 20 && f.body == c.frame.get() + ip.l3 && f.body_len == ip.total);
  Bytes got = fuzz::flat(f);
  PROPERTY(got.size() == ip.total + ip.l3 + 20);
  check_outer(c, ip, got, &c.orig[ip.l3], ip.total);
  if (o::core_completes(c.orig, ip, c.vnet.flags & 1, c.vnet.gso_type, c.vnet.gso_size)) {
    fuzz::VnetHdr none{};
    PROPERTY(std::memcmp(&f.vnet, &none, sizeof none) == 0);
    Bytes inner(c.frame.get(), c.frame.get() + c.len);  // the frame now carries the whole checksum
    size_t check = ip.l4_check();
    PROPERTY(o::be16(&inner[check]) != 0xffff);
    PROPERTY(o::l4_residue(inner, ip) == o::completed_residue(c.orig, ip));
    fuzz::same_field(inner, c.orig, check);
    PROPERTY(inner == c.orig);  // and nothing else changed
    return;
  }
  PROPERTY(fuzz::unchanged(c));
  if (c.vnet.flags & 1) {
    PROPERTY(f.vnet.flags == 1 && f.vnet.gso_type == 0);
    PROPERTY(f.vnet.csum_start == c.vnet.csum_start + 20 && f.vnet.csum_offset == c.vnet.csum_offset);
  } else {
    fuzz::VnetHdr none{};
    PROPERTY(std::memcmp(&f.vnet, &none, sizeof none) == 0);
  }
}

// The TCP header of segment i of count from the super-frame's stcp: sequence + offset, FIN/PSH
// only on the last, CWR only on the first, the rest copied (the checksum checked by callers).
void check_tcp(const fuzz::Case& c, const uint8_t* tcp, const uint8_t* stcp, size_t thl, uint32_t i, uint32_t count) {
  PROPERTY(o::be32(tcp + 4) == o::be32(stcp + 4) + i * c.vnet.gso_size);
  uint8_t flags = stcp[13];
  if (i + 1 != count) flags &= uint8_t(~0x09);
  if (i != 0) flags &= uint8_t(~0x80);
  PROPERTY(tcp[13] == flags);
  PROPERTY(std::memcmp(tcp, stcp, 4) == 0 && std::memcmp(tcp + 8, stcp + 8, 5) == 0);
  PROPERTY(std::memcmp(tcp + 14, stcp + 14, 2) == 0 && std::memcmp(tcp + 18, stcp + 18, thl - 18) == 0);
}

// One segment of a GSO super-frame: inner headers derived from the super-frame's.
void check_segment(const fuzz::Case& c, const o::Ip& ip, size_t thl, uint32_t i, uint32_t count, const Bytes& got) {
  const uint8_t* sup = &c.orig[ip.l3];
  const uint8_t* in = &got[ip.l3 + 20];
  size_t seg = got.size() - (ip.l3 + 20 + ip.ihl + thl);
  PROPERTY(o::be16(in + 2) == ip.ihl + thl + seg);
  PROPERTY(o::be16(in + 4) == uint16_t(o::be16(sup + 4) + i));
  PROPERTY(o::verifies(in, ip.ihl));
  PROPERTY(std::memcmp(in, sup, 2) == 0 && std::memcmp(in + 6, sup + 6, 4) == 0 && std::memcmp(in + 12, sup + 12, ip.ihl - 12) == 0);
  const uint8_t* tcp = in + ip.ihl;
  const uint8_t* stcp = sup + ip.ihl;
  check_tcp(c, tcp, stcp, thl, i, count);
  size_t tcp_len = thl + seg;
  PROPERTY(o::verifies(tcp, tcp_len, t::ref_pseudo(in, uint32_t(tcp_len))));
  check_outer(c, ip, got, in, ip.ihl + tcp_len);
}

void check_gso(const fuzz::Case& c, const o::Ip& ip) {
  const fuzz::RewriteOut& out = fuzz::out();
  size_t thl = (c.orig[ip.l4() + 12] >> 4) * 4u;
  size_t payload = ip.end - ip.l4() - thl, mss = c.vnet.gso_size;
  uint32_t count = payload == 0 ? 1 : uint32_t((payload + mss - 1) / mss);
  PROPERTY(out.count == count);
  const uint8_t* next = c.frame.get() + ip.l4() + thl;
  for (uint32_t i = 0; i < out.count; ++i) {
    const fuzz::OutFrame& f = out.frames[i];
    fuzz::VnetHdr none{};
    PROPERTY(std::memcmp(&f.vnet, &none, sizeof none) == 0);
    PROPERTY(f.head_len == ip.l3 + 20 + ip.ihl + thl);
    PROPERTY(f.body == next && (i + 1 == count ? f.body_len <= mss : f.body_len == mss));
    next += f.body_len;
    check_segment(c, ip, thl, i, count, fuzz::flat(f));
  }
  PROPERTY(next == c.frame.get() + ip.end);
}

// The vnet header and the frame after an IPv6 packet went into a tunnel of `outer` bytes.
void check_inner6(const fuzz::Case& c, const o::Ip6& ip, const fuzz::OutFrame& f, size_t outer) {
  bool partial = c.vnet.flags & 1;
  bool completed = partial && ip.proto == o::TCP;  // no GSO here: the core completes partial TCP
  fuzz::VnetHdr none{};
  if (!partial || completed) {
    PROPERTY(std::memcmp(&f.vnet, &none, sizeof none) == 0);
  } else {
    PROPERTY(f.vnet.flags == 1 && f.vnet.csum_start == c.vnet.csum_start + outer && f.vnet.csum_offset == c.vnet.csum_offset);
  }
  if (!completed) {
    PROPERTY(fuzz::unchanged(c));
  } else {
    Bytes now(c.frame.get(), c.frame.get() + c.len);
    fuzz::same_field(now, c.orig, ip.upper + 16);
    PROPERTY(now == c.orig);  // only the TCP checksum may change
  }
}

void check_6in4(const fuzz::Case& c, const o::Ip6& ip) {
  const fuzz::RewriteOut& out = fuzz::out();
  PROPERTY(c.vnet.gso_type == 0 && out.count == 1);
  PROPERTY(c.v[verdict::TUN_SRC] != 0 && c.v[verdict::TUN_DST] != 0);
  for (size_t i = 0; i < 4; ++i) PROPERTY(c.v[verdict::SRC_IP6_0 + i] == 0 && c.v[verdict::DST_IP6_0 + i] == 0);
  const fuzz::OutFrame& f = out.frames[0];
  size_t inner_total = ip.end - ip.l3;
  PROPERTY(f.head_len == ip.l3 + 20 && f.body == c.frame.get() + ip.l3 && f.body_len == inner_total);
  Bytes want(c.orig.begin(), c.orig.begin() + long(ip.l3 + 20));
  fuzz::next_hop(want, c);
  o::put16(want, ip.l3 - 2, 0x0800);
  const uint8_t* in = &c.orig[ip.l3];
  uint8_t tos = uint8_t((in[0] & 0x0f) << 4 | in[1] >> 4);
  if ((tos & 3) == 3) tos = uint8_t(tos - 1);
  uint8_t* h = &want[ip.l3];
  h[0] = 0x45;
  h[1] = tos;
  o::put16(want, ip.l3 + 2, uint32_t(20 + inner_total));
  o::put16(want, ip.l3 + 4, o::be16(f.head + ip.l3 + 4));  // the ID: any (DF is clear)
  o::put16(want, ip.l3 + 6, 0);
  h[8] = in[7];
  h[9] = 41;
  o::put32(want, ip.l3 + 12, c.v[verdict::TUN_SRC]);
  o::put32(want, ip.l3 + 16, c.v[verdict::TUN_DST]);
  o::put16(want, ip.l3 + 10, o::be16(f.head + ip.l3 + 10));
  PROPERTY(std::memcmp(f.head, want.data(), want.size()) == 0);
  PROPERTY(o::verifies(f.head + ip.l3, 20));
  uint32_t mtu = tunnel_mtu(c);
  if (mtu != 0) PROPERTY(inner_total + 20 <= mtu);
  check_inner6(c, ip, f, 20);
}

void check_ip6ip6(const fuzz::Case& c, const o::Ip6& ip) {
  const fuzz::RewriteOut& out = fuzz::out();
  PROPERTY(c.vnet.gso_type == 0 && out.count == 1);
  const fuzz::OutFrame& f = out.frames[0];
  size_t inner_total = ip.end - ip.l3;
  PROPERTY(f.head_len == ip.l3 + 40 && f.body == c.frame.get() + ip.l3 && f.body_len == inner_total);
  Bytes want(c.orig.begin(), c.orig.begin() + long(ip.l3 + 40));
  fuzz::next_hop(want, c);
  const uint8_t* in = &c.orig[ip.l3];
  uint8_t tclass = uint8_t((in[0] & 0x0f) << 4 | in[1] >> 4);
  if ((tclass & 3) == 3) tclass = uint8_t(tclass - 1);
  uint8_t* h = &want[ip.l3];
  h[0] = uint8_t(0x60 | tclass >> 4);
  h[1] = uint8_t((tclass & 0x0f) << 4);
  h[2] = h[3] = 0;
  o::put16(want, ip.l3 + 4, uint32_t(inner_total));
  h[6] = 41;
  h[7] = in[7];
  for (size_t i = 0; i < 4; ++i) {
    o::put32(want, ip.l3 + 8 + 4 * i, c.v[verdict::SRC_IP6_0 + i]);
    o::put32(want, ip.l3 + 24 + 4 * i, c.v[verdict::DST_IP6_0 + i]);
  }
  PROPERTY(std::memcmp(f.head, want.data(), want.size()) == 0);
  uint32_t mtu = tunnel_mtu(c);
  if (mtu != 0) PROPERTY(inner_total + 40 <= mtu);
  check_inner6(c, ip, f, 40);
}

// The unfolded IPv6 pseudo-header sum of the packet at ip for an upper layer of n bytes.
uint64_t pseudo6(const uint8_t* ip, size_t n) {
  uint64_t acc = 6 + n;
  for (size_t i = 8; i < 40; i += 2) acc += o::be16(ip + i);
  return acc;
}

// One segment of a TCPv6 super-frame, inner packet at `in` behind an outer header of `outer`.
void check_segment6(const fuzz::Case& c, const o::Ip6& ip, size_t thl, uint32_t i, uint32_t count,
                    const Bytes& got, size_t outer) {
  const uint8_t* sup = &c.orig[ip.l3];
  const uint8_t* in = &got[ip.l3 + outer];
  size_t seg = got.size() - (ip.l3 + outer + 40 + thl);
  PROPERTY(o::be16(in + 4) == thl + seg);
  PROPERTY(std::memcmp(in, sup, 4) == 0 && std::memcmp(in + 6, sup + 6, 34) == 0);
  const uint8_t* tcp = in + 40;
  const uint8_t* stcp = sup + 40;
  check_tcp(c, tcp, stcp, thl, i, count);
  PROPERTY(o::verifies(tcp, thl + seg, pseudo6(in, thl + seg)));
  const uint8_t* h = &got[ip.l3];
  size_t inner_total = 40 + thl + seg;
  if (outer == 40) PROPERTY(h[6] == 41 && o::be16(h + 4) == inner_total);
  else PROPERTY(h[9] == 41 && o::be16(h + 2) == 20 + inner_total && o::verifies(h, 20));
  uint32_t mtu = tunnel_mtu(c);
  if (mtu != 0) PROPERTY(outer + inner_total <= mtu);
}

void check_gso6(const fuzz::Case& c, const o::Ip6& ip) {
  PROPERTY(c.vnet.gso_type == 4 && ip.proto == o::TCP && ip.upper == ip.l3 + 40);
  PROPERTY(fuzz::unchanged(c));
  const fuzz::RewriteOut& out = fuzz::out();
  size_t outer = c.v[verdict::TUN_SRC] != 0 ? 20 : 40;
  size_t thl = (c.orig[ip.upper + 12] >> 4) * 4u;
  size_t payload = ip.end - ip.upper - thl, mss = c.vnet.gso_size;
  uint32_t count = payload == 0 ? 1 : uint32_t((payload + mss - 1) / mss);
  PROPERTY(out.count == count);
  const uint8_t* next = c.frame.get() + ip.upper + thl;
  for (uint32_t i = 0; i < out.count; ++i) {
    const fuzz::OutFrame& f = out.frames[i];
    PROPERTY(f.vnet.flags == 0 && f.vnet.gso_type == 0 && f.head_len == ip.l3 + outer + 40 + thl);
    PROPERTY(f.body == next && (i + 1 == count ? f.body_len <= mss : f.body_len == mss));
    next += f.body_len;
    check_segment6(c, ip, thl, i, count, fuzz::flat(f), outer);
  }
  PROPERTY(next == c.frame.get() + ip.end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Case c;
  if (!fuzz::decode(data, size, c)) return 0;
  fuzz::forward(c, {Method::TUN, Direction::IN, false, false});
  fuzz::run(c);
  if (fuzz::out().error != 0) {
    PROPERTY(fuzz::unchanged(c));
    return 0;
  }
  o::Ip6 ip6;
  if (o::find_ip6(c.orig, ip6)) {
    if (c.vnet.gso_type != 0) check_gso6(c, ip6);
    else if (c.v[verdict::TUN_SRC] != 0 || c.v[verdict::TUN_DST] != 0) check_6in4(c, ip6);
    else check_ip6ip6(c, ip6);
    return 0;
  }
  o::Ip ip;
  PROPERTY(o::find_ip(c.orig, ip));
  if (c.vnet.gso_type == 0) {
    check_plain(c, ip);
  } else {
    PROPERTY(fuzz::unchanged(c));
    check_gso(c, ip);
  }
  return 0;
}
