// The pure packet core's entry points: parse one frame into a metadata record, and apply one
// verdict to a frame, producing the frames to send. No syscalls, no napi.h: this compiles into
// the addon, the native unit tests and the fuzzers alike.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/flow_hash.h"
#include "core/records.h"

namespace director::core {

// virtio_net_hdr as PACKET_VNET_HDR and IFF_VNET_HDR carry it (10 bytes, little-endian here).
struct VnetHdr {
  uint8_t flags;        // VIRTIO_NET_HDR_F_NEEDS_CSUM = 1, F_DATA_VALID = 2
  uint8_t gso_type;     // VIRTIO_NET_HDR_GSO_NONE 0, TCPV4 1, UDP 3, TCPV6 4, UDP_L4 5, ECN 0x80
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VnetHdr) == 10, "virtio_net_hdr is 10 bytes");

// What the core needs to know of the port a frame leaves by.
struct Egress {
  uint8_t mac[6];
  uint32_t mtu;   // IP MTU of the port
  uint32_t ip;    // the port's IPv4 address, host order (source of ICMP errors); 0 if none
};

// One frame to send, as up to two pieces: head (bytes in RewriteOut::scratch) then body (bytes
// inside the original frame), so encapsulation and segmentation never copy payload.
struct OutFrame {
  VnetHdr vnet;
  const uint8_t* head;
  uint32_t head_len;
  const uint8_t* body;
  uint32_t body_len;
};

// Preallocated once per engine and reused for every frame: no allocation per packet.
struct RewriteOut {
  static constexpr uint32_t MAX_FRAMES = 256;
  static constexpr uint32_t SCRATCH_BYTES = MAX_FRAMES * 160;
  OutFrame frames[MAX_FRAMES];
  uint32_t count;
  uint32_t error;  // RewriteError; count == 0 when set
  uint8_t scratch[SCRATCH_BYTES];
};

// Parses frame[0..len) into meta[0..meta::WORDS). vnet may be null (no offload info); meta::HASH
// is keyed by key. Never reads outside the frame; malformed input sets meta::ERROR and stops there.
void parse_frame(const uint8_t* frame, uint32_t len, const VnetHdr* vnet, const FlowKey& key,
                 uint32_t* meta);

// Applies verdict (verdict::WORDS words) to the frame whose parse produced meta. May modify
// the frame in place. Fills out with the frames to send (count 0 for DROP/HOLD, or on error).
void apply_verdict(uint8_t* frame, uint32_t len, const VnetHdr& vnet, const uint32_t* meta,
                   const uint32_t* verdict, const Egress& egress, RewriteOut& out);

}  // namespace director::core
