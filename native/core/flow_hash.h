// The keyed 32-bit flow hash: meta::HASH of every parsed IPv4 frame, and the slot hash of the
// connection table in TypeScript (src/conntable/flow-hash.ts is the same function; a unit test
// compares the two on random tuples and keys).
//
// Definition: HalfSipHash-1-3 (SipHash on 32-bit words with one compression and three
// finalization rounds, 32-bit output: the Linux kernel's hsiphash on 32-bit machines) under a
// 64-bit key, over the 13-byte message
//     le32(src_ip) le32(dst_ip) le32(src_port << 16 | dst_port) proto
// IPv6 (flow_hash6) absorbs the four words of each address (meta::SRC_IP6_0 order) in place of
// the IPv4 one, a 37-byte message:
//     le32(src[0..3]) le32(dst[0..3]) le32(src_port << 16 | dst_port) proto
// The key is random per engine, as IPVS seeds its connection hash with ip_vs_conn_rnd and DPVS
// with dp_vs_conn_rnd, so nobody outside can pick tuples that pile up in one stretch of the
// table. Direction matters: a reply hashes differently from its request.
#pragma once
#include <cstdint>

namespace director::core {

struct FlowKey {
  uint32_t k0, k1;
};

uint32_t flow_hash(const FlowKey& key, uint32_t proto, uint32_t src_ip, uint32_t src_port,
                   uint32_t dst_ip, uint32_t dst_port);

uint32_t flow_hash6(const FlowKey& key, uint32_t proto, const uint32_t* src6, uint32_t src_port,
                    const uint32_t* dst6, uint32_t dst_port);

}  // namespace director::core
