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

namespace {

std::string failed(const char* what, const std::string& path) {
  return std::string("cannot ") + what + " " + path + ": " + strerror(errno);
}

}  // namespace

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

bool write_file_in_netns(const std::string& netns_path, const std::string& path,
                         const std::string& text, std::string& error) {
  NetnsScope scope(netns_path);
  if (!scope.ok()) {
    error = scope.error();
    return false;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    error = failed("open", path);
    return false;
  }
  // A sysctl takes its value in one write; a short write would leave half a value.
  ssize_t n = write(fd, text.data(), text.size());
  bool ok = n == static_cast<ssize_t>(text.size());
  if (!ok) error = n < 0 ? failed("write", path) : "short write to " + path;
  close(fd);
  return ok;
}

}  // namespace director::io
