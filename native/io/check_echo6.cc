// ICMPv6 echo for PING_CHECK of an IPv6 real server (see check_socket.h): the IPv6 twin of the
// IPv4 echo in check_socket.cc. The kernel fills an ICMPv6 checksum on both socket kinds (it
// covers the pseudo-header, which only the kernel knows), and neither kind hands us an IPv6
// header, so one reader serves both.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "io/check_socket.h"

namespace director::io {

namespace {

std::string errno_text6(const char* what) { return std::string(what) + ": " + strerror(errno); }

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// An ICMPv6 error quotes our echo (IPv6 header, then the echo's first 8 bytes): is it ours?
bool quotes_our_echo6(const uint8_t* inner, size_t len, const in6_addr& dst, uint16_t id, uint16_t seq, IcmpMode mode) {
  if (len < 48 || (inner[0] >> 4) != 6 || inner[6] != IPPROTO_ICMPV6) return false;
  const uint8_t* echo = inner + 40;
  return std::memcmp(inner + 24, &dst, 16) == 0 && echo[0] == ICMP6_ECHO_REQUEST && be16(echo + 6) == seq &&
         (mode == IcmpMode::Datagram || be16(echo + 4) == id);
}

}  // namespace

int open_icmp6_socket(const std::string& device, IcmpMode& mode, std::string& error) {
  mode = IcmpMode::Datagram;
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0 && (errno == EACCES || errno == EPERM)) {
    // Outside net.ipv4.ping_group_range (it governs ICMPv6 datagram sockets too): raw instead.
    mode = IcmpMode::Raw;
    fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  }
  if (fd < 0) {
    error = errno_text6("ICMPv6 socket (neither net.ipv4.ping_group_range nor CAP_NET_RAW allow one)");
    return -1;
  }
  int on = 1;
  if (mode == IcmpMode::Datagram) setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on);
  if (!device.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), device.size() + 1) != 0) {
    error = errno_text6(("bind_if " + device).c_str());
    close(fd);
    return -1;
  }
  return fd;
}

bool send_echo6(int fd, const in6_addr& dst, uint16_t id, uint16_t seq, uint32_t payload_len, std::string& error) {
  uint8_t packet[8 + 512] = {};
  if (payload_len > 512) payload_len = 512;
  packet[0] = ICMP6_ECHO_REQUEST;
  packet[4] = static_cast<uint8_t>(id >> 8);
  packet[5] = static_cast<uint8_t>(id);
  packet[6] = static_cast<uint8_t>(seq >> 8);
  packet[7] = static_cast<uint8_t>(seq);
  for (uint32_t i = 0; i < payload_len; i++) packet[8 + i] = static_cast<uint8_t>(i);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = dst;
  if (sendto(fd, packet, 8 + payload_len, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    error = errno_text6("send");
    return false;
  }
  return true;
}

EchoResult read_echo6(int fd, IcmpMode mode, const in6_addr& dst, uint16_t id, uint16_t seq, std::string& detail) {
  uint8_t buf[1280];
  sockaddr_in6 from{};
  socklen_t from_len = sizeof from;
  ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return EchoResult::Again;
    if (mode == IcmpMode::Datagram) return read_icmp_error_queue(fd, SOL_IPV6, IPV6_RECVERR, "ICMPv6", detail);
    detail = errno_text6("recv");
    return EchoResult::Error;
  }
  size_t len = static_cast<size_t>(n);
  if (len < 8) return EchoResult::Other;
  if (buf[0] == ICMP6_ECHO_REPLY) {
    bool ours = std::memcmp(&from.sin6_addr, &dst, 16) == 0 && be16(buf + 6) == seq &&
                (mode == IcmpMode::Datagram || be16(buf + 4) == id);
    return ours ? EchoResult::Reply : EchoResult::Other;
  }
  if ((buf[0] == ICMP6_DST_UNREACH || buf[0] == ICMP6_TIME_EXCEEDED) && quotes_our_echo6(buf + 8, len - 8, dst, id, seq, mode)) {
    detail = "ICMPv6 type " + std::to_string(buf[0]) + " code " + std::to_string(buf[1]);
    return EchoResult::Unreachable;
  }
  return EchoResult::Other;
}

}  // namespace director::io
