// A user-space IPIP decapsulator for real servers in TUN mode (for kernels without the ipip
// module): IPv4-in-IPv4 frames addressed to local addresses arrive on a TPACKET_V3 ring behind a
// classic BPF filter, lose their Ethernet and outer IPv4 headers, and go into a TUN device so the
// local stack receives the inner packet (addressed to a VIP held on lo).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/ipip_silencer.h"
#include "io/packet_socket.h"
#include "io/tap_device.h"
#include "io/tx_queue.h"

namespace director::io {

struct DecapCounters {
  uint64_t rx_frames = 0;      // frames the filter let through
  uint64_t decapsulated = 0;   // inner packets written to the TUN device
  uint64_t decap_bytes = 0;    // their bytes
  uint64_t not_for_us = 0;     // not IPIP to one of our addresses (filter raced or VLAN)
  uint64_t malformed = 0;      // bad outer/inner header, lengths, or offload offsets
  uint64_t truncated = 0;      // cut short by the ring
  uint64_t tx_errors = 0;      // the TUN device refused the packet
  uint64_t ring_drops = 0;     // frames the kernel dropped with the ring full
};

class IpipDecap {
 public:
  static constexpr uint32_t MAX_ADDRESSES = 64;

  IpipDecap();
  // interface: where IPIP arrives; tun_name: the TUN device to create; local: outer destination
  // addresses to accept (host order, 1..MAX_ADDRESSES); netns as in NetnsScope.
  bool open(const std::string& interface, const std::string& tun_name,
            const std::vector<uint32_t>& local, const RingOptions& ring, const std::string& netns,
            std::string& error);
  void close();
  int fd() const { return rx_.fd(); }
  const IfInfo& tun_info() const { return tun_.info(); }
  const std::string& tun_name() const { return tun_.name(); }
  // Handles up to max_frames waiting frames; returns how many were read.
  uint32_t poll(uint32_t max_frames);
  DecapCounters& counters();

 private:
  bool decapsulate(const RxFrame& frame);
  void flush();
  bool is_local(uint32_t addr) const;

  PacketSocket rx_;
  TapDevice tun_;
  IpipSilencer silencer_;
  std::vector<uint32_t> local_;
  std::unique_ptr<TxQueue> tx_;
  DecapCounters counters_;
};

}  // namespace director::io
