// Big-endian loads and stores on raw frame bytes; the only place that knows network byte order.
#pragma once
#include <cstdint>

namespace director::core {

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

inline uint32_t rd32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

inline void wr16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline void wr32(uint8_t* p, uint32_t v) {
  wr16(p, v >> 16);
  wr16(p + 2, v);
}

// A MAC as records.h splits it: hi = first two bytes, lo = last four.
inline void wr_mac(uint8_t* p, uint32_t hi, uint32_t lo) {
  wr16(p, hi);
  wr32(p + 2, lo);
}

}  // namespace director::core
