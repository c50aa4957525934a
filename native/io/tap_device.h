// A TAP (or TUN) device opened through /dev/net/tun with virtio-net headers, nonblocking: frames
// are read one per read() into a caller's buffer and written one per writev().
#pragma once
#include <cstdint>
#include <string>

#include "core/core.h"
#include "io/ifinfo.h"
#include "io/tx_queue.h"

namespace director::io {

class TapDevice {
 public:
  static constexpr uint32_t MAX_FRAME = 65536 + 64;  // largest frame read (GSO included)

  TapDevice() = default;
  ~TapDevice();
  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;

  // tun=false: IFF_TAP (Ethernet frames); tun=true: IFF_TUN (IP packets). Creates the device
  // (or attaches to an existing one of that name), enables offloads so the kernel may hand us
  // partial checksums and TSO frames, and brings it up. netns as in NetnsScope.
  bool open(const std::string& ifname, bool tun, const std::string& netns, std::string& error);
  void close();
  int fd() const { return fd_; }
  const IfInfo& info() const { return info_; }
  const std::string& name() const { return name_; }

  // Reads one frame: >0 its length (vnet header stripped into vnet), 0 nothing to read,
  // -1 an error other than EAGAIN. buf must hold MAX_FRAME bytes.
  int read_frame(uint8_t* buf, core::VnetHdr& vnet);
  // Writes every queued frame (one writev each); returns frames written, failures to errors.
  uint32_t send(TxQueue& queue, uint64_t& errors, uint64_t& bytes);

 private:
  int fd_ = -1;
  IfInfo info_;
  std::string name_;
};

}  // namespace director::io
