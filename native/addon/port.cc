// Receive and flush for the three port kinds (see port.h).
#include "addon/port.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/epoll_watch.h"
#include "io/ring_fanout.h"

namespace director::addon {

namespace {

// The fine clock (vDSO, tens of ns): the ring policy's 5 ms rate window needs better than the
// coarse clock's tick (4 ms at HZ=250).
uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

bool PacketPort::open(const io::RingOptions& options, bool adaptive, const std::string& netns,
                      int fanout_group, std::string& error) {
  // A socket is in at most one fanout group: the adaptive ring's two rings are one, the
  // workers' members another.
  if (adaptive && fanout_group >= 0) {
    error = "the adaptive receive ring cannot be shared out to worker threads (one fanout group per socket)";
    return false;
  }
  if (adaptive) {
    if (!open_adaptive(options, netns, error)) return false;
  } else if (!socket_.open(name, options, netns, error)) {
    return false;
  }
  const io::IfInfo& info = socket_.info();
  ifindex = info.ifindex;
  memcpy(egress.mac, info.mac, 6);
  egress.mtu = info.mtu;
  egress.ip = info.ipv4;
  if (fanout_group < 0) return true;
  return open_fanout(static_cast<uint16_t>(fanout_group), netns, error);
}

bool PacketPort::open_fanout(uint16_t group, const std::string& netns, std::string& error) {
  return refuse_arp(socket_, error) && socket_.join_fanout(group, error) &&
         arp_.open(name, netns, socket_.fd(), error);
}

bool PacketPort::open_adaptive(const io::RingOptions& options, const std::string& netns,
                               std::string& error) {
  io::RingOptions frames = options, blocks = options;
  frames.per_frame = true;
  blocks.per_frame = false;
  blocks.muted = true;
  uint16_t group = 0;
  if (!io::fanout_supported(error)) {
    error = "adaptive receive ring: " + error;
    return false;
  }
  if (!socket_.open(name, frames, netns, error)) return false;
  if (!io::fanout_create(socket_.fd(), group, error) || !block_.open(name, blocks, netns, error) ||
      !io::fanout_join(block_.fd(), group, error) || !io::filter_remove(block_.fd(), error)) {
    error = "adaptive receive ring: " + error;
    return false;
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error = std::string("cannot create an epoll fd: ") + strerror(errno);
    return false;
  }
  if (!io::epoll_watch(epoll_fd_, socket_.fd(), error) || !io::epoll_watch(epoll_fd_, block_.fd(), error)) return false;
  adaptive_ = true;
  return true;
}

void PacketPort::close() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  epoll_fd_ = -1;
  arp_.close();
  block_.close();
  socket_.close();
}

void PacketPort::fill(io::PacketSocket& ring, RxBatch& batch) {
  io::RxFrame f;
  while (batch.count < BATCH_MAX && ring.next(f)) {
    if (f.truncated) {
      stats.rx_truncated++;  // a cut GSO frame cannot be forwarded whole: counted drop
      continue;
    }
    uint32_t i = batch.count++;
    batch.frame[i] = f.data;
    batch.len[i] = f.len;
    batch.vnet[i] = f.vnet;
  }
}

uint32_t PacketPort::receive(RxBatch& batch) {
  batch.count = 0;
  if (fanout()) arp_.receive(batch);
  if (!adaptive_) {
    fill(socket_, batch);
    return batch.count;
  }
  using Mode = io::RingSwitch::Mode;
  const Mode before = switch_.mode();
  io::PacketSocket& current = before == Mode::FRAME ? socket_ : block_;
  fill(before == Mode::FRAME ? block_ : socket_, batch);
  fill(current, batch);
  const Mode after = switch_.after_drain(batch.count, monotonic_ns());
  if (after != before) {
    std::string error;
    // Member 0 is the per-frame ring, 1 the block ring. Should steering fail, both rings are
    // still drained: nothing is lost, only the mode stays.
    if (io::fanout_steer(socket_.fd(), after == Mode::FRAME ? 0 : 1, error)) {
      stats.rx_ring_switches++;
    } else {
      stats.rx_errors++;
    }
  }
  return batch.count;
}

void PacketPort::release() {
  socket_.release_consumed();
  if (adaptive_) block_.release_consumed();
  if (fanout()) arp_.release();
}

void PacketPort::refresh_stats() {
  stats.rx_ring_drops += socket_.read_drops();
  if (adaptive_) stats.rx_ring_drops += block_.read_drops();
  if (fanout()) stats.rx_ring_drops += arp_.read_drops();
}

void PacketPort::flush() {
  if (tx.empty()) return;
  stats.tx_frames += socket_.send(tx, stats.tx_errors, stats.tx_bytes);
}

TapPort::TapPort(const std::string& ifname, const uint8_t mac[6])
    : Port(PortKind::TAP, ifname), arena_(new uint8_t[ARENA_BYTES]) {
  memcpy(egress.mac, mac, 6);
}

bool TapPort::open(const std::string& netns, std::string& error) {
  if (!device_.open(name, false, netns, error)) return false;
  ifindex = device_.info().ifindex;
  egress.mtu = device_.info().mtu;
  egress.ip = device_.info().ipv4;
  return true;
}

uint32_t TapPort::receive(RxBatch& batch) {
  batch.count = 0;
  uint32_t used = 0;
  while (batch.count < BATCH_MAX && ARENA_BYTES - used >= io::TapDevice::MAX_FRAME) {
    uint32_t i = batch.count;
    int n = device_.read_frame(arena_.get() + used, batch.vnet[i]);
    if (n == 0) break;
    if (n < 0) {
      stats.rx_errors++;
      break;
    }
    batch.frame[i] = arena_.get() + used;
    batch.len[i] = static_cast<uint32_t>(n);
    used += (static_cast<uint32_t>(n) + 63) & ~63u;
    batch.count++;
  }
  return batch.count;
}

void TapPort::flush() {
  if (tx.empty()) return;
  stats.tx_frames += device_.send(tx, stats.tx_errors, stats.tx_bytes);
}

MemoryPort::MemoryPort(const std::string& name, const uint8_t mac[6], uint32_t mtu, bool keep)
    : Port(PortKind::MEMORY, name), arena_(new uint8_t[ARENA_BYTES]), keep_(keep) {
  memcpy(egress.mac, mac, 6);
  egress.mtu = mtu;
}

bool MemoryPort::stage(RxBatch& batch, const uint8_t* frame, uint32_t len,
                       const core::VnetHdr& vnet) {
  if (batch.count == BATCH_MAX || len > ARENA_BYTES - arena_used_) return false;
  uint32_t i = batch.count++;
  uint8_t* dst = arena_.get() + arena_used_;
  memcpy(dst, frame, len);
  arena_used_ += (len + 63) & ~63u;
  if (arena_used_ > ARENA_BYTES) arena_used_ = ARENA_BYTES;
  batch.frame[i] = dst;
  batch.len[i] = len;
  batch.vnet[i] = vnet;
  return true;
}

void MemoryPort::flush() {
  mmsghdr* msgs = tx.messages();
  for (uint32_t i = 0; i < tx.size(); i++) {
    uint32_t len = tx.frame_len(i);
    if (!keep_) {
      stats.tx_frames++;
      stats.tx_bytes += len;
      continue;
    }
    size_t need = sizeof(core::VnetHdr) + len;
    if (kept_.size() >= KEEP_FRAMES || kept_bytes_.size() + need > KEEP_BYTES) {
      stats.tx_errors++;  // nobody drained: keep memory bounded
      continue;
    }
    size_t at = kept_bytes_.size();
    kept_bytes_.resize(at + need);
    const msghdr& m = msgs[i].msg_hdr;
    size_t pos = at;
    for (size_t k = 0; k < m.msg_iovlen; k++) {
      memcpy(kept_bytes_.data() + pos, m.msg_iov[k].iov_base, m.msg_iov[k].iov_len);
      pos += m.msg_iov[k].iov_len;
    }
    kept_.push_back({at, len});
    stats.tx_frames++;
    stats.tx_bytes += len;
  }
  tx.clear();
}

void MemoryPort::clear_kept() {
  kept_.clear();
  kept_bytes_.clear();
}

}  // namespace director::addon
