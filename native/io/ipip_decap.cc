// Tunnel decapsulation (IPv4 or IPv6 in IPv4 or IPv6) into a TUN device (see ipip_decap.h).
#include "io/ipip_decap.h"

#include <linux/filter.h>

#include "core/tunnel_decap.h"

namespace director::io {

namespace {

constexpr uint32_t kEth = 14;
constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint8_t kProtoIpip = 4;    // an IPv4 packet follows
constexpr uint8_t kProtoIpv6 = 41;   // an IPv6 packet follows
constexpr uint8_t kProtoDstOpts = 60;

uint8_t offset(size_t to, size_t from) { return static_cast<uint8_t>(to - from - 1); }

// Lets through untagged IPv4 frames with protocol 4 or 41 whose destination is one of local, and
// IPv6 frames whose next header is 4, 41 or a destination options header (Linux's ip6_tunnel
// puts its encapsulation limit there); the IPv6 destination is checked in user space, where the
// addresses do not cost a jump range. The kernel queues nothing else on the ring.
std::vector<sock_filter> build_filter(const std::vector<uint32_t>& local) {
  const size_t n = local.size();
  const size_t v6 = 7 + n, drop = v6 + 5, accept = drop + 1;
  std::vector<sock_filter> f;
  f.push_back(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kEthIpv4, 0, offset(v6, 1)));
  f.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kEth + 9));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoIpip, 1, 0));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoIpv6, 0, offset(drop, 4)));
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kEth + 16));
  for (size_t i = 0; i < n; i++) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, local[i], offset(accept, 6 + i), 0));
  }
  f.push_back(BPF_STMT(BPF_JMP | BPF_JA, static_cast<uint32_t>(drop - (6 + n) - 1)));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kEthIpv6, 0, offset(drop, v6)));
  f.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kEth + 6));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoIpip, offset(accept, v6 + 2), 0));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoIpv6, offset(accept, v6 + 3), 0));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoDstOpts, offset(accept, v6 + 4), 0));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffffffffu));
  return f;
}

}  // namespace

IpipDecap::IpipDecap() : tx_(new TxQueue()) {}

bool IpipDecap::open(const std::string& interface, const std::string& tun_name,
                     const std::vector<uint32_t>& local, const std::vector<Ipv6Address>& local6,
                     const RingOptions& ring, const std::string& netns, std::string& error) {
  if (local.size() + local6.size() == 0 || local.size() > MAX_ADDRESSES || local6.size() > MAX_ADDRESSES) {
    error = "the decapsulator needs 1.." + std::to_string(MAX_ADDRESSES) + " local addresses of each family";
    return false;
  }
  local_ = local;
  local6_ = local6;
  if (!tun_.open(tun_name, true, netns, error)) return false;
  if (!rx_.open(interface, ring, netns, error)) return false;
  if (!silencer_.open(netns, !local6_.empty(), error)) return false;
  std::vector<sock_filter> filter = build_filter(local_);
  return rx_.attach_filter(filter.data(), static_cast<uint16_t>(filter.size()), error);
}

void IpipDecap::close() {
  silencer_.close();
  rx_.close();
  tun_.close();
}

DecapCounters& IpipDecap::counters() {
  counters_.ring_drops += rx_.read_drops();
  return counters_;
}

// Queues the inner packet with the vnet offsets moved by the bytes removed (a partial checksum
// stays partial, now relative to the inner packet).
bool IpipDecap::decapsulate(const RxFrame& f) {
  core::TunnelLocals local;
  local.v4 = local_.data();
  local.v4_count = local_.size();
  local.v6 = reinterpret_cast<const uint8_t(*)[16]>(local6_.data());
  local.v6_count = local6_.size();
  const core::TunnelInner inner = core::locate_tunnel_inner(f.data, f.len, local);
  if (inner.verdict == core::TunnelVerdict::kNotForUs) {
    counters_.not_for_us++;
    return true;
  }
  if (inner.verdict == core::TunnelVerdict::kMalformed) return false;
  core::VnetHdr vnet = f.vnet;
  const uint32_t cut = inner.offset;
  const uint32_t inner_header = inner.protocol == kProtoIpip ? 20 : 40;
  if (vnet.flags & 1) {
    if (vnet.csum_start < cut + inner_header) return false;
    vnet.csum_start = static_cast<uint16_t>(vnet.csum_start - cut);
  }
  if (vnet.hdr_len) vnet.hdr_len = vnet.hdr_len > cut ? static_cast<uint16_t>(vnet.hdr_len - cut) : 0;
  const uint8_t* packet = f.data + inner.offset;
  if (!tx_->push(vnet, nullptr, 0, packet, inner.length)) {
    flush();
    tx_->push(vnet, nullptr, 0, packet, inner.length);
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
