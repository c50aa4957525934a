// Tests of the adaptive port's ring policy: per-frame while it keeps up, block ring as soon as
// frames queue, back only after a low-rate window and the dwell time.
#include "harness.h"
#include "io/ring_switch.h"

using director::io::RingSwitch;
using Mode = RingSwitch::Mode;

constexpr uint64_t kMs = 1'000'000;

TEST(starts_per_frame_and_stays_while_batches_are_small) {
  RingSwitch s;
  CHECK(s.mode() == Mode::FRAME);
  for (uint64_t t = 0; t < 5000; t++) CHECK(s.after_drain(3, t * kMs) == Mode::FRAME);
  CHECK_EQ(s.switches(), 0u);
}

TEST(a_queue_of_frames_moves_to_the_block_ring_at_once) {
  RingSwitch s;
  CHECK(s.after_drain(63, 0) == Mode::FRAME);
  CHECK(s.after_drain(64, 1) == Mode::BLOCK);
  CHECK_EQ(s.switches(), 1u);
}

TEST(stays_on_the_block_ring_under_load) {
  RingSwitch s;
  s.after_drain(200, 0);
  // 200 frames every ms = 200k frames/s, far above the low rate, for 5 s.
  for (uint64_t t = 1; t <= 5000; t++) CHECK(s.after_drain(200, t * kMs) == Mode::BLOCK);
  CHECK_EQ(s.switches(), 1u);
}

TEST(goes_back_only_after_the_dwell_time_and_a_low_window) {
  RingSwitch s;
  s.after_drain(100, 0);
  // 10 frames per ms = 10k frames/s: low, but the dwell (250 ms) holds the block ring until then.
  uint64_t t = 0;
  while (s.mode() == Mode::BLOCK && t < 3000) s.after_drain(10, ++t * kMs);
  CHECK(s.mode() == Mode::FRAME);
  CHECK(t >= 250);
  CHECK(t <= 300);  // the first window that ends after the dwell
  CHECK_EQ(s.switches(), 2u);
}

TEST(an_idle_gap_counts_as_low_rate) {
  RingSwitch s;
  s.after_drain(100, 0);
  for (uint64_t t = 1; t <= 1200; t++) s.after_drain(100, t * kMs);  // busy (100k frames/s) for 1.2 s
  CHECK(s.mode() == Mode::BLOCK);
  // Then quiet for 3 s: the next block retires with one frame.
  CHECK(s.after_drain(1, 4200 * kMs) == Mode::FRAME);
}

TEST(a_rate_just_above_the_limit_keeps_the_block_ring) {
  RingSwitch::Limits l;
  l.low_rate = 50000;
  RingSwitch s(l);
  s.after_drain(100, 0);
  for (uint64_t t = 1; t <= 3000; t++) s.after_drain(51, t * kMs);  // 51k frames/s
  CHECK(s.mode() == Mode::BLOCK);
}

TEST(an_even_flood_above_the_high_rate_moves_to_the_block_ring_within_a_window) {
  RingSwitch s;
  // One frame every 10 us (100k frames/s), each drained alone: the ring never queues.
  const uint64_t us = 1000;
  uint64_t t = 0;
  s.after_drain(1, 0);
  while (s.mode() == Mode::FRAME && t < 100 * kMs) s.after_drain(1, (t += 10 * us));
  CHECK(s.mode() == Mode::BLOCK);
  CHECK(t <= 11 * kMs);  // the window that starts at the first frame (5 ms), or the next one
  CHECK_EQ(s.switches(), 1u);
}

TEST(an_even_rate_under_the_high_rate_keeps_the_per_frame_ring) {
  RingSwitch s;
  // 30k frames/s (half load in the HTTP bench carries less), for 2 s.
  for (uint64_t i = 0; i < 60000; i++) s.after_drain(1, i * 33'333);
  CHECK(s.mode() == Mode::FRAME);
  CHECK_EQ(s.switches(), 0u);
}

TEST(between_the_low_and_high_rates_either_ring_stays) {
  RingSwitch s;
  s.after_drain(100, 0);  // a queue: block ring
  // 30k frames/s: above low_rate (25k), so no way back, and no flapping, for 3 s.
  for (uint64_t t = 1; t <= 3000; t++) s.after_drain(30, t * kMs);
  CHECK(s.mode() == Mode::BLOCK);
  CHECK_EQ(s.switches(), 1u);
}
