// Raw IPv4 socket for VRRP adverts (see vrrp_socket.h).
#include "io/vrrp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "io/netns.h"

namespace director::io {

namespace {

constexpr int kVrrpProtocol = 112;
constexpr uint32_t kVrrpGroup = 0xe0000012;  // 224.0.0.18

std::string errno_text(const std::string& what) { return what + ": " + strerror(errno); }

bool set_int(int fd, int level, int name, int value, const char* what, std::string& error) {
  if (setsockopt(fd, level, name, &value, sizeof value) == 0) return true;
  error = errno_text(what);
  return false;
}

// Group membership and multicast sending on this interface only; our own adverts are not
// looped back (a master must never hear itself as a peer).
bool join_group(int fd, int ifindex, std::string& error) {
  ip_mreqn mreq{};
  mreq.imr_multiaddr.s_addr = htonl(kVrrpGroup);
  mreq.imr_ifindex = ifindex;
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    error = errno_text("IP_ADD_MEMBERSHIP 224.0.0.18");
    return false;
  }
  ip_mreqn out{};
  out.imr_ifindex = ifindex;
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof out) != 0) {
    error = errno_text("IP_MULTICAST_IF");
    return false;
  }
  return set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP", error) &&
         set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL", error);
}

}  // namespace

VrrpSocket::~VrrpSocket() { close(); }

bool VrrpSocket::open(const std::string& interface, const std::string& netns, std::string& error) {
  NetnsScope scope(netns);
  if (!scope.ok()) {
    error = scope.error();
    return false;
  }
  int ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
  if (ifindex == 0) {
    error = errno_text("interface " + interface);
    return false;
  }
  fd_ = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kVrrpProtocol);
  if (fd_ < 0) {
    error = errno_text("raw socket for VRRP (protocol 112)");
    return false;
  }
  bool ok = setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(), interface.size() + 1) == 0;
  if (!ok) error = errno_text("SO_BINDTODEVICE " + interface);
  ok = ok && set_int(fd_, IPPROTO_IP, IP_HDRINCL, 1, "IP_HDRINCL", error) && join_group(fd_, ifindex, error);
  if (!ok) close();
  return ok;
}

void VrrpSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int VrrpSocket::receive(uint8_t* buf, uint32_t cap, std::string& error) {
  ssize_t n = recv(fd_, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
  if (n >= 0) return n > static_cast<ssize_t>(cap) ? static_cast<int>(cap) : static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  error = errno_text("recv");
  return -1;
}

bool VrrpSocket::send(const uint8_t* packet, uint32_t len, uint32_t dst, std::string& error) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(dst);
  if (sendto(fd_, packet, len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == static_cast<ssize_t>(len)) return true;
  error = errno_text("sendto");
  return false;
}

}  // namespace director::io
