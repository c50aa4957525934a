// PACKET_FANOUT group steered by a one-instruction classic BPF program (see ring_fanout.h).
#include "io/ring_fanout.h"

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

// The group's own hook replaces its members' (and their PACKET_IGNORE_OUTGOING): without this
// flag every frame the director sends would come back as input. Linux 6.2 and later; older
// kernels accept the flag and ignore it, so fanout_supported() checks the version instead.
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif

namespace director::io {

namespace {

constexpr int kGroupType = PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_IGNORE_OUTGOING;

bool fail(const char* what, std::string& error) {
  error = std::string(what) + ": " + strerror(errno);
  return false;
}

}  // namespace

bool fanout_supported(std::string& error) {
  utsname u;
  int major = 0, minor = 0;
  if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
      (major > 6 || (major == 6 && minor >= 2))) {
    return true;
  }
  error = std::string("needs Linux 6.2 or later (PACKET_FANOUT_FLAG_IGNORE_OUTGOING), this is ") + u.release;
  return false;
}

bool fanout_create(int first, uint16_t& id, std::string& error) {
  int arg = (kGroupType | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
  if (setsockopt(first, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
    return fail("cannot create the ring switch's fanout group", error);
  }
  int got = 0;
  socklen_t len = sizeof(got);
  if (getsockopt(first, SOL_PACKET, PACKET_FANOUT, &got, &len) != 0) {
    return fail("cannot read the fanout group id", error);
  }
  id = static_cast<uint16_t>(got & 0xffff);
  return true;
}

bool fanout_join(int other, uint16_t id, std::string& error) {
  int arg = id | (kGroupType << 16);
  if (setsockopt(other, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
    return fail("cannot join the ring switch's fanout group", error);
  }
  return true;
}

bool fanout_steer(int member, uint32_t index, std::string& error) {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, index}};
  sock_fprog prog{1, code};
  if (setsockopt(member, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof(prog)) != 0) {
    return fail("cannot steer the fanout group", error);
  }
  return true;
}

bool filter_drop_all(int fd, std::string& error) {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 0}};
  sock_fprog prog{1, code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
    return fail("cannot attach the drop-all filter", error);
  }
  return true;
}

bool filter_remove(int fd, std::string& error) {
  int unused = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused)) != 0) {
    return fail("cannot remove the drop-all filter", error);
  }
  return true;
}

}  // namespace director::io
