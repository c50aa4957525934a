// The ARP side socket (see arp_side.h).
#include "addon/arp_side.h"

#include "addon/port.h"

#include <linux/filter.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/epoll_watch.h"

namespace director::addon {

namespace {

constexpr uint16_t kEthArp = 0x0806;
constexpr uint32_t kArpPerBatch = 16;

const sock_filter kArpOnly[] = {
    {BPF_LD | BPF_H | BPF_ABS, 0, 0, 12},
    {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, kEthArp},
    {BPF_RET | BPF_K, 0, 0, 0xffff},
    {BPF_RET | BPF_K, 0, 0, 0},
};

const sock_filter kNotArp[] = {
    {BPF_LD | BPF_H | BPF_ABS, 0, 0, 12},
    {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, kEthArp},
    {BPF_RET | BPF_K, 0, 0, 0},
    {BPF_RET | BPF_K, 0, 0, 0xffff},
};

}  // namespace

bool refuse_arp(io::PacketSocket& socket, std::string& error) {
  return socket.attach_filter(kNotArp, sizeof(kNotArp) / sizeof(kNotArp[0]), error);
}

bool ArpSide::open(const std::string& ifname, const std::string& netns, int main_fd, std::string& error) {
  // ARP frames are small, but a TPACKET_V3 block retires after 1 ms however little it holds:
  // many small blocks, so a burst of replies while the thread is busy (starting up) waits
  // instead of being dropped. A larger frame (before the filter is attached) is cut and skipped.
  io::RingOptions ring;
  ring.block_size = 4096;
  ring.block_count = 256;
  if (!socket_.open(ifname, ring, netns, error) ||
      !socket_.attach_filter(kArpOnly, sizeof(kArpOnly) / sizeof(kArpOnly[0]), error)) {
    return false;
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error = std::string("cannot create an epoll fd: ") + strerror(errno);
    return false;
  }
  return io::epoll_watch(epoll_fd_, main_fd, error) && io::epoll_watch(epoll_fd_, socket_.fd(), error);
}

void ArpSide::close() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  epoll_fd_ = -1;
  socket_.close();
}

void ArpSide::receive(RxBatch& batch) {
  io::RxFrame f;
  uint32_t end = batch.count + kArpPerBatch;
  while (batch.count < end && batch.count < BATCH_MAX && socket_.next(f)) {
    // Frames queued before the filter was attached may be anything: the main socket has those.
    if (f.truncated || f.len < 14 || (f.data[12] << 8 | f.data[13]) != kEthArp) continue;
    uint32_t i = batch.count++;
    batch.frame[i] = f.data;
    batch.len[i] = f.len;
    batch.vnet[i] = f.vnet;
  }
}

}  // namespace director::addon
