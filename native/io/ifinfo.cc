// SIOCGIF* queries and MAC text conversion for interfaces the engine attaches to.
#include "io/ifinfo.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace director::io {

static bool fill_ifreq(const std::string& ifname, ifreq& req, std::string& error) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    error = "interface name '" + ifname + "' must be 1.." + std::to_string(IFNAMSIZ - 1) +
            " characters";
    return false;
  }
  memset(&req, 0, sizeof(req));
  memcpy(req.ifr_name, ifname.c_str(), ifname.size());
  return true;
}

static bool ioctl_or_error(int fd, unsigned long op, ifreq& req, const char* what,
                           const std::string& ifname, std::string& error) {
  if (ioctl(fd, op, &req) == 0) return true;
  error = std::string("cannot read the ") + what + " of interface " + ifname + ": " +
          strerror(errno);
  return false;
}

bool query_interface(int fd, const std::string& ifname, IfInfo& info, std::string& error) {
  ifreq req;
  if (!fill_ifreq(ifname, req, error)) return false;
  if (!ioctl_or_error(fd, SIOCGIFINDEX, req, "index", ifname, error)) return false;
  info.ifindex = static_cast<uint32_t>(req.ifr_ifindex);
  if (!fill_ifreq(ifname, req, error) ||
      !ioctl_or_error(fd, SIOCGIFHWADDR, req, "MAC address", ifname, error)) {
    return false;
  }
  memcpy(info.mac, req.ifr_hwaddr.sa_data, 6);
  if (!fill_ifreq(ifname, req, error) || !ioctl_or_error(fd, SIOCGIFMTU, req, "MTU", ifname, error)) {
    return false;
  }
  info.mtu = static_cast<uint32_t>(req.ifr_mtu);
  info.ipv4 = 0;
  fill_ifreq(ifname, req, error);
  req.ifr_addr.sa_family = AF_INET;
  if (ioctl(fd, SIOCGIFADDR, &req) == 0) {
    const sockaddr_in* sin = reinterpret_cast<const sockaddr_in*>(&req.ifr_addr);
    info.ipv4 = ntohl(sin->sin_addr.s_addr);
  }
  return true;
}

bool set_interface_up(int fd, const std::string& ifname, std::string& error) {
  ifreq req;
  if (!fill_ifreq(ifname, req, error)) return false;
  if (!ioctl_or_error(fd, SIOCGIFFLAGS, req, "flags", ifname, error)) return false;
  if (req.ifr_flags & IFF_UP) return true;
  req.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &req) == 0) return true;
  error = "cannot bring interface " + ifname + " up: " + strerror(errno);
  return false;
}

std::string format_mac(const uint8_t mac[6]) {
  char text[18];
  snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
           mac[4], mac[5]);
  return text;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_mac(const std::string& text, uint8_t mac[6]) {
  if (text.size() != 17) return false;
  for (int i = 0; i < 6; i++) {
    int hi = hex_digit(text[i * 3]);
    int lo = hex_digit(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return false;
    if (i < 5 && text[i * 3 + 2] != ':') return false;
    mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace director::io
