// Sockets for health checks that Node cannot open itself: TCP/UDP sockets bound to a device
// (keepalived bind_if, SO_BINDTODEVICE) and ICMP echo sockets for PING_CHECK. An ICMP socket is a
// datagram one (IPPROTO_ICMP, allowed by net.ipv4.ping_group_range) when possible, else a raw one
// (needs CAP_NET_RAW); the echo helpers hide the difference.
#pragma once
#include <cstdint>
#include <netinet/in.h>

#include <string>

namespace director::io {

enum class CheckSocketType { Tcp, Udp };

struct CheckSource {
  std::string device;    // empty: any
  uint32_t address = 0;  // host order, 0: any
  uint16_t port = 0;     // 0: any
};

// A non-blocking, close-on-exec socket bound as `source` says; -1 with error set on failure.
int open_check_socket(CheckSocketType type, const CheckSource& source, std::string& error);

enum class IcmpMode { Datagram, Raw };

// An ICMP echo socket; mode says which kind it is. -1 with error set on failure.
int open_icmp_socket(const CheckSource& source, IcmpMode& mode, std::string& error);

// Sends one echo request of `payload_len` bytes; false with error set on failure.
bool send_echo(int fd, IcmpMode mode, uint32_t dst, uint16_t id, uint16_t seq, uint32_t payload_len,
               std::string& error);

enum class EchoResult { Reply, Unreachable, Other, Again, Error };

// Reads one datagram: Reply for our echo answered by dst, Unreachable for an ICMP error about our
// echo, Other for anything else (raw sockets see every ICMP message), Again when nothing is there.
EchoResult read_echo(int fd, IcmpMode mode, uint32_t dst, uint16_t id, uint16_t seq, std::string& detail);

// A datagram echo socket's queued ICMP error (IP_RECVERR / IPV6_RECVERR at level/type) as
// Unreachable with "FAMILY type T code C"; Again when none is queued.
EchoResult read_icmp_error_queue(int fd, int level, int type, const char* family, std::string& detail);

// The same for an IPv6 target (check_echo6.cc): an ICMPv6 echo socket bound to `device` when
// one is named (IPv6 checks take no source address), one echo request, one datagram read.
int open_icmp6_socket(const std::string& device, IcmpMode& mode, std::string& error);
bool send_echo6(int fd, const in6_addr& dst, uint16_t id, uint16_t seq, uint32_t payload_len, std::string& error);
EchoResult read_echo6(int fd, IcmpMode mode, const in6_addr& dst, uint16_t id, uint16_t seq, std::string& detail);

}  // namespace director::io
