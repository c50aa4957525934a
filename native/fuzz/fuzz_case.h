// What every libFuzzer harness of the packet core shares: the input layout (vnet header,
// verdict, egress knobs, then the frame), running parse + apply_verdict on an exact-size heap
// copy (so ASan sees any read past the frame), and the property check that aborts on a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/core.h"

namespace fuzz {

using director::core::OutFrame;
using director::core::RewriteOut;
using director::core::VnetHdr;

// Input layout, all little-endian (W = verdict::WORDS, 29 now):
//   [0, 10)            virtio_net_hdr
//   [10, 10 + 4W)      verdict words (ACTION/METHOD/DIRECTION are folded into the harness's
//                      own set; SLOT and REASON, which no rewrite reads, are the flow hash key)
//   [10 + 4W, +2)      egress MTU (0 = unknown)
//   [12 + 4W, +4)      egress IPv4 address (host order; 0 = none)
//   [16 + 4W, ...)     the frame
constexpr size_t kVnetAt = 0, kVerdictAt = 10, kMtuAt = kVerdictAt + 4 * director::verdict::WORDS,
                 kEgressIpAt = kMtuAt + 2, kFrameAt = kEgressIpAt + 4;

struct Case {
  VnetHdr vnet{};
  uint32_t v[director::verdict::WORDS] = {};
  director::core::Egress egress{};
  director::core::FlowKey key{};
  std::vector<uint8_t> orig;        // the frame as it arrived
  std::unique_ptr<uint8_t[]> frame; // exactly len bytes, rewritten in place
  uint32_t len = 0;
  uint32_t meta[director::meta::WORDS] = {};
};

// Decodes an input; false when it is shorter than the fixed head.
bool decode(const uint8_t* data, size_t size, Case& c);

// Parses the frame, then applies c.v to it; the result lands in out().
void run(Case& c);

// The harnesses' one output area, reused like the engine's.
RewriteOut& out();

// True when the frame still holds the bytes it arrived with; restore() puts them back.
bool unchanged(const Case& c);
void restore(Case& c);

// Writes the fixed head of an input (the corpus generator's side of decode()).
std::vector<uint8_t> encode(const VnetHdr& vnet, const uint32_t* verdict, uint16_t mtu,
                            uint32_t egress_ip, const std::vector<uint8_t>& frame);

// Reports a violated property with the harness's name and aborts, so libFuzzer keeps the input.
[[noreturn]] void finding(const char* file, int line, const char* what);

// Output frames point inside the frame or the scratch area; error implies count 0.
void check_bounds(const Case& c);

// The flattened bytes of one output frame.
std::vector<uint8_t> flat(const OutFrame& f);

// Writes the next hop's MAC (verdict DST_MAC) and the egress MAC into an expected Ethernet header.
void next_hop(std::vector<uint8_t>& want, const Case& c);

// Copies n bytes at `at` from got into want: for checksum fields, judged separately by residue.
void same_field(std::vector<uint8_t>& want, const std::vector<uint8_t>& got, size_t at, size_t n = 2);

// A connection's forwarding method and the side a frame came from, as a FORWARD verdict
// carries them; src/dst: the ends of the packet the rewrite changes.
struct Way {
  director::Method method;
  director::Direction direction;
  bool src, dst;
};
// NAT and FULLNAT, both ways.
constexpr Way kNatWays[] = {{director::Method::NAT, director::Direction::IN, false, true},
                            {director::Method::NAT, director::Direction::OUT, true, false},
                            {director::Method::FNAT, director::Direction::IN, true, true},
                            {director::Method::FNAT, director::Direction::OUT, true, true}};

// Makes c's verdict a FORWARD of the way w.
void forward(Case& c, const Way& w);

// The harness's own value of a verdict word, chosen from a list by the word's value.
template <typename T, size_t N>
T pick(uint32_t word, const T (&list)[N]) {
  return list[word % N];
}

}  // namespace fuzz

#define PROPERTY(cond)                                             \
  do {                                                             \
    if (!(cond)) ::fuzz::finding(__FILE__, __LINE__, #cond);       \
  } while (0)
