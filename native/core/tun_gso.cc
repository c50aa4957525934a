// TUN of a TCP GSO super-frame (TCPv4 for IPIP, TCPv6 for ip6ip6 and 6in4), segmented in the
// core because virtio_net_hdr cannot express GSO of a tunnel. Each segment is a head in scratch
// (Ethernet + outer header + inner IP + TCP header) and a body slice of the super-frame's
// payload, so no payload byte is copied. Per segment, as the kernel's TCP GSO does: inner
// length (IPv4 total length and ID + i; IPv6 payload length, no ID), sequence number + offset,
// FIN/PSH only on the last segment, CWR only on the first. Inner checksums are completed here
// (IPv4 header; TCP over the pseudo-header + segment), so every segment leaves with a plain
// vnet header and is correct on any path, captures included.
#include <cstring>

#include "core/bytes.h"
#include "core/tun_head.h"

namespace director::core::rw {

namespace {

constexpr uint8_t TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_CWR = 0x80;
constexpr uint8_t VIRTIO_GSO_TCPV6 = 4;

struct Seg {
  uint32_t index, count, offset, len;
};

// The inner IP header of one segment at h (copied from the super-frame, then fixed); returns
// the TCP pseudo-header accumulator.
uint64_t write_inner_ip(const Ip4& ip, uint32_t thl, const Seg& s, uint8_t* h) {
  if ((h[0] >> 4) == 6) {
    wr16(h + 4, ip.ihl - 40 + thl + s.len);
    return csum::pseudo6(h + 8, h + 24, 6, thl + s.len);
  }
  wr16(h + 2, ip.ihl + thl + s.len);
  wr16(h + 4, rd16(h + 4) + s.index);
  csum::ip_header_fill(h, ip.ihl);
  return csum::pseudo(rd32(h + 12), rd32(h + 16), 6, thl + s.len);
}

// Inner IP + TCP headers of one segment at h.
void write_inner(const Ctx& c, const Ip4& ip, uint32_t thl, const Seg& s, uint8_t* h) {
  std::memcpy(h, c.frame + ip.l3, ip.ihl + thl);
  uint64_t acc = write_inner_ip(ip, thl, s, h);
  uint8_t* tcp = h + ip.ihl;
  wr32(tcp + 4, rd32(tcp + 4) + s.offset);
  uint8_t flags = tcp[13];
  if (s.index + 1 != s.count) flags &= static_cast<uint8_t>(~(TCP_FIN | TCP_PSH));
  if (s.index != 0) flags &= static_cast<uint8_t>(~TCP_CWR);
  tcp[13] = flags;
  wr16(tcp + 16, 0);
  const uint8_t* payload = c.frame + ip.l4 + thl + s.offset;
  acc = csum::add_bytes(tcp, thl, acc);
  wr16(tcp + 16, csum::compute(payload, s.len, acc));
}

}  // namespace

RewriteError tun_segment(Ctx& c, const Ip4& ip, uint32_t mtu, const TunOuter& outer) {
  if (ip.proto != 6 || ip.l4 == 0 || c.vnet.gso_size == 0) return RewriteError::NOT_APPLICABLE;
  uint32_t thl = (c.frame[ip.l4 + 12] >> 4) * 4u;
  uint32_t payload = ip.end - ip.l4 - thl;
  uint32_t mss = c.vnet.gso_size;
  uint32_t count = payload == 0 ? 1 : (payload + mss - 1) / mss;
  if (count > RewriteOut::MAX_FRAMES) return RewriteError::TOO_MANY_SEGMENTS;
  uint32_t seg_max = payload < mss ? payload : mss;
  if (mtu != 0 && outer.len + ip.ihl + thl + seg_max > mtu) return RewriteError::TOO_BIG;
  uint32_t inner_hdr = ip.ihl + thl;
  for (uint32_t i = 0; i < count; ++i) {
    Seg s{i, count, i * mss, payload - i * mss < mss ? payload - i * mss : mss};
    uint8_t* head = scratch(c, ip.l3 + outer.len + inner_hdr);
    if (!head) return RewriteError::TOO_MANY_SEGMENTS;
    uint8_t* inner = head + ip.l3 + outer.len;
    write_inner(c, ip, thl, s, inner);
    outer.write(c, inner, ip.l3, inner_hdr + s.len, head);
    const uint8_t* body = c.frame + ip.l4 + thl + s.offset;
    if (!emit(c, VnetHdr{}, head, ip.l3 + outer.len + inner_hdr, body, s.len)) {
      return RewriteError::TOO_MANY_SEGMENTS;
    }
  }
  return RewriteError::OK;
}

RewriteError tun6_segment(Ctx& c, const Ip4& ip, uint32_t mtu, const TunOuter& outer) {
  // Extension headers are refused: a routing header would change the pseudo-header's
  // destination, and the kernel never builds TCP GSO frames with them.
  if (c.vnet.gso_type != VIRTIO_GSO_TCPV6 || ip.ihl != 40) return RewriteError::NOT_APPLICABLE;
  return tun_segment(c, ip, mtu, outer);
}

}  // namespace director::core::rw
