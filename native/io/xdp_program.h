// The director's own XDP program and its two maps: it steers to the AF_XDP socket only the
// IPv4 frames the director handles and passes everything else (ARP included) to the kernel.
//
// Why not libxdp's default program: it redirects every frame of the queue to the socket, which
// would cut the host off (its management address, health checks, its own ARP). Why no clang:
// the program is ~40 instructions assembled here and loaded with libbpf's bpf_prog_load, so a
// build machine needs only libbpf-dev and libxdp-dev. Rules, in order:
//   not IPv4 (ARP, IPv6, VLAN-tagged, runts)        -> pass
//   destination 224.0.0.0 and up (multicast, bcast) -> pass
//   destination has OWNED (VIP, FULLNAT local addr) -> socket
//   destination has LOCAL (the kernel's address)    -> pass
//   source has NAT_SOURCE (a NAT real server)       -> socket (its replies route through us)
//   anything else                                   -> pass
// The program is attached through a BPF link, so it goes away with the process even on a crash.
#pragma once
#ifdef DIRECTOR_WITH_XDP
#include <cstdint>
#include <string>

namespace director::io {

// Flags of an address in the program's map (values are OR-ed flags).
enum XdpAddrFlag : uint32_t {
  XDP_ADDR_OWNED = 1,
  XDP_ADDR_NAT_SOURCE = 2,
  XDP_ADDR_LOCAL = 4,
};

enum class XdpAttach { AUTO, NATIVE, GENERIC };

class XdpProgram {
 public:
  static constexpr uint32_t MAX_ADDRESSES = 4096;
  static constexpr uint32_t MAX_QUEUES = 64;

  XdpProgram() = default;
  ~XdpProgram();
  XdpProgram(const XdpProgram&) = delete;
  XdpProgram& operator=(const XdpProgram&) = delete;

  // Creates the maps, loads the program and links it to ifindex (in the calling thread's
  // namespace). AUTO tries driver (native) XDP first, then generic. Says which in mode().
  bool open(uint32_t ifindex, XdpAttach attach, std::string& error);
  void close();
  const char* mode() const { return native_ ? "native" : "generic"; }
  bool native() const { return native_; }

  // Points queue's entry of the socket map at xsk_fd.
  bool bind_socket(uint32_t queue, int xsk_fd, std::string& error);
  // Replaces the whole address map (addresses host order, flags XdpAddrFlag).
  bool set_addresses(const uint32_t* addrs, const uint32_t* flags, uint32_t count,
                     std::string& error);

 private:
  bool load(std::string& error);
  bool link(uint32_t ifindex, uint32_t flags, std::string& error);

  int xsks_fd_ = -1;
  int addrs_fd_ = -1;
  int prog_fd_ = -1;
  int link_fd_ = -1;
  bool native_ = false;
};

}  // namespace director::io
#endif  // DIRECTOR_WITH_XDP
