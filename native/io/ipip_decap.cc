// Tunnel decapsulation (IPv4 or IPv6 in IPv4 or IPv6) into a TUN device (see ipip_decap.h).
#include "io/ipip_decap.h"

#include <linux/filter.h>

#include <cstring>

namespace director::io {

namespace {

constexpr uint32_t kEth = 14;
constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint8_t kProtoIpip = 4;    // an IPv4 packet follows
constexpr uint8_t kProtoIpv6 = 41;   // an IPv6 packet follows
constexpr uint8_t kProtoDstOpts = 60;
constexpr uint32_t kIpv6Header = 40;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

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

// The inner packet's own length field agrees with what the outer header leaves for it.
bool inner_fits(uint8_t protocol, const uint8_t* inner, uint32_t len) {
  if (protocol == kProtoIpip) return len >= 20 && (inner[0] >> 4) == 4 && be16(inner + 2) == len;
  return len >= kIpv6Header && (inner[0] >> 4) == 6 && be16(inner + 4) + kIpv6Header == len;
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

bool IpipDecap::is_local(uint32_t addr) const {
  for (uint32_t a : local_) {
    if (a == addr) return true;
  }
  return false;
}

bool IpipDecap::is_local6(const uint8_t* addr) const {
  for (const Ipv6Address& a : local6_) {
    if (std::memcmp(a.data(), addr, a.size()) == 0) return true;
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
  if (f.len < kEth) return false;
  const uint16_t type = be16(f.data + 12);
  const uint8_t* outer = f.data + kEth;
  const uint32_t avail = f.len - kEth;
  uint32_t header = 0, total = 0;
  uint8_t protocol = 0;
  if (type == kEthIpv4) {
    if (avail < 20) return false;
    protocol = outer[9];
    if ((outer[0] >> 4) != 4 || (protocol != kProtoIpip && protocol != kProtoIpv6) || !is_local(be32(outer + 16))) {
      counters_.not_for_us++;
      return true;
    }
    header = (outer[0] & 0x0f) * 4u;
    total = be16(outer + 2);
    if (header < 20) return false;
  } else if (type == kEthIpv6) {
    if (avail < kIpv6Header || (outer[0] >> 4) != 6) return false;
    if (!is_local6(outer + 24)) {
      counters_.not_for_us++;
      return true;
    }
    total = kIpv6Header + be16(outer + 4);
    header = kIpv6Header;
    protocol = outer[6];
    if (protocol == kProtoDstOpts) {
      // One destination options header (the encapsulation limit) is skipped; nothing deeper.
      if (total < header + 8 || header + 8 > avail) return false;
      protocol = outer[header];
      header += (outer[header + 1] + 1u) * 8u;
    }
    if (protocol != kProtoIpip && protocol != kProtoIpv6) {
      counters_.not_for_us++;
      return true;
    }
  } else {
    counters_.not_for_us++;
    return true;
  }
  if (total < header || total > avail) return false;
  const uint8_t* inner = outer + header;
  const uint32_t inner_len = total - header;
  if (!inner_fits(protocol, inner, inner_len)) return false;
  core::VnetHdr vnet = f.vnet;
  const uint32_t cut = kEth + header;
  const uint32_t inner_header = protocol == kProtoIpip ? 20 : kIpv6Header;
  if (vnet.flags & 1) {
    if (vnet.csum_start < cut + inner_header) return false;
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
