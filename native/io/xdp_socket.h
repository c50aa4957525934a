// An AF_XDP socket on one interface queue: the UMEM, the four rings through libxdp's xsk
// helpers, the director's XDP program steering only its own traffic here, need_wakeup kicks,
// and batched receive/transmit with no allocation per frame.
//
// UMEM frames: most are receive frames, which circulate fill ring -> RX ring -> held by the
// engine for one batch -> back to the fill ring, or, when the engine forwards the frame out
// this same socket, -> TX ring -> completion ring -> fill ring (forwarding in place, no copy).
// The rest are transmit frames for what cannot go in place (replies built from scratch, held
// frames, frames from another port): copied in, TX ring -> completion ring -> free list.
#pragma once
#ifdef DIRECTOR_WITH_XDP
#include <xdp/xsk.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/core.h"
#include "io/ifinfo.h"
#include "io/tx_queue.h"
#include "io/xdp_program.h"

namespace director::io {

enum class XdpBind { AUTO, COPY, ZEROCOPY };

struct XdpOptions {
  uint32_t queue = 0;
  uint32_t frame_size = 4096;   // power of two, 2048..4096 (one page holds an MTU-1500 frame)
  uint32_t frame_count = 8192;  // power of two; 7/8 receive, 1/8 transmit (see XdpSocket)
  XdpBind bind = XdpBind::AUTO;
  XdpAttach attach = XdpAttach::AUTO;
};

// Checks options; returns an empty string or what is wrong.
std::string check_xdp_options(const XdpOptions& options);

class XdpSocket {
 public:
  XdpSocket() = default;
  ~XdpSocket();
  XdpSocket(const XdpSocket&) = delete;
  XdpSocket& operator=(const XdpSocket&) = delete;

  // netns: empty for the current namespace, else a path like /run/netns/NAME.
  bool open(const std::string& ifname, const XdpOptions& options, const std::string& netns,
            std::string& error);
  void close();
  int fd() const { return xsk_ ? xsk_socket__fd(xsk_) : -1; }
  const IfInfo& info() const { return info_; }
  XdpProgram& program() { return program_; }
  const char* bind_mode() const { return zerocopy_ ? "zerocopy" : "copy"; }

  // Takes up to max received frames (pointers into the UMEM, valid until refill()).
  uint32_t receive(uint8_t** data, uint32_t* len, uint32_t max);
  // Gives the frames of the last receive() that were not sent in place, and the receive frames
  // the kernel has finished sending, back to the kernel's fill ring.
  void refill();
  // Sends the queue (completing partial checksums, which the wire needs whole) and kicks the
  // kernel; returns frames sent, adds failures to errors; clears queue. A frame the queue marks
  // exclusive whose body lies in a receive frame of this socket's last receive() is sent from
  // that frame (head written in front of the body); every other frame is copied into a
  // transmit frame.
  uint32_t send(TxQueue& queue, uint64_t& errors, uint64_t& bytes);
  // Frames the kernel dropped since the last call (no fill buffer, RX ring full, too big).
  uint64_t read_drops();

  // Where every UMEM frame is, for leak checks. with_kernel: receive frames put on the fill ring
  // and not yet taken from the RX ring (the kernel publishes its fill-ring consumer index late,
  // so this is counted here, not read from the ring). At rest every receive frame is with the
  // kernel and every transmit frame free; a frame lost anywhere shows as a shortfall.
  struct FrameCounts {
    uint32_t receive_frames, transmit_frames;
    uint32_t with_kernel, waiting_fill, held, sending_in_place;  // receive frames
    uint32_t tx_free, tx_in_flight;                              // transmit frames
    uint64_t sent_in_place, sent_copied;
  };
  // Reaps completions first, so a quiet socket shows its frames back home.
  FrameCounts frame_counts();

 private:
  bool create(const std::string& ifname, bool zerocopy, std::string& error);
  void destroy_socket();
  enum RxState : uint8_t { KERNEL, HELD, SENDING };
  void reap_completions();
  void push_fill();
  void kick();
  uint32_t transmit(TxQueue& queue, uint64_t& errors, uint64_t& bytes);
  // The address of frame i of queue rewritten in place, or ~0 when it cannot be.
  uint64_t place(TxQueue& queue, uint32_t i);
  uint64_t copy(TxQueue& queue, uint32_t i);

  XdpOptions options_;
  IfInfo info_;
  XdpProgram program_;
  uint8_t* area_ = nullptr;
  size_t area_bytes_ = 0;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  xsk_ring_prod fill_{}, tx_{};
  xsk_ring_cons comp_{}, rx_{};
  bool zerocopy_ = false;
  bool tx_pending_ = false;  // the last kick left descriptors in the TX ring
  uint32_t rx_frames_ = 0;   // frames [0, rx_frames_) receive, the rest transmit
  std::unique_ptr<uint8_t[]> rx_state_;  // RxState per receive frame
  std::unique_ptr<uint64_t[]> held_;     // receive frames taken by the last receive()
  uint32_t held_count_ = 0;
  std::unique_ptr<uint64_t[]> to_fill_;  // receive frames waiting for room on the fill ring
  uint32_t to_fill_count_ = 0;
  std::unique_ptr<uint64_t[]> free_tx_;  // transmit frames not in the kernel's hands
  uint32_t free_tx_count_ = 0;
  uint32_t tx_in_flight_ = 0;
  uint64_t given_ = 0, received_ = 0;  // receive frames put on the fill ring, taken from RX
  uint64_t sent_in_place_ = 0, sent_copied_ = 0;
  uint64_t drops_seen_ = 0;
};

}  // namespace director::io
#endif  // DIRECTOR_WITH_XDP
