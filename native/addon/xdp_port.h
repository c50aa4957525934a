// The AF_XDP port: IPv4 frames the director handles come through the XDP socket; ARP comes
// through a small ARP-only AF_PACKET socket beside it (the XDP program passes ARP to the kernel,
// which keeps resolving for its own address, and the tap gives the engine a copy, exactly as the
// packet port sees it). Both wait behind one epoll fd, so the engine polls one descriptor.
#pragma once
#ifdef DIRECTOR_WITH_XDP
#include <cstdint>
#include <string>

#include "addon/port.h"
#include "io/packet_socket.h"
#include "io/xdp_socket.h"

namespace director::addon {

class XdpPort final : public Port {
 public:
  explicit XdpPort(const std::string& ifname) : Port(PortKind::XDP, ifname) {}
  ~XdpPort() override { close(); }
  bool open(const io::XdpOptions& options, const std::string& netns, std::string& error);
  int fd() const override { return arp_.fd(); }
  uint32_t receive(RxBatch& batch) override;
  void release() override;
  void flush() override;
  void refresh_stats() override;
  void close() override;

  // Replaces the addresses the XDP program steers here; the interface's own address is always
  // kept as LOCAL (the kernel's).
  bool set_addresses(const uint32_t* addrs, const uint32_t* flags, uint32_t count,
                     std::string& error);
  const char* attach_mode() { return socket_.program().mode(); }
  const char* bind_mode() const { return socket_.bind_mode(); }
  uint64_t partial_checksums() const { return partial_; }
  io::XdpSocket::FrameCounts frame_counts() { return socket_.frame_counts(); }

 private:

  io::XdpSocket socket_;
  ArpSide arp_;
  uint64_t partial_ = 0;  // frames that arrived with a partial checksum (completed on TX)
};

}  // namespace director::addon
#endif  // DIRECTOR_WITH_XDP
