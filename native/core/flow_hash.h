// The 32-bit flow hash parse stores in meta::HASH.
//
// Definition (reproducible elsewhere): MurmurHash3 x86_32 with seed 0x9747b28c over the four
// 32-bit words [src_ip, dst_ip, src_port << 16 | dst_port, proto] (as numbers, not bytes), then
// the murmur3 finalizer; a result of 0 is mapped to 1 so 0 always means "not hashed" (non-IP).
// Direction matters: a reply hashes differently from its request.
#pragma once
#include <cstdint>

namespace director::core {

uint32_t flow_hash(uint32_t proto, uint32_t src_ip, uint32_t dst_ip, uint32_t src_port,
                   uint32_t dst_port);

}  // namespace director::core
