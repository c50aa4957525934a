// Enters and leaves network namespaces for the duration of a setup step (see netns.h).
#include "io/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace director::io {

NetnsScope::NetnsScope(const std::string& path) {
  if (path.empty()) return;
  saved_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_fd_ < 0) {
    error_ = std::string("cannot open the current network namespace: ") + strerror(errno);
    return;
  }
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    error_ = "cannot open network namespace " + path + ": " + strerror(errno);
  } else if (setns(target, CLONE_NEWNET) != 0) {
    error_ = "cannot enter network namespace " + path + ": " + strerror(errno);
  }
  if (target >= 0) close(target);
  if (!error_.empty()) {
    close(saved_fd_);
    saved_fd_ = -1;
  }
}

NetnsScope::~NetnsScope() {
  if (saved_fd_ < 0) return;
  // Staying in the wrong namespace would silently attach every later socket of this thread
  // there; failing to return is unrecoverable for the process.
  if (setns(saved_fd_, CLONE_NEWNET) != 0) {
    fprintf(stderr, "director: cannot return to the original network namespace: %s\n",
            strerror(errno));
    abort();
  }
  close(saved_fd_);
}

}  // namespace director::io
