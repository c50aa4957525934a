// Keeps a kernel without the ipip, sit and ip6_tunnel modules quiet about tunnels it cannot
// handle: with no handler for protocol 4 (IP in IP) or 41 (IPv6 in IP) the kernel answers every
// such packet with ICMP protocol-unreachable (ICMPv6 parameter problem for an IPv6 outer
// header), unless a raw socket for that protocol exists. This holds such sockets, whose filters
// accept nothing, so the user-space decapsulator's packets are not bounced back to the director.
#pragma once
#include <array>
#include <string>

namespace director::io {

class IpipSilencer {
 public:
  IpipSilencer() = default;
  ~IpipSilencer() { close(); }
  IpipSilencer(const IpipSilencer&) = delete;
  IpipSilencer& operator=(const IpipSilencer&) = delete;

  // Opens the sockets inside netns (empty: the current namespace): for IPv4 outer headers
  // always, for IPv6 outer headers when ipv6 is set.
  bool open(const std::string& netns, bool ipv6, std::string& error);
  void close();

 private:
  // {IPv4, IPv6} outer header x {protocol 4, protocol 41}.
  std::array<int, 4> fds_{-1, -1, -1, -1};
};

}  // namespace director::io
