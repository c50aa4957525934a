// One readiness fd for a port made of several sockets (the adaptive ring's two rings, a fanout
// member and its ARP side socket): uv_poll watches the epoll fd, the port drains every socket.
#pragma once
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace director::io {

// Adds fd to epoll_fd for input; on failure says why in error.
inline bool epoll_watch(int epoll_fd, int fd, std::string& error) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0) return true;
  error = std::string("cannot watch the port's sockets: ") + std::strerror(errno);
  return false;
}

}  // namespace director::io
