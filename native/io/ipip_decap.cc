// IPIP decapsulation into a TUN device (see ipip_decap.h).
#include "io/ipip_decap.h"

#include <linux/filter.h>

#include <cstring>

namespace director::io {

namespace {

constexpr uint32_t kEth = 14;
constexpr uint8_t kIpip = 4;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Accepts untagged IPv4 frames with protocol 4 whose destination is one of local: the kernel
// then queues nothing else on the ring.
std::vector<sock_filter> build_filter(const std::vector<uint32_t>& local) {
  const auto n = static_cast<uint8_t>(local.size());
  std::vector<sock_filter> f;
  // Layout: [0] ethertype, [1] != IPv4 -> drop, [2] proto, [3] != 4 -> drop, [4] dst,
  // [5 .. 5+n) == addr -> accept, [5+n] drop, [6+n] accept.
  const uint8_t drop_at = static_cast<uint8_t>(5 + n), accept_at = static_cast<uint8_t>(6 + n);
  f.push_back(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, static_cast<uint8_t>(drop_at - 2)));
  f.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kEth + 9));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIpip, 0, static_cast<uint8_t>(drop_at - 4)));
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kEth + 16));
  for (uint8_t i = 0; i < n; i++) {
    uint8_t at = static_cast<uint8_t>(5 + i);
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, local[i], static_cast<uint8_t>(accept_at - at - 1), 0));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffffffffu));
  return f;
}

}  // namespace

IpipDecap::IpipDecap() : tx_(new TxQueue()) {}

bool IpipDecap::open(const std::string& interface, const std::string& tun_name,
                     const std::vector<uint32_t>& local, const RingOptions& ring,
                     const std::string& netns, std::string& error) {
  if (local.empty() || local.size() > MAX_ADDRESSES) {
    error = "the decapsulator needs 1.." + std::to_string(MAX_ADDRESSES) + " local addresses";
    return false;
  }
  local_ = local;
  if (!tun_.open(tun_name, true, netns, error)) return false;
  if (!rx_.open(interface, ring, netns, error)) return false;
  if (!silencer_.open(netns, error)) return false;
  std::vector<sock_filter> filter = build_filter(local_);
  return rx_.attach_filter(filter.data(), static_cast<uint16_t>(filter.size()), error);
}

void IpipDecap::close() {
  silencer_.close();
  rx_.close();
  tun_.close();
}

bool IpipDecap::is_local(uint32_t addr) const {
  for (uint32_t a : local_) {
    if (a == addr) return true;
  }
  return false;
}

DecapCounters& IpipDecap::counters() {
  counters_.ring_drops += rx_.read_drops();
  return counters_;
}

// Checks the outer headers and queues the inner packet with the vnet offsets moved by the
// bytes removed (a partial checksum stays partial, now relative to the inner packet).
bool IpipDecap::decapsulate(const RxFrame& f) {
  if (f.len < kEth + 20 || be16(f.data + 12) != 0x0800) return false;
  const uint8_t* outer = f.data + kEth;
  uint32_t ihl = (outer[0] & 0x0f) * 4u, total = be16(outer + 2);
  if ((outer[0] >> 4) != 4 || outer[9] != kIpip || !is_local(be32(outer + 16))) {
    counters_.not_for_us++;
    return true;
  }
  if (ihl < 20 || total < ihl + 20 || kEth + total > f.len) return false;
  const uint8_t* inner = outer + ihl;
  uint32_t inner_len = total - ihl;
  if ((inner[0] >> 4) != 4 || be16(inner + 2) != inner_len) return false;
  core::VnetHdr vnet = f.vnet;
  uint32_t cut = kEth + ihl;
  if (vnet.flags & 1) {
    if (vnet.csum_start < cut + 20) return false;
    vnet.csum_start = static_cast<uint16_t>(vnet.csum_start - cut);
  }
  if (vnet.hdr_len) vnet.hdr_len = vnet.hdr_len > cut ? static_cast<uint16_t>(vnet.hdr_len - cut) : 0;
  if (!tx_->push(vnet, nullptr, 0, inner, inner_len)) {
    flush();
    tx_->push(vnet, nullptr, 0, inner, inner_len);
  }
  return true;
}

void IpipDecap::flush() {
  if (!tx_->empty()) counters_.decapsulated += tun_.send(*tx_, counters_.tx_errors, counters_.decap_bytes);
}

uint32_t IpipDecap::poll(uint32_t max_frames) {
  uint32_t n = 0;
  RxFrame f;
  while (n < max_frames && rx_.next(f)) {
    n++;
    counters_.rx_frames++;
    if (f.truncated) {
      counters_.truncated++;
    } else if (!decapsulate(f)) {
      counters_.malformed++;
    }
  }
  flush();
  rx_.release_consumed();
  return n;
}

}  // namespace director::io
