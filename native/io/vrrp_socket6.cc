// Raw IPv6 socket for VRRPv3 adverts (see vrrp_socket6.h).
#include "io/vrrp_socket6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "io/netns.h"

namespace director::io {

namespace {

constexpr int kVrrpProtocol = 112;
constexpr uint32_t kIpv6HeaderBytes = 40;
// ff02::12 (RFC 5798 section 5.1.2, part 2).
constexpr uint8_t kVrrpGroup6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};
// Network control, as keepalived sends its adverts (captured: traffic class 0xc0).
constexpr int kTrafficClass = 0xc0;
constexpr int kHopLimit = 255;

std::string errno_text(const std::string& what) { return what + ": " + strerror(errno); }

bool set_int(int fd, int level, int name, int value, const char* what, std::string& error) {
  if (setsockopt(fd, level, name, &value, sizeof value) == 0) return true;
  error = errno_text(what);
  return false;
}

// The first fe80::/10 address of the interface (in the namespace the caller is in).
bool find_link_local(const std::string& interface, uint8_t out[16]) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET6 || interface != a->ifa_name) continue;
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
    if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) {
      memcpy(out, &sin6->sin6_addr, 16);
      found = true;
    }
  }
  freeifaddrs(list);
  return found;
}

// Member of ff02::12 on this interface; multicast leaves by it with hop limit 255 and the
// traffic class keepalived uses; our own adverts are not looped back (a master must never hear
// itself); the hop limit and destination of what arrives are asked for (RFC 5798 7.1 checks).
bool configure(int fd, int ifindex, std::string& error) {
  ipv6_mreq mreq{};
  memcpy(&mreq.ipv6mr_multiaddr, kVrrpGroup6, 16);
  mreq.ipv6mr_interface = static_cast<unsigned>(ifindex);
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    error = errno_text("IPV6_ADD_MEMBERSHIP ff02::12");
    return false;
  }
  return set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF", error) &&
         set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kHopLimit, "IPV6_MULTICAST_HOPS", error) &&
         set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kHopLimit, "IPV6_UNICAST_HOPS", error) &&
         set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP", error) &&
         set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL", error) &&
         set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, kTrafficClass, "IPV6_TCLASS", error) &&
         set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT", error) &&
         set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO", error);
}

}  // namespace

VrrpSocket6::~VrrpSocket6() { close(); }

bool VrrpSocket6::open(const std::string& interface, const std::string& netns, std::string& error) {
  NetnsScope scope(netns);
  if (!scope.ok()) {
    error = scope.error();
    return false;
  }
  ifindex_ = static_cast<int>(if_nametoindex(interface.c_str()));
  if (ifindex_ == 0) {
    error = errno_text("interface " + interface);
    return false;
  }
  if (!find_link_local(interface, link_local_)) {
    error = "interface " + interface + " has no IPv6 link-local address (VRRPv3 adverts are sent from it)";
    return false;
  }
  fd_ = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kVrrpProtocol);
  if (fd_ < 0) {
    error = errno_text("raw IPv6 socket for VRRP (protocol 112)");
    return false;
  }
  bool ok = setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(), interface.size() + 1) == 0;
  if (!ok) error = errno_text("SO_BINDTODEVICE " + interface);
  ok = ok && configure(fd_, ifindex_, error);
  if (!ok) close();
  return ok;
}

void VrrpSocket6::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int VrrpSocket6::receive(uint8_t* buf, uint32_t cap, std::string& error) {
  if (cap < kIpv6HeaderBytes) {
    error = "receive buffer below an IPv6 header";
    return -1;
  }
  sockaddr_in6 from{};
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
  iovec iov{buf + kIpv6HeaderBytes, cap - kIpv6HeaderBytes};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    error = errno_text("recvmsg");
    return -1;
  }
  // Without both facts the advert cannot be checked: a header saying hop limit 0 and
  // destination :: makes the reader drop it, counted.
  int hop_limit = 0;
  uint8_t dst[16] = {};
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT) memcpy(&hop_limit, CMSG_DATA(c), sizeof hop_limit);
    if (c->cmsg_type == IPV6_PKTINFO) memcpy(dst, &reinterpret_cast<in6_pktinfo*>(CMSG_DATA(c))->ipi6_addr, 16);
  }
  uint32_t payload = static_cast<uint32_t>(n) > 0xffff ? 0xffff : static_cast<uint32_t>(n);
  memset(buf, 0, kIpv6HeaderBytes);
  buf[0] = 0x60;
  buf[4] = static_cast<uint8_t>(payload >> 8);
  buf[5] = static_cast<uint8_t>(payload);
  buf[6] = kVrrpProtocol;
  buf[7] = static_cast<uint8_t>(hop_limit);
  memcpy(buf + 8, &from.sin6_addr, 16);
  memcpy(buf + 24, dst, 16);
  return static_cast<int>(kIpv6HeaderBytes + payload);
}

bool VrrpSocket6::send(const uint8_t* packet, uint32_t len, std::string& error) {
  if (len < kIpv6HeaderBytes || packet[0] >> 4 != 6) {
    error = "not an IPv6 packet";
    return false;
  }
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  memcpy(&to.sin6_addr, packet + 24, 16);
  to.sin6_scope_id = static_cast<uint32_t>(ifindex_);
  in6_pktinfo info{};
  memcpy(&info.ipi6_addr, packet + 8, 16);
  info.ipi6_ifindex = static_cast<unsigned>(ifindex_);
  int hop_limit = packet[7];
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof info) + CMSG_SPACE(sizeof hop_limit)] = {};
  iovec iov{const_cast<uint8_t*>(packet + kIpv6HeaderBytes), len - kIpv6HeaderBytes};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof info);
  memcpy(CMSG_DATA(c), &info, sizeof info);
  c = CMSG_NXTHDR(&msg, c);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_HOPLIMIT;
  c->cmsg_len = CMSG_LEN(sizeof hop_limit);
  memcpy(CMSG_DATA(c), &hop_limit, sizeof hop_limit);
  if (sendmsg(fd_, &msg, 0) == static_cast<ssize_t>(iov.iov_len)) return true;
  error = errno_text("sendmsg");
  return false;
}

}  // namespace director::io
