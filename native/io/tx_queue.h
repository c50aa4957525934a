// A preallocated queue of frames waiting to be sent on one port, laid out as iovecs and
// mmsghdrs ready for one sendmmsg. Each frame is up to three pieces (vnet header, head bytes
// copied here, body bytes left in the receive buffer); in linear mode a frame of up to
// LINEAR_MAX bytes is copied whole (vnet header, head, body back to back) and sent as one
// iovec, which the kernel imports and copies in one piece (three per frame cost it measurably
// at 64-byte frames), while larger ones (GSO super-frames) keep their body in place.
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>

#include "core/core.h"

namespace director::io {

class TxQueue {
 public:
  static constexpr uint32_t CAPACITY = 512;
  static constexpr uint32_t HEAD_BYTES = 64 * 1024;
  // Bytes (vnet header included) up to which linear mode copies a frame whole: a full
  // 1500-byte frame with VLAN tag and headroom; a copy that size costs less than an iovec.
  static constexpr uint32_t LINEAR_MAX = 2048;
  // The copy area: every queued frame linearized at LINEAR_MAX, or the heads of a full queue.
  static constexpr uint32_t COPY_BYTES = CAPACITY * LINEAR_MAX;

  TxQueue();
  TxQueue(const TxQueue&) = delete;
  TxQueue& operator=(const TxQueue&) = delete;

  // Queues one frame; the head is copied, the body must stay valid until the queue is flushed.
  // exclusive: no other queued frame reads the receive buffer the body lies in, so a port that
  // owns that buffer may write the head in front of the body and send the buffer itself.
  // Returns false (nothing queued) when the queue is full: flush and push again.
  bool push(const core::VnetHdr& vnet, const uint8_t* head, uint32_t head_len,
            const uint8_t* body, uint32_t body_len, bool exclusive = false);
  // True when head_len bytes could never fit, even in an empty queue.
  static bool too_big(uint32_t head_len) { return head_len > HEAD_BYTES; }

  // Linear mode, for consumers that send the iovecs as they are (AF_PACKET); off, iov[0] of
  // every frame is exactly the vnet header and body(i) is where the body lies (the AF_XDP port
  // reads them so). A linearized frame has no body of its own: body(i) is null.
  void set_linear(bool on) { linear_ = on; }

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  mmsghdr* messages() { return msgs_; }
  // Frame i's total length (vnet header excluded).
  uint32_t frame_len(uint32_t i) const { return lens_[i]; }
  const uint8_t* body(uint32_t i) const { return body_[i]; }
  uint32_t body_len(uint32_t i) const { return body_len_[i]; }
  bool exclusive(uint32_t i) const { return exclusive_[i] != 0; }
  void clear();

 private:
  uint32_t size_ = 0;
  uint32_t head_used_ = 0;
  mmsghdr msgs_[CAPACITY];
  iovec iov_[CAPACITY * 3];
  core::VnetHdr vnet_[CAPACITY];
  uint32_t lens_[CAPACITY];
  const uint8_t* body_[CAPACITY];
  uint32_t body_len_[CAPACITY];
  uint8_t exclusive_[CAPACITY];
  bool linear_ = false;
  uint8_t heads_[COPY_BYTES];
};

}  // namespace director::io
