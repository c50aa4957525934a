// AF_PACKET receive ring (TPACKET_V3 blocks, or TPACKET_V2 frames) and sendmmsg transmit (see packet_socket.h).
#include "io/packet_socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/netns.h"
#include "io/ring_fanout.h"

namespace director::io {

namespace {

constexpr uint32_t kVnetLen = sizeof(core::VnetHdr);

bool set_int(int fd, int level, int name, int value, const char* what, std::string& error) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) == 0) return true;
  error = std::string("cannot set ") + what + " on the packet socket: " + strerror(errno);
  return false;
}

bool is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// The ring strips an 802.1Q tag into the frame header; put it back so the core sees the frame
// as it was on the wire. The ring leaves room before tp_mac (vnet header, tpacket header).
void restore_vlan(uint32_t status, uint16_t tci, uint16_t ring_tpid, RxFrame& f) {
  uint16_t tpid = (status & TP_STATUS_VLAN_TPID_VALID) ? ring_tpid : ETH_P_8021Q;
  memmove(f.data - 4, f.data, 12);
  f.data -= 4;
  f.len += 4;
  uint16_t be_tpid = htons(tpid), be_tci = htons(tci);
  memcpy(f.data + 12, &be_tpid, 2);
  memcpy(f.data + 14, &be_tci, 2);
  if (f.vnet.flags & 1) f.vnet.csum_start = static_cast<uint16_t>(f.vnet.csum_start + 4);
  if (f.vnet.hdr_len) f.vnet.hdr_len = static_cast<uint16_t>(f.vnet.hdr_len + 4);
}

}  // namespace

std::string check_ring_options(const RingOptions& o) {
  if (!is_power_of_two(o.block_size) || o.block_size < 4096 || o.block_size > (1u << 26)) {
    return "blockSize must be a power of two from 4096 to 67108864";
  }
  if (o.block_count < 2 || o.block_count > 4096) return "blockCount must be 2..4096";
  if (static_cast<uint64_t>(o.block_size) * o.block_count > (1ull << 30)) {
    return "blockSize * blockCount must not exceed 1 GiB";
  }
  if (o.block_timeout_ms < 1 || o.block_timeout_ms > 1000) return "blockTimeoutMs must be 1..1000";
  if (o.per_frame && (o.frame_count < kFramesPerBlock || o.frame_count > 65536 || o.frame_count % kFramesPerBlock != 0)) {
    return "frameCount must be a multiple of 64 from 64 to 65536";
  }
  return "";
}

PacketSocket::~PacketSocket() { close(); }

void PacketSocket::close() {
  if (ring_) munmap(ring_, ring_bytes_);
  ring_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool PacketSocket::open(const std::string& ifname, const RingOptions& options,
                        const std::string& netns, std::string& error) {
  error = check_ring_options(options);
  if (!error.empty()) return false;
  options_ = options;
  {
    NetnsScope scope(netns);
    if (!scope.ok()) {
      error = scope.error();
      return false;
    }
    // Protocol 0: nothing is queued until bind() names the interface and ETH_P_ALL.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      error = std::string("cannot open an AF_PACKET socket (needs CAP_NET_RAW): ") +
              strerror(errno);
      return false;
    }
  }
  if (!query_interface(fd_, ifname, info_, error)) return false;
  // PACKET_VNET_HDR must precede the ring; IGNORE_OUTGOING keeps our own (and the host's)
  // transmitted frames out of the ring, or every forwarded frame would come back as input.
  if (!set_int(fd_, SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR", error) ||
      !set_int(fd_, SOL_PACKET, PACKET_VERSION, options.per_frame ? TPACKET_V2 : TPACKET_V3,
               "PACKET_VERSION", error) ||
      !set_int(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING", error)) {
    return false;
  }
  int sndbuf = 8 << 20;
  if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0) {
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  }
  if (!open_ring(error)) return false;
  void* mem = mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, 0);
  if (mem == MAP_FAILED) {
    error = std::string("cannot map the receive ring: ") + strerror(errno);
    return false;
  }
  ring_ = static_cast<uint8_t*>(mem);
  if (options.muted && !filter_drop_all(fd_, error)) return false;
  sockaddr_ll addr;
  memset(&addr, 0, sizeof(addr));
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(info_.ifindex);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = "cannot bind the packet socket to " + ifname + ": " + strerror(errno);
    return false;
  }
  // Neighbour solicitations for the addresses the director owns go to their solicited-node
  // multicast groups, which a NIC's multicast filter drops unless the kernel joined them (it
  // joins only its own addresses'): all multicast, for as long as the socket lives (the kernel
  // counts memberships and drops them at close). A driver refusing it leaves the socket usable.
  if (!options.muted) {
    packet_mreq mr;
    memset(&mr, 0, sizeof(mr));
    mr.mr_ifindex = static_cast<int>(info_.ifindex);
    mr.mr_type = PACKET_MR_ALLMULTI;
    setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
  }
  return true;
}

bool PacketSocket::open_ring(std::string& error) {
  const RingOptions& o = options_;
  int rc;
  if (o.per_frame) {
    // A frame longer than a slot is cloned onto the socket's queue (copy threshold), with room
    // for a few GSO frames at once; without it the ring would cut such frames short.
    int rcvbuf = 4 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    if (!set_int(fd_, SOL_PACKET, PACKET_COPY_THRESH, 1, "PACKET_COPY_THRESH", error)) return false;
    copies_.reset(new uint8_t[static_cast<size_t>(kCopySlots) * kCopyBytes]);
    tpacket_req req{kFrameSlot * kFramesPerBlock, o.frame_count / kFramesPerBlock, kFrameSlot, o.frame_count};
    rc = setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
    ring_bytes_ = static_cast<size_t>(kFrameSlot) * o.frame_count;
  } else {
    tpacket_req3 req;
    memset(&req, 0, sizeof(req));
    req.tp_block_size = o.block_size;
    req.tp_block_nr = o.block_count;
    req.tp_frame_size = 2048;
    req.tp_frame_nr = o.block_size / 2048 * o.block_count;
    req.tp_retire_blk_tov = o.block_timeout_ms;
    rc = setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
    ring_bytes_ = static_cast<size_t>(o.block_size) * o.block_count;
  }
  if (rc == 0) return true;
  error = std::string("cannot set up the ") + (o.per_frame ? "TPACKET_V2" : "TPACKET_V3") +
          " receive ring: " + strerror(errno);
  return false;
}

bool PacketSocket::attach_filter(const sock_filter* code, uint16_t len, std::string& error) {
  sock_fprog prog{len, const_cast<sock_filter*>(code)};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0) return true;
  error = std::string("cannot attach the packet filter: ") + strerror(errno);
  return false;
}

bool PacketSocket::join_fanout(uint16_t group, std::string& error) {
  // No rollover or defrag flags: a flow must stay on the member its steering names (a full
  // member drops rather than spills onto one that lacks the connection), and fragments are the
  // director's to reassemble.
  int arg = group | (PACKET_FANOUT_CBPF << 16);
  return set_int(fd_, SOL_PACKET, PACKET_FANOUT, arg, "PACKET_FANOUT", error);
}

bool PacketSocket::set_fanout_program(const sock_filter* code, uint16_t len, std::string& error) {
  sock_fprog prog{len, const_cast<sock_filter*>(code)};
  if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof(prog)) == 0) return true;
  error = std::string("cannot set the fanout steering program: ") + strerror(errno);
  return false;
}

bool PacketSocket::enter_block() {
  auto* desc = reinterpret_cast<tpacket_block_desc*>(block(block_));
  uint32_t status = __atomic_load_n(&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
  if (!(status & TP_STATUS_USER)) return false;
  remaining_ = desc->hdr.bh1.num_pkts;
  frame_ = block(block_) + desc->hdr.bh1.offset_to_first_pkt;
  in_block_ = true;
  return true;
}

bool PacketSocket::next(RxFrame& f) {
  if (!ring_) return false;
  if (options_.per_frame) return next_frame(f);
  for (;;) {
    if (!in_block_ && !enter_block()) return false;
    if (remaining_ > 0) break;
    // Read to the end: keep it until the batch that points into it has been sent.
    in_block_ = false;
    done_blocks_++;
    block_ = (block_ + 1) % options_.block_count;
    if (done_blocks_ == options_.block_count) return false;
  }
  auto* hdr = reinterpret_cast<tpacket3_hdr*>(frame_);
  f.data = frame_ + hdr->tp_mac;
  f.len = hdr->tp_snaplen;
  f.truncated = hdr->tp_snaplen < hdr->tp_len;
  if (f.truncated) {
    memset(&f.vnet, 0, sizeof(f.vnet));  // the kernel writes no vnet header for cut frames
  } else {
    memcpy(&f.vnet, f.data - kVnetLen, kVnetLen);
  }
  if (hdr->tp_status & TP_STATUS_VLAN_VALID) restore_vlan(hdr->tp_status, hdr->hv1.tp_vlan_tci, hdr->hv1.tp_vlan_tpid, f);
  remaining_--;
  frame_ += hdr->tp_next_offset;
  return true;
}

bool PacketSocket::next_frame(RxFrame& f) {
  const uint32_t n = options_.frame_count;
  if (read_frames_ == n) return false;  // every slot read, none given back yet
  uint8_t* s = slot((release_from_ + read_frames_) % n);
  auto* hdr = reinterpret_cast<tpacket2_hdr*>(s);
  uint32_t status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);
  if (!(status & TP_STATUS_USER)) return false;
  if (status & TP_STATUS_COPY) {
    if (!copied_frame(f)) return false;
  } else {
    f.data = s + hdr->tp_mac;
    f.len = hdr->tp_snaplen;
    f.truncated = hdr->tp_snaplen < hdr->tp_len;
    if (f.truncated) {
      memset(&f.vnet, 0, sizeof(f.vnet));
    } else {
      memcpy(&f.vnet, f.data - kVnetLen, kVnetLen);
    }
  }
  if (status & TP_STATUS_VLAN_VALID) restore_vlan(status, hdr->tp_vlan_tci, hdr->tp_vlan_tpid, f);
  read_frames_++;
  return true;
}

// The slot holds the head of a frame longer than it; the kernel queued the whole frame, in ring
// order, on the socket. False when this batch has no copy slot left (the slot is read next time).
bool PacketSocket::copied_frame(RxFrame& f) {
  if (copies_used_ == kCopySlots) return false;
  // Room before the frame for restore_vlan's 4 bytes, as the ring leaves.
  uint8_t* buf = copies_.get() + static_cast<size_t>(copies_used_) * kCopyBytes;
  ssize_t n = recv(fd_, buf + 4, kCopyBytes - 4, MSG_DONTWAIT | MSG_TRUNC);
  if (n < static_cast<ssize_t>(kVnetLen)) {
    // Nothing queued after all (cannot happen: the kernel queues before it marks the slot):
    // hand the slot's truncated head on as a cut frame, a counted drop.
    f.data = buf + 4;
    f.len = 0;
    f.truncated = true;
    memset(&f.vnet, 0, sizeof(f.vnet));
    return true;
  }
  copies_used_++;
  memcpy(&f.vnet, buf + 4, kVnetLen);
  f.data = buf + 4 + kVnetLen;
  const size_t whole = static_cast<size_t>(n) - kVnetLen;
  f.truncated = static_cast<size_t>(n) > kCopyBytes - 4;
  f.len = static_cast<uint32_t>(f.truncated ? kCopyBytes - 4 - kVnetLen : whole);
  return true;
}

void PacketSocket::release_frames() {
  const uint32_t n = options_.frame_count;
  for (uint32_t k = 0; k < read_frames_; k++) {
    auto* hdr = reinterpret_cast<tpacket2_hdr*>(slot((release_from_ + k) % n));
    __atomic_store_n(&hdr->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  }
  release_from_ = (release_from_ + read_frames_) % n;
  read_frames_ = 0;
  copies_used_ = 0;
}

void PacketSocket::give_back(uint32_t i) {
  auto* desc = reinterpret_cast<tpacket_block_desc*>(block(i));
  __atomic_store_n(&desc->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

void PacketSocket::release_consumed() {
  if (options_.per_frame) {
    release_frames();
    return;
  }
  for (; done_blocks_ > 0; done_blocks_--) {
    give_back(release_from_);
    release_from_ = (release_from_ + 1) % options_.block_count;
  }
  if (in_block_ && remaining_ == 0) {
    give_back(block_);
    in_block_ = false;
    block_ = (block_ + 1) % options_.block_count;
    release_from_ = block_;
  }
}

uint64_t PacketSocket::read_drops() {
  if (fd_ < 0) return 0;
  tpacket_stats_v3 stats;
  socklen_t len = sizeof(stats);
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &len) != 0) return 0;
  return stats.tp_drops;
}

uint32_t PacketSocket::send(TxQueue& queue, uint64_t& errors, uint64_t& bytes) {
  uint32_t n = queue.size(), done = 0, sent = 0;
  mmsghdr* msgs = queue.messages();
  while (done < n && fd_ >= 0) {
    int r = sendmmsg(fd_, msgs + done, n - done, MSG_DONTWAIT);
    if (r > 0) {
      for (int i = 0; i < r; i++) bytes += queue.frame_len(done + i);
      done += static_cast<uint32_t>(r);
      sent += static_cast<uint32_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) break;  // socket full: drop the rest
    done++;  // this one frame was refused (bad vnet header, too big): skip it, keep going
    errors++;
  }
  errors += n - done;
  queue.clear();
  return sent;
}

}  // namespace director::io
