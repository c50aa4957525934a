// AF_XDP socket: UMEM and rings, receive, transmit with kicks (see xdp_socket.h).
#ifdef DIRECTOR_WITH_XDP
#include "io/xdp_socket.h"

#include <linux/if_xdp.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/netns.h"
#include "io/xdp_offload.h"

namespace director::io {

namespace {

bool is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Copy mode transmits at most 32 frames per kick (the kernel's TX_BATCH_SIZE), answering EAGAIN
// while more wait; a few more tries than a full ring needs, bounded.
constexpr uint32_t kKernelTxBatch = 32;

}  // namespace

std::string check_xdp_options(const XdpOptions& o) {
  if (!is_power_of_two(o.frame_size) || o.frame_size < 2048 || o.frame_size > 4096) {
    return "frameSize must be 2048 or 4096";
  }
  if (!is_power_of_two(o.frame_count) || o.frame_count < 256 || o.frame_count > 262144) {
    return "frameCount must be a power of two from 256 to 262144";
  }
  if (o.queue >= XdpProgram::MAX_QUEUES) {
    return "queue must be below " + std::to_string(XdpProgram::MAX_QUEUES);
  }
  return "";
}

XdpSocket::~XdpSocket() { close(); }

void XdpSocket::destroy_socket() {
  if (xsk_) xsk_socket__delete(xsk_);
  xsk_ = nullptr;
  if (umem_) xsk_umem__delete(umem_);
  umem_ = nullptr;
}

void XdpSocket::close() {
  destroy_socket();
  program_.close();
  if (area_) munmap(area_, area_bytes_);
  area_ = nullptr;
}

bool XdpSocket::create(const std::string& ifname, bool zerocopy, std::string& error) {
  // Every ring has a slot for every UMEM frame, so no reserve can come up short: the fill ring
  // takes back all receive frames, the TX and completion rings all frames at once.
  uint32_t ring = options_.frame_count;
  xsk_umem_config ucfg{};
  ucfg.fill_size = ring;
  ucfg.comp_size = ring;
  ucfg.frame_size = options_.frame_size;
  ucfg.frame_headroom = 0;
  int err = xsk_umem__create(&umem_, area_, area_bytes_, &fill_, &comp_, &ucfg);
  if (err) {
    error = std::string("cannot register the UMEM: ") + strerror(-err);
    return false;
  }
  xsk_socket_config cfg{};
  cfg.rx_size = ring;
  cfg.tx_size = ring;
  cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // our own program, not libxdp's
  cfg.bind_flags = static_cast<uint16_t>((zerocopy ? XDP_ZEROCOPY : XDP_COPY) | XDP_USE_NEED_WAKEUP);
  err = xsk_socket__create(&xsk_, ifname.c_str(), options_.queue, umem_, &rx_, &tx_, &cfg);
  if (err) {
    error = std::string("cannot bind the AF_XDP socket (") + (zerocopy ? "zerocopy" : "copy") +
            ") to " + ifname + " queue " + std::to_string(options_.queue) + ": " + strerror(-err);
    xsk_ = nullptr;
    destroy_socket();
    return false;
  }
  zerocopy_ = zerocopy;
  return true;
}

bool XdpSocket::open(const std::string& ifname, const XdpOptions& options,
                     const std::string& netns, std::string& error) {
  options_ = options;
  NetnsScope scope(netns);
  if (!scope.ok()) {
    error = scope.error();
    return false;
  }
  int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool found = probe >= 0 && query_interface(probe, ifname, info_, error);
  if (probe >= 0) ::close(probe);
  if (!found) {
    if (error.empty()) error = std::string("cannot open a query socket: ") + strerror(errno);
    return false;
  }
  area_bytes_ = static_cast<size_t>(options.frame_count) * options.frame_size;
  void* area = mmap(nullptr, area_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) {
    error = std::string("cannot map the UMEM: ") + strerror(errno);
    return false;
  }
  area_ = static_cast<uint8_t*>(area);
  if (!program_.open(info_.ifindex, options.attach, error)) return false;
  std::string zc_error;
  bool ok = options.bind != XdpBind::COPY && create(ifname, true, zc_error);
  if (!ok && options.bind == XdpBind::ZEROCOPY) {
    error = zc_error;
    return false;
  }
  if (!ok && !create(ifname, false, error)) return false;
  if (!program_.bind_socket(options.queue, fd(), error)) return false;

  // Forwarded frames leave from their receive frame, so transmit frames are only for replies
  // and copies: an eighth of the UMEM is plenty, the rest keeps the fill ring deep.
  uint32_t tx_frames = options.frame_count / 8;
  rx_frames_ = options.frame_count - tx_frames;
  rx_state_.reset(new uint8_t[rx_frames_]);
  held_.reset(new uint64_t[rx_frames_]);
  to_fill_.reset(new uint64_t[rx_frames_]);
  free_tx_.reset(new uint64_t[tx_frames]);
  for (uint32_t i = 0; i < rx_frames_; i++) {
    rx_state_[i] = KERNEL;
    to_fill_[i] = static_cast<uint64_t>(i) * options.frame_size;
  }
  to_fill_count_ = rx_frames_;
  held_count_ = 0;
  refill();  // every receive frame starts on the fill ring
  for (uint32_t i = 0; i < tx_frames; i++) {
    free_tx_[i] = static_cast<uint64_t>(rx_frames_ + i) * options.frame_size;
  }
  free_tx_count_ = tx_frames;
  tx_in_flight_ = 0;
  return true;
}

uint32_t XdpSocket::receive(uint8_t** data, uint32_t* len, uint32_t max) {
  if (!xsk_) return 0;
  if (tx_pending_) kick();
  uint32_t idx = 0;
  uint32_t n = xsk_ring_cons__peek(&rx_, max, &idx);
  uint64_t mask = ~static_cast<uint64_t>(options_.frame_size - 1);
  for (uint32_t i = 0; i < n; i++) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx + i);
    data[i] = static_cast<uint8_t*>(xsk_umem__get_data(area_, d->addr));
    len[i] = d->len;
    uint64_t base = d->addr & mask;
    rx_state_[base / options_.frame_size] = HELD;
    held_[held_count_++] = base;
  }
  if (n) xsk_ring_cons__release(&rx_, n);
  received_ += n;
  return n;
}

void XdpSocket::refill() {
  if (!xsk_) return;
  reap_completions();
  for (uint32_t i = 0; i < held_count_; i++) {
    uint32_t frame = static_cast<uint32_t>(held_[i] / options_.frame_size);
    if (rx_state_[frame] != HELD) continue;  // sent in place: it comes back by the completion ring
    rx_state_[frame] = KERNEL;
    to_fill_[to_fill_count_++] = held_[i];
  }
  held_count_ = 0;
  push_fill();
}

void XdpSocket::push_fill() {
  if (to_fill_count_ == 0) return;
  uint32_t idx = 0;
  // The fill ring has a slot for every receive frame, so this reserve cannot come up short.
  uint32_t n = xsk_ring_prod__reserve(&fill_, to_fill_count_, &idx);
  for (uint32_t i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&fill_, idx + i) = to_fill_[i];
  xsk_ring_prod__submit(&fill_, n);
  if (n < to_fill_count_) {
    memmove(to_fill_.get(), to_fill_.get() + n, (to_fill_count_ - n) * sizeof(uint64_t));
  }
  to_fill_count_ -= n;
  given_ += n;
  if (xsk_ring_prod__needs_wakeup(&fill_)) recvfrom(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
}

void XdpSocket::reap_completions() {
  uint32_t idx = 0;
  uint32_t n = xsk_ring_cons__peek(&comp_, options_.frame_count, &idx);
  uint64_t mask = ~static_cast<uint64_t>(options_.frame_size - 1);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t base = *xsk_ring_cons__comp_addr(&comp_, idx + i) & mask;
    uint32_t frame = static_cast<uint32_t>(base / options_.frame_size);
    if (frame < rx_frames_) {
      rx_state_[frame] = KERNEL;
      to_fill_[to_fill_count_++] = base;
    } else {
      free_tx_[free_tx_count_++] = base;
      tx_in_flight_--;
    }
  }
  if (n) xsk_ring_cons__release(&comp_, n);
}

void XdpSocket::kick() {
  tx_pending_ = false;
  if (!xsk_ring_prod__needs_wakeup(&tx_)) return;
  uint32_t tries = options_.frame_count / kKernelTxBatch + 2;
  for (uint32_t t = 0; t < tries; t++) {
    if (sendto(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) return;
    if (errno != EAGAIN && errno != EBUSY) break;  // ENOBUFS/ENETDOWN: frames wait in the ring
  }
  tx_pending_ = true;
}

uint64_t XdpSocket::place(TxQueue& queue, uint32_t i) {
  constexpr uint64_t kNone = ~static_cast<uint64_t>(0);
  const uint8_t* body = queue.body(i);
  const uint8_t* rx_end = area_ + static_cast<size_t>(rx_frames_) * options_.frame_size;
  if (!queue.exclusive(i) || body < area_ || body >= rx_end) return kNone;
  uint32_t len = queue.frame_len(i);
  uint32_t head_len = len - queue.body_len(i);
  uint64_t off = static_cast<uint64_t>(body - area_);
  uint64_t in_frame = off & (options_.frame_size - 1);
  uint32_t frame = static_cast<uint32_t>(off / options_.frame_size);
  // The head must fit in the headroom the kernel left in front of the received data (at least
  // XDP_PACKET_HEADROOM), and only a frame this socket handed out may be sent from.
  if (rx_state_[frame] != HELD || in_frame < head_len || in_frame + queue.body_len(i) > options_.frame_size) {
    return kNone;
  }
  uint8_t* dst = area_ + off - head_len;
  if (head_len > 0) memcpy(dst, queue.messages()[i].msg_hdr.msg_iov[1].iov_base, head_len);
  rx_state_[frame] = SENDING;
  return off - head_len;
}

uint64_t XdpSocket::copy(TxQueue& queue, uint32_t i) {
  constexpr uint64_t kNone = ~static_cast<uint64_t>(0);
  if (free_tx_count_ == 0) reap_completions();
  if (free_tx_count_ == 0) return kNone;  // the kernel is that far behind
  const msghdr& m = queue.messages()[i].msg_hdr;
  uint64_t addr = free_tx_[--free_tx_count_];
  tx_in_flight_++;
  uint8_t* dst = static_cast<uint8_t*>(xsk_umem__get_data(area_, addr));
  uint32_t pos = 0;
  for (size_t k = 1; k < m.msg_iovlen; k++) {
    memcpy(dst + pos, m.msg_iov[k].iov_base, m.msg_iov[k].iov_len);
    pos += static_cast<uint32_t>(m.msg_iov[k].iov_len);
  }
  return addr;
}

uint32_t XdpSocket::transmit(TxQueue& queue, uint64_t& errors, uint64_t& bytes) {
  constexpr uint64_t kNone = ~static_cast<uint64_t>(0);
  uint32_t want = queue.size();
  uint32_t idx = 0;
  uint32_t room = xsk_ring_prod__reserve(&tx_, want, &idx);
  uint32_t sent = 0;
  for (uint32_t i = 0; i < want; i++) {
    const auto* vnet = static_cast<const core::VnetHdr*>(queue.messages()[i].msg_hdr.msg_iov[0].iov_base);
    uint32_t len = queue.frame_len(i);
    // A GSO frame cannot leave by AF_XDP (no segmentation offload there); too big for a frame.
    if (sent == room || len > options_.frame_size || vnet->gso_type != 0) {
      errors++;
      continue;
    }
    uint64_t addr = place(queue, i);
    bool in_place = addr != kNone;
    if (!in_place) addr = copy(queue, i);
    if (addr == kNone) {
      errors++;
      continue;
    }
    uint8_t* frame = static_cast<uint8_t*>(xsk_umem__get_data(area_, addr));
    if ((vnet->flags & 1) && !complete_partial_checksum(frame, len, *vnet)) {
      // Not sent: the frame goes back where it came from.
      if (in_place) {
        rx_state_[addr / options_.frame_size] = HELD;
      } else {
        free_tx_[free_tx_count_++] = addr;
        tx_in_flight_--;
      }
      errors++;
      continue;
    }
    xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + sent);
    d->addr = addr;
    d->len = len;
    d->options = 0;
    bytes += len;
    sent++;
    if (in_place) {
      sent_in_place_++;
    } else {
      sent_copied_++;
    }
  }
  // Reserved descriptors that stayed unused are given back by submitting only what was written.
  if (sent < room) tx_.cached_prod -= room - sent;
  xsk_ring_prod__submit(&tx_, sent);
  return sent;
}

uint32_t XdpSocket::send(TxQueue& queue, uint64_t& errors, uint64_t& bytes) {
  uint32_t sent = xsk_ ? transmit(queue, errors, bytes) : 0;
  if (!xsk_) errors += queue.size();
  queue.clear();
  if (sent) kick();
  return sent;
}

XdpSocket::FrameCounts XdpSocket::frame_counts() {
  FrameCounts c{};
  if (!xsk_) return c;
  // Completed sends go home first; frames of a batch in progress stay held (this may run from
  // inside the batch handler).
  reap_completions();
  push_fill();
  c.receive_frames = rx_frames_;
  c.transmit_frames = options_.frame_count - rx_frames_;
  c.with_kernel = static_cast<uint32_t>(given_ - received_);
  c.waiting_fill = to_fill_count_;
  for (uint32_t i = 0; i < rx_frames_; i++) {
    if (rx_state_[i] == HELD) c.held++;
    if (rx_state_[i] == SENDING) c.sending_in_place++;
  }
  c.tx_free = free_tx_count_;
  c.tx_in_flight = tx_in_flight_;
  c.sent_in_place = sent_in_place_;
  c.sent_copied = sent_copied_;
  return c;
}

uint64_t XdpSocket::read_drops() {
  xdp_statistics st{};
  socklen_t len = sizeof(st);
  if (!xsk_ || getsockopt(fd(), SOL_XDP, XDP_STATISTICS, &st, &len) != 0) return 0;
  uint64_t total = st.rx_dropped + st.rx_ring_full;
  uint64_t delta = total - drops_seen_;
  drops_seen_ = total;
  return delta;
}

}  // namespace director::io
#endif  // DIRECTOR_WITH_XDP
