// Detects and completes partial checksums for the AF_XDP port (see xdp_offload.h).
#include "io/xdp_offload.h"

#include "core/checksum.h"

namespace director::io {

namespace {

constexpr uint8_t kNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

}  // namespace

bool infer_partial_checksum(const uint8_t* frame, uint32_t len, core::VnetHdr& vnet) {
  constexpr uint32_t kEth = 14;
  if (len < kEth + 20 || be16(frame + 12) != 0x0800) return false;
  const uint8_t* ip = frame + kEth;
  uint32_t ihl = (ip[0] & 0x0f) * 4u;
  uint32_t total = be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || kEth + total > len) return false;
  if ((be16(ip + 6) & 0x3fff) != 0) return false;  // a fragment: its checksum is not ours to judge
  uint8_t proto = ip[9];
  uint16_t field_at = proto == 6 ? 16 : proto == 17 ? 6 : 0;
  uint32_t l4_len = total - ihl;
  if (field_at == 0 || l4_len < field_at + 2u) return false;
  const uint8_t* l4 = ip + ihl;
  uint16_t field = be16(l4 + field_at);
  uint64_t pseudo = core::csum::pseudo(be32(ip + 12), be32(ip + 16), proto, l4_len);
  uint16_t seed = core::csum::fold(pseudo);
  // 0 and 0xffff are the same one's-complement number; senders write either.
  bool seed_like = field == seed || (field == 0 && seed == 0xffff) || (field == 0xffff && seed == 0);
  if (!seed_like || (proto == 17 && field == 0)) return false;
  if (core::csum::fold(core::csum::add_bytes(l4, l4_len, pseudo)) == 0xffff) return false;  // valid
  vnet.flags = kNeedsCsum;
  vnet.csum_start = static_cast<uint16_t>(kEth + ihl);
  vnet.csum_offset = field_at;
  return true;
}

bool complete_partial_checksum(uint8_t* frame, uint32_t len, const core::VnetHdr& vnet) {
  // The segment ends with the IPv4 datagram (outer or inner alike), not at Ethernet padding.
  uint32_t end = len;
  if (len >= 34 && be16(frame + 12) == 0x0800 && 14u + be16(frame + 16) < len) end = 14u + be16(frame + 16);
  uint32_t start = vnet.csum_start, at = start + vnet.csum_offset;
  if (start >= end || at + 2 > end) return false;
  // The field holds the pseudo-header seed, so summing the segment as it is gives the whole sum.
  uint16_t c = core::csum::compute(frame + start, end - start);
  if (c == 0 && vnet.csum_offset == 6) c = 0xffff;  // UDP: zero means "no checksum"
  frame[at] = static_cast<uint8_t>(c >> 8);
  frame[at + 1] = static_cast<uint8_t>(c);
  return true;
}

}  // namespace director::io
