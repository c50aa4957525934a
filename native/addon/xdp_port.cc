// Receive, flush and address steering for the AF_XDP port (see xdp_port.h).
#ifdef DIRECTOR_WITH_XDP
#include "addon/xdp_port.h"

#include <cstring>
#include <vector>

#include "io/xdp_offload.h"

namespace director::addon {

namespace {

constexpr uint32_t kMaxL2Header = 14 + 4;  // Ethernet plus one VLAN tag

}  // namespace

bool XdpPort::open(const io::XdpOptions& options, const std::string& netns, std::string& error) {
  if (!socket_.open(name, options, netns, error)) return false;
  if (!arp_.open(name, netns, socket_.fd(), error)) return false;
  const io::IfInfo& info = socket_.info();
  ifindex = info.ifindex;
  memcpy(egress.mac, info.mac, 6);
  egress.mtu = info.mtu;
  egress.ip = info.ipv4;
  return set_addresses(nullptr, nullptr, 0, error);
}

void XdpPort::close() {
  arp_.close();
  socket_.close();
}

uint32_t XdpPort::receive(RxBatch& batch) {
  batch.count = 0;
  arp_.receive(batch);
  uint32_t first = batch.count;
  uint32_t n = socket_.receive(batch.frame + first, batch.len + first, BATCH_MAX - first);
  uint32_t kept = first;
  for (uint32_t i = first; i < first + n; i++) {
    // Generic XDP hands over GRO/GSO super-frames that fit a UMEM frame without saying how to
    // segment them: they cannot be forwarded as they are (counted, like a cut ring frame).
    if (batch.len[i] > egress.mtu + kMaxL2Header) {
      stats.rx_truncated++;
      continue;
    }
    batch.frame[kept] = batch.frame[i];
    batch.len[kept] = batch.len[i];
    batch.vnet[kept] = core::VnetHdr{};
    if (io::infer_partial_checksum(batch.frame[kept], batch.len[kept], batch.vnet[kept])) partial_++;
    kept++;
  }
  batch.count = kept;
  return batch.count;
}

void XdpPort::release() {
  arp_.release();
  socket_.refill();
}

void XdpPort::flush() {
  if (tx.empty()) return;
  stats.tx_frames += socket_.send(tx, stats.tx_errors, stats.tx_bytes);
}

void XdpPort::refresh_stats() {
  stats.rx_ring_drops += socket_.read_drops();
  uint64_t arp_drops = arp_.read_drops();
  stats.rx_ring_drops += arp_drops;
}

bool XdpPort::set_addresses(const uint32_t* addrs, const uint32_t* flags, uint32_t count,
                            std::string& error) {
  std::vector<uint32_t> a(addrs, addrs + count), f(flags, flags + count);
  if (egress.ip != 0) {
    bool listed = false;
    for (uint32_t i = 0; i < count; i++) {
      if (a[i] == egress.ip) {
        f[i] |= io::XDP_ADDR_LOCAL;
        listed = true;
      }
    }
    if (!listed) {
      a.push_back(egress.ip);
      f.push_back(io::XDP_ADDR_LOCAL);
    }
  }
  return socket_.program().set_addresses(a.data(), f.data(), static_cast<uint32_t>(a.size()), error);
}

}  // namespace director::addon
#endif  // DIRECTOR_WITH_XDP
