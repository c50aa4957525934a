// What AF_XDP loses and the director must restore: frames carry no virtio-net header, so a
// CHECKSUM_PARTIAL frame from a local sender (veth) arrives with only the pseudo-header seed in
// its L4 checksum field and must leave with the checksum whole. Pure functions, no syscalls.
#pragma once
#include <cstdint>

#include "core/core.h"

namespace director::io {

// For an untagged IPv4 TCP/UDP frame (not a fragment) whose L4 checksum field holds exactly the
// folded pseudo-header sum and whose checksum does not verify, sets vnet to describe it as
// partial (NEEDS_CSUM, csum_start/offset) and returns true; otherwise leaves vnet alone.
// A frame with a genuinely wrong checksum stays as it is: it is forwarded wrong, not repaired.
bool infer_partial_checksum(const uint8_t* frame, uint32_t len, core::VnetHdr& vnet);

// Completes a checksum that vnet marks NEEDS_CSUM (the field holds the seed). False when the
// offsets point outside the frame; the frame is then left unchanged.
bool complete_partial_checksum(uint8_t* frame, uint32_t len, const core::VnetHdr& vnet);

}  // namespace director::io
