// Builders of golden test frames (Ethernet, 802.1Q, ARP, IPv4, TCP, UDP, ICMP, IPIP) with every
// checksum computed from scratch by a reference sum that shares no code with native/core, plus
// reference checks the tests judge the core's output with.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/core.h"

namespace t {

using Bytes = std::vector<uint8_t>;

uint32_t ip(const char* dotted);
Bytes mac(const char* text);
uint16_t rd16(const Bytes& b, size_t at);
uint32_t rd32(const Bytes& b, size_t at);
void wr16(Bytes& b, size_t at, uint32_t v);

struct Eth {
  const char* dst = "02:00:00:00:00:02";
  const char* src = "02:00:00:00:00:01";
  int vlan = -1;  // -1: untagged
};

struct Ip {
  const char* src = "198.18.1.10";
  const char* dst = "198.19.0.100";
  uint8_t ttl = 64, tos = 0;
  uint16_t id = 0x1234;
  bool df = false, mf = false;
  uint16_t frag_off = 0;  // bytes, a multiple of 8
  Bytes options;          // padded to 4
  int total_len = -1, checksum = -1, ihl = -1, version = 4;  // overrides for malformed frames
};

struct Tcp {
  uint16_t sport = 40000, dport = 80;
  uint32_t seq = 1000, ack = 0;
  uint8_t flags = 0x10;
  uint16_t window = 65535;
  Bytes options;
  Bytes payload;
  int data_off = -1;  // override (words)
};

struct Udp {
  uint16_t sport = 40000, dport = 53;
  Bytes payload;
  bool checksum = true;
};

Bytes pattern(size_t n, uint8_t seed = 0);
Bytes ethernet(const Eth& e, uint16_t type, const Bytes& payload);
Bytes ipv4(const Ip& i, uint8_t proto, const Bytes& payload);
Bytes tcp_segment(const Ip& i, const Tcp& t);
Bytes udp_datagram(const Ip& i, const Udp& u);
Bytes icmp_echo(uint8_t type, uint16_t id, uint16_t seq, const Bytes& payload);
// An ICMP error quoting the first quote_len bytes (0: header + 8) of the IP packet `quoted`.
Bytes icmp_error(uint8_t type, uint8_t code, uint32_t rest, const Bytes& quoted, size_t quote_len = 0);

Bytes tcp_frame(const Eth& e, const Ip& i, const Tcp& t);
Bytes udp_frame(const Eth& e, const Ip& i, const Udp& u);
Bytes icmp_frame(const Eth& e, const Ip& i, const Bytes& icmp);
Bytes arp_frame(const Eth& e, uint16_t op, const char* sha, const char* spa, const char* tha,
                const char* tpa);
// The IP packet inside a frame (from l3 through its total length).
Bytes ip_packet(const Bytes& frame);

// ---- reference checks (from scratch) ----
uint16_t ref_checksum(const uint8_t* p, size_t n, uint32_t extra = 0);
uint32_t ref_pseudo(const uint8_t* ip_header, uint32_t l4_len);  // unfolded pseudo-header sum
size_t l3_of(const Bytes& frame);
bool ip_header_ok(const Bytes& frame, size_t l3);
// TCP/UDP/ICMP checksum of the IP packet at l3 correct (UDP zero accepted).
bool l4_ok(const Bytes& frame, size_t l3);

struct Partial {
  Bytes frame;
  director::core::VnetHdr vnet;
};
// CHECKSUM_PARTIAL form of a TCP/UDP frame: L4 field = folded uncomplemented pseudo sum.
Partial make_partial(const Bytes& frame);
// The kernel's completion of a NEEDS_CSUM frame.
Bytes complete(const Bytes& frame, const director::core::VnetHdr& vnet);
// True when the partial seed matches the frame's current addresses and length.
bool seed_ok(const Bytes& frame, const director::core::VnetHdr& vnet);

// ---- running the core ----
struct Meta {
  uint32_t w[director::meta::WORDS];
  uint32_t operator[](uint32_t i) const { return w[i]; }
};
Meta parse(const Bytes& frame, const director::core::VnetHdr* vnet = nullptr,
           director::core::FlowKey key = {});
director::core::Egress egress(const char* mac = "02:00:00:00:00:aa", uint32_t mtu = 1500,
                              const char* ip_text = "198.19.0.2");
struct Verdict {
  uint32_t w[director::verdict::WORDS] = {};
  Verdict& set(uint32_t word, uint32_t value) {
    w[word] = value;
    return *this;
  }
  Verdict& next_hop(const char* mac_text);
};
Verdict forward(director::Method m, director::Direction d = director::Direction::IN,
                const char* dst_mac = "02:00:00:00:00:11");
// Flattens an output frame (head + body).
Bytes flat(const director::core::OutFrame& f);

}  // namespace t
