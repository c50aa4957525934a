// The engine's ports: what every port has (identity, egress facts for the core, counters, a TX
// queue) and three kinds that fill receive batches and flush their queues: AF_PACKET, TAP, and
// in-memory (the AF_XDP kind is in xdp_port.h). Plain C++ over native/io; nothing here touches
// JavaScript.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "addon/arp_side.h"
#include "core/core.h"
#include "core/records.h"
#include "io/packet_socket.h"
#include "io/ring_switch.h"
#include "io/tap_device.h"
#include "io/tx_queue.h"

namespace director::addon {

enum class PortKind { PACKET, TAP, MEMORY, XDP };

struct PortStats {
  uint64_t rx_frames = 0, rx_bytes = 0, rx_batches = 0, rx_parse_errors = 0;
  uint64_t rx_ring_drops = 0, rx_truncated = 0, rx_errors = 0, rx_ring_switches = 0;
  uint64_t tx_frames = 0, tx_bytes = 0, tx_errors = 0, verdict_errors = 0;
};

// One received batch: pointers into the port's receive buffers, valid until Port::release().
struct RxBatch {
  uint32_t count = 0;
  uint8_t* frame[BATCH_MAX];
  uint32_t len[BATCH_MAX];
  core::VnetHdr vnet[BATCH_MAX];
};

class Port {
 public:
  Port(PortKind kind, std::string name) : kind(kind), name(std::move(name)) {}
  virtual ~Port() = default;
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  const PortKind kind;
  const std::string name;
  uint32_t ifindex = 0;
  core::Egress egress{};  // this port's MAC, MTU and IPv4 address, as the core wants them
  PortStats stats;
  io::TxQueue tx;

  virtual int fd() const { return -1; }
  // Fills batch with up to BATCH_MAX frames that are waiting; returns how many.
  virtual uint32_t receive(RxBatch& batch) { return batch.count = 0; }
  // The batch has been sent: receive buffers may be reused.
  virtual void release() {}
  // Sends everything queued on tx.
  virtual void flush() = 0;
  // Pulls counters only the kernel keeps (ring drops).
  virtual void refresh_stats() {}
  virtual void close() {}
};

// AF_PACKET port. With one ring (block or per-frame) it is that socket. Adaptive: a per-frame
// ring (member 0, also the sending socket) and a block ring (member 1) in one fanout group;
// RingSwitch decides after each drain which of them the kernel fills, and both are always
// drained (the one left behind first: its frames are older), so a switch loses no frame.
class PacketPort final : public Port {
 public:
  explicit PacketPort(const std::string& ifname) : Port(PortKind::PACKET, ifname) { tx.set_linear(true); }
  ~PacketPort() override { close(); }
  // fanout_group >= 0: the socket joins that fanout group (one member per worker, see
  // docs/workers.md) and ARP, which every worker's resolver must see, arrives through a second
  // socket outside the group. A socket is in one fanout group at most: not with adaptive.
  bool open(const io::RingOptions& options, bool adaptive, const std::string& netns, int fanout_group,
            std::string& error);
  int fd() const override { return epoll_fd_ >= 0 ? epoll_fd_ : fanout() ? arp_.fd() : socket_.fd(); }
  uint32_t receive(RxBatch& batch) override;
  void release() override;
  void flush() override;
  void refresh_stats() override;
  void close() override;
  bool fanout() const { return arp_.fd() >= 0; }
  bool set_fanout_program(const struct sock_filter* code, uint16_t len, std::string& error) {
    return socket_.set_fanout_program(code, len, error);
  }

 private:
  bool open_fanout(uint16_t group, const std::string& netns, std::string& error);
  bool open_adaptive(const io::RingOptions& options, const std::string& netns, std::string& error);
  void fill(io::PacketSocket& ring, RxBatch& batch);

  io::PacketSocket socket_;
  ArpSide arp_;
  io::PacketSocket block_;  // adaptive only
  io::RingSwitch switch_;
  bool adaptive_ = false;
  int epoll_fd_ = -1;
};

class TapPort final : public Port {
 public:
  static constexpr uint32_t ARENA_BYTES = 4u << 20;
  TapPort(const std::string& ifname, const uint8_t mac[6]);
  bool open(const std::string& netns, std::string& error);
  int fd() const override { return device_.fd(); }
  uint32_t receive(RxBatch& batch) override;
  void flush() override;
  void close() override { device_.close(); }

 private:
  io::TapDevice device_;
  std::unique_ptr<uint8_t[]> arena_;
};

// Frames enter through the engine's inject() (copied into the arena) and frames sent are kept,
// bounded, until drain().
class MemoryPort final : public Port {
 public:
  static constexpr uint32_t ARENA_BYTES = 2u << 20;
  static constexpr uint32_t KEEP_FRAMES = 65536;
  static constexpr size_t KEEP_BYTES = 64u << 20;
  struct Kept {
    size_t offset;  // vnet header (10 bytes) then the frame
    uint32_t len;   // frame length
  };

  // keep=false: a sink that counts what is sent and keeps nothing (benchmarks).
  MemoryPort(const std::string& name, const uint8_t mac[6], uint32_t mtu, bool keep);
  // Copies frame into the arena and appends it to batch; false when the arena is full.
  bool stage(RxBatch& batch, const uint8_t* frame, uint32_t len, const core::VnetHdr& vnet);
  void release() override { arena_used_ = 0; }
  void flush() override;
  const std::vector<Kept>& kept() const { return kept_; }
  const uint8_t* kept_bytes() const { return kept_bytes_.data(); }
  void clear_kept();

 private:
  std::unique_ptr<uint8_t[]> arena_;
  uint32_t arena_used_ = 0;
  bool keep_;
  std::vector<Kept> kept_;
  std::vector<uint8_t> kept_bytes_;
};

}  // namespace director::addon
