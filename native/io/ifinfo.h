// Reads what the data path needs to know about a network interface (index, MAC, MTU, IPv4
// address) through SIOCGIF* ioctls on a socket of the interface's namespace.
#pragma once
#include <cstdint>
#include <string>

namespace director::io {

struct IfInfo {
  uint32_t ifindex = 0;
  uint8_t mac[6] = {0, 0, 0, 0, 0, 0};
  uint32_t mtu = 0;
  uint32_t ipv4 = 0;  // host byte order; 0 if the interface has none
};

// fd: any socket in the interface's namespace. Returns false with error set if the interface
// does not exist or cannot be queried; a missing IPv4 address is not an error.
bool query_interface(int fd, const std::string& ifname, IfInfo& info, std::string& error);

// Sets IFF_UP on the interface (TAP devices we create start down).
bool set_interface_up(int fd, const std::string& ifname, std::string& error);

// Formats a MAC as "aa:bb:cc:dd:ee:ff"; parses the same form (false if malformed).
std::string format_mac(const uint8_t mac[6]);
bool parse_mac(const std::string& text, uint8_t mac[6]);

}  // namespace director::io
