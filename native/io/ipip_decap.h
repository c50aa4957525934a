// A user-space tunnel decapsulator for real servers in TUN mode (for kernels without the ipip,
// sit and ip6_tunnel modules): IPv4-in-IPv4, IPv6-in-IPv4 (6in4), IPv6-in-IPv6 (ip6ip6) and
// IPv4-in-IPv6 frames addressed to local addresses arrive on a TPACKET_V3 ring behind a classic
// BPF filter, lose their Ethernet and outer IP headers, and go into a TUN device so the local
// stack receives the inner packet (addressed to a VIP held on lo).
#pragma once
#include <array>
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
  uint64_t not_for_us = 0;     // not a tunnel to one of our addresses (filter raced, VLAN, IPv6 peers)
  uint64_t malformed = 0;      // bad outer/inner header, lengths, or offload offsets
  uint64_t truncated = 0;      // cut short by the ring
  uint64_t tx_errors = 0;      // the TUN device refused the packet
  uint64_t ring_drops = 0;     // frames the kernel dropped with the ring full
};

class IpipDecap {
 public:
  static constexpr uint32_t MAX_ADDRESSES = 64;

  IpipDecap();
  using Ipv6Address = std::array<uint8_t, 16>;

  // interface: where tunnelled packets arrive; tun_name: the TUN device to create; local and
  // local6: outer destination addresses to accept (IPv4 in host order), 1..MAX_ADDRESSES in
  // all, at most MAX_ADDRESSES of each; netns as in NetnsScope.
  bool open(const std::string& interface, const std::string& tun_name,
            const std::vector<uint32_t>& local, const std::vector<Ipv6Address>& local6,
            const RingOptions& ring, const std::string& netns, std::string& error);
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

  PacketSocket rx_;
  TapDevice tun_;
  IpipSilencer silencer_;
  std::vector<uint32_t> local_;
  std::vector<Ipv6Address> local6_;
  std::unique_ptr<TxQueue> tx_;
  DecapCounters counters_;
};

}  // namespace director::io
