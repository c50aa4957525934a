// Reads and switches an interface's checksum and segmentation offloads (what `ethtool -k/-K`
// calls rx, tx, tso, gso, gro) through SIOCETHTOOL on a socket of the interface's namespace,
// so a lab needs no ethtool binary.
#pragma once
#include <string>

namespace director::io {

// One entry per offload: 1 on, 0 off; in a request, -1 leaves it as it is.
struct Offloads {
  int rx = -1;   // receive checksum offload (NETIF_F_RXCSUM)
  int tx = -1;   // transmit checksum offload (every NETIF_F_CSUM_MASK flavour)
  int tso = -1;  // TCP segmentation offload (all TSO flavours)
  int gso = -1;  // generic segmentation offload
  int gro = -1;  // generic receive offload
};

// fd: any socket in the interface's namespace. Applies every entry of want that is not -1, in
// the order rx, tx, tso, gso, gro, then reads all five back into now (want all -1: only reads).
// The result can differ from want: the kernel drops a feature whose dependency is off (TSO
// without transmit checksums). An offload the device cannot change at all is an error.
bool write_offloads(int fd, const std::string& ifname, const Offloads& want, Offloads& now,
                    std::string& error);

}  // namespace director::io
