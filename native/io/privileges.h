// Drops the process's privileges for good once setup is done: every thread (not only the
// caller: Linux keeps capabilities, the bounding set, securebits and no_new_privs per thread,
// and Node's worker threads would otherwise keep root's) ends with exactly the kept
// capabilities, a bounding set of those only, no ambient or inheritable ones, securebits that
// stop uid 0 and setuid-root programs from regaining any (locked), and optionally no_new_privs;
// with a target user, the uid, gid and groups are switched too (keeping the kept set across).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace director::io {

struct PrivilegePlan {
  // Bit n set: keep capability n.
  uint64_t keep = 0;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool no_new_privs = true;
};

// Applies plan to every thread of the process. False and error set when any step or any thread
// failed (the process should then stop: it is in an unknown state of privilege).
bool drop_privileges(const PrivilegePlan& plan, std::string& error);

// The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap), or -1.
int last_capability();

}  // namespace director::io
