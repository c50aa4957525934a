// /dev/net/tun set-up with IFF_VNET_HDR, and per-frame read/writev (see tap_device.h).
#include "io/tap_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/netns.h"

namespace director::io {

namespace {

constexpr uint32_t kVnetLen = sizeof(core::VnetHdr);

bool configure(int fd, const std::string& ifname, bool tun, std::string& name,
               std::string& error) {
  ifreq req;
  memset(&req, 0, sizeof(req));
  req.ifr_flags = static_cast<short>((tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI | IFF_VNET_HDR);
  memcpy(req.ifr_name, ifname.c_str(), ifname.size());
  if (ioctl(fd, TUNSETIFF, &req) != 0) {
    error = "cannot create " + std::string(tun ? "TUN" : "TAP") + " device " + ifname + ": " +
            strerror(errno);
    return false;
  }
  name = req.ifr_name;
  int hdr = static_cast<int>(kVnetLen);
  if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) != 0) {
    error = std::string("cannot set the vnet header size on ") + name + ": " + strerror(errno);
    return false;
  }
  // Letting the kernel hand over partial checksums and TSO super-frames avoids per-segment
  // work; they arrive described by the vnet header like on the packet ring.
  unsigned offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  if (ioctl(fd, TUNSETOFFLOAD, offload) != 0) {
    error = std::string("cannot set offloads on ") + name + ": " + strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

TapDevice::~TapDevice() { close(); }

void TapDevice::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TapDevice::open(const std::string& ifname, bool tun, const std::string& netns,
                     std::string& error) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    error = "device name '" + ifname + "' must be 1.." + std::to_string(IFNAMSIZ - 1) +
            " characters";
    return false;
  }
  NetnsScope scope(netns);
  if (!scope.ok()) {
    error = scope.error();
    return false;
  }
  fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    error = std::string("cannot open /dev/net/tun: ") + strerror(errno);
    return false;
  }
  if (!configure(fd_, ifname, tun, name_, error)) return false;
  int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctl < 0) {
    error = std::string("cannot open a control socket: ") + strerror(errno);
    return false;
  }
  bool ok = set_interface_up(ctl, name_, error) && query_interface(ctl, name_, info_, error);
  ::close(ctl);
  return ok;
}

int TapDevice::read_frame(uint8_t* buf, core::VnetHdr& vnet) {
  iovec iov[2] = {{&vnet, kVnetLen}, {buf, MAX_FRAME}};
  for (;;) {
    ssize_t r = readv(fd_, iov, 2);
    if (r >= static_cast<ssize_t>(kVnetLen)) return static_cast<int>(r - kVnetLen);
    if (r >= 0) return -1;  // shorter than its own vnet header: cannot happen with our setup
    if (errno == EINTR) continue;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  }
}

uint32_t TapDevice::send(TxQueue& queue, uint64_t& errors, uint64_t& bytes) {
  uint32_t sent = 0;
  mmsghdr* msgs = queue.messages();
  for (uint32_t i = 0; i < queue.size(); i++) {
    const msghdr& m = msgs[i].msg_hdr;
    ssize_t r;
    do {
      r = writev(fd_, m.msg_iov, static_cast<int>(m.msg_iovlen));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      errors++;
    } else {
      sent++;
      bytes += queue.frame_len(i);
    }
  }
  queue.clear();
  return sent;
}

}  // namespace director::io
