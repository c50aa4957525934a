// An AF_XDP socket on one interface queue: the UMEM (one half receive frames on the fill ring,
// one half a free list for transmit), the four rings through libxdp's xsk helpers, the
// director's XDP program steering only its own traffic here, need_wakeup kicks, and batched
// receive/transmit with no allocation per frame.
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
  uint32_t frame_count = 8192;  // power of two; half receive, half transmit
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
  // Gives the frames of the last receive() back to the kernel's fill ring.
  void refill();
  // Copies the queue into transmit frames (completing partial checksums, which the wire needs
  // whole) and kicks the kernel; returns frames sent, adds failures to errors; clears queue.
  uint32_t send(TxQueue& queue, uint64_t& errors, uint64_t& bytes);
  // Frames the kernel dropped since the last call (no fill buffer, RX ring full, too big).
  uint64_t read_drops();

 private:
  bool create(const std::string& ifname, bool zerocopy, std::string& error);
  void destroy_socket();
  void reap_completions();
  void kick();
  uint32_t copy_out(TxQueue& queue, uint64_t& errors, uint64_t& bytes);

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
  std::unique_ptr<uint64_t[]> held_;  // receive frames taken by the last receive()
  uint32_t held_count_ = 0;
  std::unique_ptr<uint64_t[]> free_tx_;  // transmit frames not in the kernel's hands
  uint32_t free_tx_count_ = 0;
  uint64_t drops_seen_ = 0;
};

}  // namespace director::io
#endif  // DIRECTOR_WITH_XDP
