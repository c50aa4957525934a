// An AF_PACKET socket bound to one interface: TPACKET_V3 mmap receive ring with virtio-net
// headers (so partial checksums and GSO super-frames arrive described, not broken), outgoing
// frames ignored, batched transmit with sendmmsg.
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/core.h"
#include "io/ifinfo.h"
#include "io/tx_queue.h"

namespace director::io {

struct RingOptions {
  uint32_t block_size = 1u << 18;  // must hold a 64 KiB GSO frame plus headers
  uint32_t block_count = 64;
  uint32_t block_timeout_ms = 1;
  // Per-frame ring (TPACKET_V2): the kernel hands every frame over as it lands instead of a block
  // at a time (up to block_timeout_ms later at moderate rates), for latency. Slots are
  // kFrameSlot bytes, enough for a full-size Ethernet frame; a larger one (a GSO super-frame, a
  // jumbo frame) arrives whole through the socket's queue, its slot marked TP_STATUS_COPY.
  bool per_frame = false;
  uint32_t frame_count = 16384;
  // Bound with a filter that accepts nothing (removed once the socket has joined a fanout group),
  // so it never queues a frame of its own.
  bool muted = false;
};

// Bytes per slot of the per-frame ring: a 1514-byte frame (1518 tagged) after the tpacket
// header, the address and the vnet header. Small slots make a deep ring cheap (16384 slots in
// 32 MiB ride out a 100 ms stall at 0.16 Mpps) and keep two frames per page, where whole-GSO
// slots (68 KiB) held 512 frames in 34 MiB, each on pages of its own.
constexpr uint32_t kFrameSlot = 2048;
// Slots per block of the per-frame ring (the kernel maps blocks of whole pages).
constexpr uint32_t kFramesPerBlock = 64;
// Frames that arrived through the socket queue (TP_STATUS_COPY) one batch can hold: beyond
// them, next() ends the batch and the slot waits for the next one.
constexpr uint32_t kCopySlots = 8;
// Bytes of one such frame: the vnet header and the largest GSO frame.
constexpr uint32_t kCopyBytes = sizeof(core::VnetHdr) + 65536 + 16;

// Checks ring options; returns an empty string or what is wrong.
std::string check_ring_options(const RingOptions& options);

// One received frame, pointing into the ring (valid until release_consumed()).
struct RxFrame {
  uint8_t* data;
  uint32_t len;
  core::VnetHdr vnet;
  bool truncated;  // the ring cut the frame short: it must not be forwarded
};

class PacketSocket {
 public:
  PacketSocket() = default;
  ~PacketSocket();
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;

  // netns: empty for the current namespace, else a path like /run/netns/NAME.
  bool open(const std::string& ifname, const RingOptions& options, const std::string& netns,
            std::string& error);
  void close();
  int fd() const { return fd_; }
  const IfInfo& info() const { return info_; }

  // Attaches a classic BPF program (SO_ATTACH_FILTER) so the kernel queues only what it accepts.
  bool attach_filter(const struct sock_filter* code, uint16_t len, std::string& error);
  // Joins fanout group `group` (PACKET_FANOUT_CBPF): the kernel gives each frame to one member,
  // the one a classic BPF program (set_fanout_program) names; members are numbered in join order.
  bool join_fanout(uint16_t group, std::string& error);
  // Replaces the group's steering program (its return value modulo the member count picks one).
  bool set_fanout_program(const struct sock_filter* code, uint16_t len, std::string& error);
  // The next frame the kernel has handed over, or false when the ring holds no more.
  bool next(RxFrame& frame);
  // Gives every block read to the end back to the kernel; call after the batch is sent.
  void release_consumed();
  // Frames the kernel dropped since the last call (ring full).
  uint64_t read_drops();
  // Sends the queue (one sendmmsg per run of good frames); returns frames sent, adds failures
  // to errors; the queue is cleared.
  uint32_t send(TxQueue& queue, uint64_t& errors, uint64_t& bytes);

 private:
  uint8_t* block(uint32_t i) const { return ring_ + static_cast<size_t>(i) * options_.block_size; }
  uint8_t* slot(uint32_t i) const { return ring_ + static_cast<size_t>(i) * kFrameSlot; }
  bool open_ring(std::string& error);
  bool enter_block();
  void give_back(uint32_t i);
  bool next_frame(RxFrame& frame);
  bool copied_frame(RxFrame& frame);
  void release_frames();

  int fd_ = -1;
  IfInfo info_;
  RingOptions options_;
  uint8_t* ring_ = nullptr;
  size_t ring_bytes_ = 0;
  uint32_t block_ = 0;        // block being read
  bool in_block_ = false;     // block_ is user-owned and partly read
  uint32_t remaining_ = 0;    // frames left in block_
  uint8_t* frame_ = nullptr;  // next frame header in block_
  uint32_t release_from_ = 0; // first block read to the end but not yet given back
  uint32_t done_blocks_ = 0;  // blocks read to the end, not yet given back
  // Per-frame ring: slots read since the last release, starting at release_from_.
  uint32_t read_frames_ = 0;
  // Per-frame ring: where TP_STATUS_COPY frames are read to, kCopySlots of kCopyBytes; how many
  // the current batch uses.
  std::unique_ptr<uint8_t[]> copies_;
  uint32_t copies_used_ = 0;
};

}  // namespace director::io
