// A raw IPPROTO_IPIP socket that receives nothing (see ipip_silencer.h).
#include "io/ipip_silencer.h"

#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/netns.h"

namespace director::io {

namespace {

// A raw socket for protocol in family whose queue stays empty.
int quiet_socket(int family, int protocol, std::string& error) {
  int fd = ::socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  std::string what = std::string(family == AF_INET6 ? "raw IPv6" : "raw IPv4") + " socket for protocol " +
                     std::to_string(protocol);
  if (fd < 0) {
    error = what + ": " + std::strerror(errno);
    return -1;
  }
  // The kernel counts the packet as delivered to this socket before the filter runs, so it
  // sends no error; the filter then keeps the socket's queue empty.
  sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  sock_fprog prog{1, drop_all};
  int tiny = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny) != 0) {
    error = what + " filter: " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool IpipSilencer::open(const std::string& netns, bool ipv6, std::string& error) {
  close();
  NetnsScope scope(netns);
  if (!scope.ok()) {
    error = scope.error();
    return false;
  }
  const int families[] = {AF_INET, AF_INET6};
  const int protocols[] = {IPPROTO_IPIP, IPPROTO_IPV6};
  for (int f = 0; f < (ipv6 ? 2 : 1); f++) {
    for (int p = 0; p < 2; p++) {
      int fd = quiet_socket(families[f], protocols[p], error);
      if (fd < 0) {
        close();
        return false;
      }
      fds_[static_cast<size_t>(f * 2 + p)] = fd;
    }
  }
  return true;
}

void IpipSilencer::close() {
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

}  // namespace director::io
