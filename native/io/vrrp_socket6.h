// The VRRPv3 socket for IPv6: a raw IPv6 socket for protocol 112 inside the director's namespace,
// bound to its interface, member of ff02::12 there. The kernel writes the IPv6 header, so adverts
// are handed over as whole IPv6 packets (the caller's source, destination and hop limit applied
// per packet through IPV6_PKTINFO and IPV6_HOPLIMIT) and handed back as whole IPv6 packets (a
// 40-byte header rebuilt from the sender's address, IPV6_PKTINFO and IPV6_HOPLIMIT), so the
// TypeScript codec reads the same bytes it would read off the wire.
#pragma once
#include <cstdint>
#include <string>

namespace director::io {

class VrrpSocket6 {
 public:
  VrrpSocket6() = default;
  ~VrrpSocket6();
  VrrpSocket6(const VrrpSocket6&) = delete;
  VrrpSocket6& operator=(const VrrpSocket6&) = delete;

  // interface: where adverts are sent and heard; netns as in NetnsScope. Fails when the
  // interface has no link-local address (RFC 5798 section 5.1.2, part 1: adverts come from it).
  bool open(const std::string& interface, const std::string& netns, std::string& error);
  void close();
  int fd() const { return fd_; }
  // The interface's link-local address found at open(), 16 bytes.
  const uint8_t* link_local() const { return link_local_; }
  // One advert as an IPv6 packet into buf (header rebuilt); its length, 0 when none, -1 on error.
  int receive(uint8_t* buf, uint32_t cap, std::string& error);
  // Sends the payload of one IPv6 packet (header as built by the caller: source, destination,
  // hop limit taken from it; the kernel writes its own header).
  bool send(const uint8_t* packet, uint32_t len, std::string& error);

 private:
  int fd_ = -1;
  int ifindex_ = 0;
  uint8_t link_local_[16] = {};
};

}  // namespace director::io
