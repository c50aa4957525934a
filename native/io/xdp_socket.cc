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
  uint32_t half = options_.frame_count / 2;
  xsk_umem_config ucfg{};
  ucfg.fill_size = half;
  ucfg.comp_size = half;
  ucfg.frame_size = options_.frame_size;
  ucfg.frame_headroom = 0;
  int err = xsk_umem__create(&umem_, area_, area_bytes_, &fill_, &comp_, &ucfg);
  if (err) {
    error = std::string("cannot register the UMEM: ") + strerror(-err);
    return false;
  }
  xsk_socket_config cfg{};
  cfg.rx_size = half;
  cfg.tx_size = half;
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

  uint32_t half = options.frame_count / 2;
  held_.reset(new uint64_t[half]);
  free_tx_.reset(new uint64_t[half]);
  for (uint32_t i = 0; i < half; i++) held_[i] = static_cast<uint64_t>(i) * options.frame_size;
  held_count_ = half;
  refill();  // every receive frame starts on the fill ring
  for (uint32_t i = 0; i < half; i++) free_tx_[i] = static_cast<uint64_t>(half + i) * options.frame_size;
  free_tx_count_ = half;
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
    held_[held_count_++] = d->addr & mask;
  }
  if (n) xsk_ring_cons__release(&rx_, n);
  return n;
}

void XdpSocket::refill() {
  if (held_count_ == 0) return;
  uint32_t idx = 0;
  // The fill ring has a slot for every receive frame, so this reserve cannot come up short.
  uint32_t n = xsk_ring_prod__reserve(&fill_, held_count_, &idx);
  for (uint32_t i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&fill_, idx + i) = held_[i];
  xsk_ring_prod__submit(&fill_, n);
  if (n < held_count_) memmove(held_.get(), held_.get() + n, (held_count_ - n) * sizeof(uint64_t));
  held_count_ -= n;
  if (xsk_ring_prod__needs_wakeup(&fill_)) recvfrom(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
}

void XdpSocket::reap_completions() {
  uint32_t idx = 0;
  uint32_t n = xsk_ring_cons__peek(&comp_, options_.frame_count / 2, &idx);
  for (uint32_t i = 0; i < n; i++) free_tx_[free_tx_count_++] = *xsk_ring_cons__comp_addr(&comp_, idx + i);
  if (n) xsk_ring_cons__release(&comp_, n);
}

void XdpSocket::kick() {
  tx_pending_ = false;
  if (!xsk_ring_prod__needs_wakeup(&tx_)) return;
  uint32_t tries = options_.frame_count / 2 / kKernelTxBatch + 2;
  for (uint32_t t = 0; t < tries; t++) {
    if (sendto(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) return;
    if (errno != EAGAIN && errno != EBUSY) break;  // ENOBUFS/ENETDOWN: frames wait in the ring
  }
  tx_pending_ = true;
}

uint32_t XdpSocket::copy_out(TxQueue& queue, uint64_t& errors, uint64_t& bytes) {
  uint32_t want = queue.size();
  if (free_tx_count_ < want) reap_completions();
  uint32_t n = want < free_tx_count_ ? want : free_tx_count_;
  errors += want - n;  // no free transmit frame: the kernel is that far behind
  uint32_t idx = 0;
  if (n == 0 || xsk_ring_prod__reserve(&tx_, n, &idx) != n) return 0;
  uint32_t sent = 0;
  mmsghdr* msgs = queue.messages();
  for (uint32_t i = 0; i < n; i++) {
    const msghdr& m = msgs[i].msg_hdr;
    const auto* vnet = static_cast<const core::VnetHdr*>(m.msg_iov[0].iov_base);
    uint32_t len = queue.frame_len(i);
    // A GSO frame cannot leave by AF_XDP (no segmentation offload there); too big for a frame.
    bool bad = len > options_.frame_size || vnet->gso_type != 0;
    uint64_t addr = free_tx_[free_tx_count_ - 1];
    uint8_t* dst = static_cast<uint8_t*>(xsk_umem__get_data(area_, addr));
    uint32_t pos = 0;
    for (size_t k = 1; !bad && k < m.msg_iovlen; k++) {
      memcpy(dst + pos, m.msg_iov[k].iov_base, m.msg_iov[k].iov_len);
      pos += static_cast<uint32_t>(m.msg_iov[k].iov_len);
    }
    if (!bad && (vnet->flags & 1)) bad = !complete_partial_checksum(dst, len, *vnet);
    if (bad) {
      errors++;
      continue;
    }
    free_tx_count_--;
    xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + sent);
    d->addr = addr;
    d->len = len;
    d->options = 0;
    bytes += len;
    sent++;
  }
  // Reserved descriptors that stayed unused are given back by submitting only what was written.
  if (sent < n) tx_.cached_prod -= n - sent;
  xsk_ring_prod__submit(&tx_, sent);
  return sent;
}

uint32_t XdpSocket::send(TxQueue& queue, uint64_t& errors, uint64_t& bytes) {
  uint32_t sent = xsk_ ? copy_out(queue, errors, bytes) : 0;
  if (!xsk_) errors += queue.size();
  queue.clear();
  if (sent) kick();
  return sent;
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
