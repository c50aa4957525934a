// Offload switches over SIOCETHTOOL (see offloads.h). The single-feature commands
// (ETHTOOL_[GS]{RXCSUM,TXCSUM,TSO,GSO,GRO}) are used because each names a fixed feature mask in
// the kernel, so no feature-string table has to be fetched and matched by name.
#include "io/offloads.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace director::io {

namespace {

struct Switch {
  const char* name;
  uint32_t get;
  uint32_t set;
  int Offloads::*field;
};

constexpr Switch kSwitches[] = {
    {"rx", ETHTOOL_GRXCSUM, ETHTOOL_SRXCSUM, &Offloads::rx},
    {"tx", ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM, &Offloads::tx},
    {"tso", ETHTOOL_GTSO, ETHTOOL_STSO, &Offloads::tso},
    {"gso", ETHTOOL_GGSO, ETHTOOL_SGSO, &Offloads::gso},
    {"gro", ETHTOOL_GGRO, ETHTOOL_SGRO, &Offloads::gro},
};

bool ethtool_value_ioctl(int fd, const std::string& ifname, ethtool_value& value, int& err) {
  ifreq req;
  memset(&req, 0, sizeof(req));
  memcpy(req.ifr_name, ifname.c_str(), ifname.size());
  req.ifr_data = reinterpret_cast<char*>(&value);
  if (ioctl(fd, SIOCETHTOOL, &req) == 0) return true;
  err = errno;
  return false;
}

bool valid_name(const std::string& ifname, std::string& error) {
  if (!ifname.empty() && ifname.size() < IFNAMSIZ) return true;
  error = "interface name '" + ifname + "' must be 1.." + std::to_string(IFNAMSIZ - 1) + " characters";
  return false;
}

bool read_offloads(int fd, const std::string& ifname, Offloads& out, std::string& error) {
  for (const Switch& s : kSwitches) {
    ethtool_value value{s.get, 0};
    int err = 0;
    if (!ethtool_value_ioctl(fd, ifname, value, err)) {
      error = std::string("cannot read the ") + s.name + " offload of " + ifname + ": " + strerror(err);
      return false;
    }
    out.*s.field = value.data != 0 ? 1 : 0;
  }
  return true;
}

}  // namespace

bool write_offloads(int fd, const std::string& ifname, const Offloads& want, Offloads& now,
                    std::string& error) {
  if (!valid_name(ifname, error)) return false;
  for (const Switch& s : kSwitches) {
    int wanted = want.*s.field;
    if (wanted < 0) continue;
    ethtool_value value{s.set, wanted != 0 ? 1u : 0u};
    int err = 0;
    if (!ethtool_value_ioctl(fd, ifname, value, err)) {
      // EOPNOTSUPP: the device lists none of the feature's bits as changeable.
      error = std::string("cannot turn the ") + s.name + " offload of " + ifname +
              (wanted != 0 ? " on: " : " off: ") + strerror(err);
      return false;
    }
  }
  return read_offloads(fd, ifname, now, error);
}

}  // namespace director::io
