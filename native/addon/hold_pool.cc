// Copies frames into and out of hold slots (see hold_pool.h).
#include "addon/hold_pool.h"

#include <cstring>

namespace director::addon {

HoldPool::HoldPool(uint32_t* held_meta)
    : held_meta_(held_meta), bytes_(new uint8_t[static_cast<size_t>(HOLD_SLOTS) * HOLD_SLOT_BYTES]) {}

bool HoldPool::store(uint32_t slot, const uint8_t* frame, uint32_t len, const core::VnetHdr& vnet,
                     const uint32_t* meta, uint32_t in_port) {
  if (slot >= HOLD_SLOTS || len > HOLD_SLOT_BYTES) return false;
  memcpy(this->frame(slot), frame, len);
  memcpy(held_meta_ + slot * meta::WORDS, meta, meta::WORDS * sizeof(uint32_t));
  slots_[slot] = Slot{true, len, in_port, vnet};
  return true;
}

void HoldPool::clear() {
  for (Slot& s : slots_) s.used = false;
}

}  // namespace director::addon
