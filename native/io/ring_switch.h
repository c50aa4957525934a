// When the adaptive AF_PACKET port hands frames over one at a time and when a block at a time.
// The per-frame ring (TPACKET_V2) adds no wait but costs a wakeup and a small batch per frame,
// so under load it falls behind; the block ring (TPACKET_V3) batches, but at moderate rates
// every frame waits for the block's retire timeout (1 ms). This policy keeps the per-frame ring
// while the director keeps up and the rate is moderate, moves to the block ring as soon as
// frames queue or the rate climbs, and back once the rate has stayed low for a while. Pure
// logic, so the thresholds are testable alone.
//
// Why the rate and not only the queue: under an even flood the director drains every frame as
// it lands, so the ring never holds 64, yet each frame costs the receiving softirq a wakeup on
// the CPU the director shares with it, and frames are lost before the ring (0.2-16% at
// 0.12-0.16 Mpps with the queue alone). Above high_rate a 1 ms block wait is a small share of
// what a frame would queue for anyway.
#pragma once
#include <cstdint>

namespace director::io {

class RingSwitch {
 public:
  enum class Mode : uint8_t { FRAME = 0, BLOCK = 1 };

  struct Limits {
    // Frames found waiting in one drain of the per-frame ring that mean "falling behind", long
    // before its 16384 slots fill.
    uint32_t behind = 64;
    // Rate (frames per second over trip_window_ns) above which the per-frame ring's wakeups cost
    // more than the block ring's wait; half load in the HTTP bench stays under it.
    uint32_t high_rate = 40000;
    uint64_t trip_window_ns = 5'000'000;
    // Rate (frames per second, measured over window_ns) under which the block ring's wait costs
    // more than per-frame wakeups do.
    uint32_t low_rate = 25000;
    uint64_t window_ns = 50'000'000;
    // Least time on the block ring before going back, so a load near the edge flaps at most
    // four times a second; a stall that tripped the switch costs at most this much latency.
    uint64_t dwell_ns = 250'000'000;
  };

  RingSwitch() = default;
  explicit RingSwitch(const Limits& limits) : limits_(limits) {}

  Mode mode() const { return mode_; }
  uint64_t switches() const { return switches_; }

  // After each drain of the port: frames it delivered, and a monotonic time in ns. Returns the
  // mode the port should be in from now on.
  Mode after_drain(uint32_t frames, uint64_t now_ns) {
    if (mode_ == Mode::FRAME) {
      if (frames >= limits_.behind) {
        enter(Mode::BLOCK, now_ns);
        return mode_;
      }
      trip_frames_ += frames;
      const uint64_t trip_span = now_ns - trip_start_;
      if (trip_span < limits_.trip_window_ns) return mode_;
      if (trip_frames_ * 1'000'000'000ull > static_cast<uint64_t>(limits_.high_rate) * trip_span) {
        enter(Mode::BLOCK, now_ns);
      } else {
        trip_start_ = now_ns;
        trip_frames_ = 0;
      }
      return mode_;
    }
    window_frames_ += frames;
    const uint64_t span = now_ns - window_start_;
    if (span < limits_.window_ns) return mode_;
    const bool low = window_frames_ * 1'000'000'000ull < static_cast<uint64_t>(limits_.low_rate) * span;
    window_start_ = now_ns;
    window_frames_ = 0;
    if (low && now_ns - since_ >= limits_.dwell_ns) enter(Mode::FRAME, now_ns);
    return mode_;
  }

 private:
  void enter(Mode m, uint64_t now_ns) {
    mode_ = m;
    since_ = now_ns;
    window_start_ = now_ns;
    window_frames_ = 0;
    trip_start_ = now_ns;
    trip_frames_ = 0;
    switches_++;
  }

  Limits limits_;
  Mode mode_ = Mode::FRAME;
  uint64_t since_ = 0;
  uint64_t window_start_ = 0;
  uint64_t window_frames_ = 0;
  uint64_t trip_start_ = 0;
  uint64_t trip_frames_ = 0;
  uint64_t switches_ = 0;
};

}  // namespace director::io
