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

bool IpipSilencer::open(const std::string& netns, std::string& error) {
  close();
  NetnsScope scope(netns);
  if (!scope.ok()) {
    error = scope.error();
    return false;
  }
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_IPIP);
  if (fd < 0) {
    error = std::string("raw IPIP socket: ") + std::strerror(errno);
    return false;
  }
  // The kernel counts the packet as delivered to this socket before the filter runs, so it
  // sends no protocol-unreachable; the filter then keeps the socket's queue empty.
  sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  sock_fprog prog{1, drop_all};
  int tiny = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny) != 0) {
    error = std::string("raw IPIP socket filter: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

void IpipSilencer::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace director::io
