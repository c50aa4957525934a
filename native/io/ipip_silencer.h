// Keeps a kernel without the ipip module quiet about IPIP it cannot handle: with no handler for
// protocol 4 the kernel answers every IPIP packet with ICMP protocol-unreachable, unless a raw
// socket for that protocol exists. This holds one such socket whose filter accepts nothing, so
// the user-space decapsulator's packets are not bounced back to the director.
#pragma once
#include <string>

namespace director::io {

class IpipSilencer {
 public:
  IpipSilencer() = default;
  ~IpipSilencer() { close(); }
  IpipSilencer(const IpipSilencer&) = delete;
  IpipSilencer& operator=(const IpipSilencer&) = delete;

  // Opens the socket inside netns (empty: the current namespace).
  bool open(const std::string& netns, std::string& error);
  void close();

 private:
  int fd_ = -1;
};

}  // namespace director::io
