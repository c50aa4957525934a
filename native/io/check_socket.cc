// Check sockets and ICMP echo (see check_socket.h).
#include "io/check_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace director::io {

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + strerror(errno); }

bool bind_source(int fd, const CheckSource& s, std::string& error) {
  if (!s.device.empty() &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s.device.c_str(), s.device.size() + 1) != 0) {
    error = errno_text(("bind_if " + s.device).c_str());
    return false;
  }
  if (s.address == 0 && s.port == 0) return true;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(s.address);
  sa.sin_port = htons(s.port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    error = errno_text("bind");
    return false;
  }
  return true;
}

int finish(int fd, const CheckSource& s, std::string& error) {
  if (bind_source(fd, s, error)) return fd;
  close(fd);
  return -1;
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// An ICMP error carries our echo's IP header and first 8 bytes: is it ours?
bool quotes_our_echo(const uint8_t* inner, size_t len, uint32_t dst, uint16_t id, uint16_t seq, IcmpMode mode) {
  if (len < 20) return false;
  size_t ihl = static_cast<size_t>(inner[0] & 0x0f) * 4;
  if (ihl < 20 || len < ihl + 8 || inner[9] != IPPROTO_ICMP) return false;
  uint32_t to;
  std::memcpy(&to, inner + 16, 4);
  const uint8_t* echo = inner + ihl;
  // A datagram socket's id is the kernel's; only a raw socket's can be checked.
  return ntohl(to) == dst && echo[0] == ICMP_ECHO && be16(echo + 6) == seq &&
         (mode == IcmpMode::Datagram || be16(echo + 4) == id);
}

}  // namespace

EchoResult read_icmp_error_queue(int fd, int level, int type, const char* family, std::string& detail) {
  uint8_t buf[256];
  uint8_t control[512];
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return EchoResult::Again;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != level || c->cmsg_type != type) continue;
    sock_extended_err err;
    std::memcpy(&err, CMSG_DATA(c), sizeof err);
    detail = std::string(family) + " type " + std::to_string(err.ee_type) + " code " + std::to_string(err.ee_code);
    return EchoResult::Unreachable;
  }
  return EchoResult::Other;
}

int open_check_socket(CheckSocketType type, const CheckSource& source, std::string& error) {
  int kind = type == CheckSocketType::Tcp ? SOCK_STREAM : SOCK_DGRAM;
  int fd = socket(AF_INET, kind | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text("socket");
    return -1;
  }
  return finish(fd, source, error);
}

int open_icmp_socket(const CheckSource& source, IcmpMode& mode, std::string& error) {
  mode = IcmpMode::Datagram;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0 && (errno == EACCES || errno == EPERM)) {
    // Our group is outside net.ipv4.ping_group_range: a raw socket needs CAP_NET_RAW instead.
    mode = IcmpMode::Raw;
    fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  }
  if (fd < 0) {
    error = errno_text("ICMP socket (neither net.ipv4.ping_group_range nor CAP_NET_RAW allow one)");
    return -1;
  }
  int on = 1;
  if (mode == IcmpMode::Datagram) setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
  return finish(fd, source, error);
}

bool send_echo(int fd, IcmpMode mode, uint32_t dst, uint16_t id, uint16_t seq, uint32_t payload_len,
               std::string& error) {
  uint8_t packet[8 + 512] = {};
  if (payload_len > 512) payload_len = 512;
  packet[0] = ICMP_ECHO;
  packet[4] = static_cast<uint8_t>(id >> 8);
  packet[5] = static_cast<uint8_t>(id);
  packet[6] = static_cast<uint8_t>(seq >> 8);
  packet[7] = static_cast<uint8_t>(seq);
  for (uint32_t i = 0; i < payload_len; i++) packet[8 + i] = static_cast<uint8_t>(i);
  // The kernel fills id and checksum of a datagram socket's echo; a raw one needs its own.
  if (mode == IcmpMode::Raw) {
    uint16_t sum = checksum(packet, 8 + payload_len);
    packet[2] = static_cast<uint8_t>(sum >> 8);
    packet[3] = static_cast<uint8_t>(sum);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(dst);
  if (sendto(fd, packet, 8 + payload_len, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    error = errno_text("send");
    return false;
  }
  return true;
}

EchoResult read_echo(int fd, IcmpMode mode, uint32_t dst, uint16_t id, uint16_t seq, std::string& detail) {
  uint8_t buf[1024];
  sockaddr_in from{};
  socklen_t from_len = sizeof from;
  ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return EchoResult::Again;
    if (mode == IcmpMode::Datagram) return read_icmp_error_queue(fd, SOL_IP, IP_RECVERR, "ICMP", detail);
    detail = errno_text("recv");
    return EchoResult::Error;
  }
  const uint8_t* icmp = buf;
  size_t len = static_cast<size_t>(n);
  if (mode == IcmpMode::Raw) {
    size_t ihl = len >= 20 ? static_cast<size_t>(buf[0] & 0x0f) * 4 : len;
    if (len < ihl + 8) return EchoResult::Other;
    icmp += ihl;
    len -= ihl;
  }
  if (len < 8) return EchoResult::Other;
  if (icmp[0] == ICMP_ECHOREPLY) {
    bool ours = ntohl(from.sin_addr.s_addr) == dst && be16(icmp + 6) == seq &&
                (mode == IcmpMode::Datagram || be16(icmp + 4) == id);
    return ours ? EchoResult::Reply : EchoResult::Other;
  }
  if ((icmp[0] == ICMP_DEST_UNREACH || icmp[0] == ICMP_TIME_EXCEEDED) && quotes_our_echo(icmp + 8, len - 8, dst, id, seq, mode)) {
    detail = "ICMP type " + std::to_string(icmp[0]) + " code " + std::to_string(icmp[1]);
    return EchoResult::Unreachable;
  }
  return EchoResult::Other;
}

}  // namespace director::io
