// The hold pool: HOLD_SLOTS preallocated slots where frames wait (on ARP resolution) with
// their vnet header, metadata and ingress port until TypeScript releases them.
#pragma once
#include <cstdint>
#include <memory>

#include "core/core.h"
#include "core/records.h"

namespace director::addon {

class HoldPool {
 public:
  // held_meta: HOLD_SLOTS metadata records, visible to TypeScript as heldMeta.
  explicit HoldPool(uint32_t* held_meta);

  // Replaces whatever slot held. False if slot or len is out of range.
  bool store(uint32_t slot, const uint8_t* frame, uint32_t len, const core::VnetHdr& vnet,
             const uint32_t* meta, uint32_t in_port);
  bool used(uint32_t slot) const { return slot < HOLD_SLOTS && slots_[slot].used; }
  uint8_t* frame(uint32_t slot) { return bytes_.get() + static_cast<size_t>(slot) * HOLD_SLOT_BYTES; }
  uint32_t len(uint32_t slot) const { return slots_[slot].len; }
  uint32_t in_port(uint32_t slot) const { return slots_[slot].in_port; }
  const core::VnetHdr& vnet(uint32_t slot) const { return slots_[slot].vnet; }
  const uint32_t* meta(uint32_t slot) const { return held_meta_ + slot * meta::WORDS; }
  void free(uint32_t slot) { slots_[slot].used = false; }
  void clear();

 private:
  struct Slot {
    bool used = false;
    uint32_t len = 0;
    uint32_t in_port = 0;
    core::VnetHdr vnet{};
  };
  uint32_t* held_meta_;
  Slot slots_[HOLD_SLOTS];
  std::unique_ptr<uint8_t[]> bytes_;
};

}  // namespace director::addon
