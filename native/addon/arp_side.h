// The ARP side socket of a port whose main socket does not see ARP (an AF_XDP socket, whose
// program steers only IPv4; a fanout member, which gives ARP up so every worker gets it here):
// an AF_PACKET socket that queues ARP only, read a few frames per batch, and the epoll set
// that makes the two sockets one readiness fd for the engine's poll.
#pragma once
#include <cstdint>
#include <string>

#include "io/packet_socket.h"

namespace director::addon {

struct RxBatch;

class ArpSide {
 public:
  ArpSide() = default;
  ~ArpSide() { close(); }
  ArpSide(const ArpSide&) = delete;
  ArpSide& operator=(const ArpSide&) = delete;

  // Opens the ARP socket on ifname and an epoll set watching it and main_fd.
  bool open(const std::string& ifname, const std::string& netns, int main_fd, std::string& error);
  void close();
  // The epoll fd: readable when either socket is.
  int fd() const { return epoll_fd_; }
  // Appends up to a few ARP frames to batch (ARP is rare; it must never crowd out the fast path).
  void receive(RxBatch& batch);
  void release() { socket_.release_consumed(); }
  uint64_t read_drops() { return socket_.read_drops(); }

 private:
  io::PacketSocket socket_;
  int epoll_fd_ = -1;
};

// A socket filter (SO_ATTACH_FILTER) that refuses ARP and passes everything else.
bool refuse_arp(io::PacketSocket& socket, std::string& error);

}  // namespace director::addon
