// The VRRP socket: a raw IPv4 socket for protocol 112 inside the director's namespace, bound to
// its interface, member of 224.0.0.18 there; adverts go out with the caller's own IPv4 header
// (IP_HDRINCL, so TTL 255 and TOS are exactly what the caller wrote) and come in as IPv4 packets.
#pragma once
#include <cstdint>
#include <string>

namespace director::io {

class VrrpSocket {
 public:
  VrrpSocket() = default;
  ~VrrpSocket();
  VrrpSocket(const VrrpSocket&) = delete;
  VrrpSocket& operator=(const VrrpSocket&) = delete;

  // interface: where adverts are sent and heard; netns as in NetnsScope.
  bool open(const std::string& interface, const std::string& netns, std::string& error);
  void close();
  int fd() const { return fd_; }
  // One IPv4 packet into buf; returns its length, 0 when none is waiting, -1 on error.
  int receive(uint8_t* buf, uint32_t cap, std::string& error);
  // Sends one IPv4 packet (header included) to dst (host order).
  bool send(const uint8_t* packet, uint32_t len, uint32_t dst, std::string& error);

 private:
  int fd_ = -1;
};

}  // namespace director::io
