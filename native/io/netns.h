// Runs a piece of setup inside another network namespace: enters it on the calling thread and
// restores the original namespace when the scope ends, so a socket or TAP opened in between
// belongs to that namespace for its whole life.
#pragma once
#include <string>

namespace director::io {

class NetnsScope {
 public:
  // path empty: stays in the current namespace (ok() is true). Otherwise opens path
  // (e.g. /run/netns/NAME) and setns()es into it; ok() false and error() set on failure.
  explicit NetnsScope(const std::string& path);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  int saved_fd_ = -1;
  std::string error_;
};

// Writes a file as a process inside the namespace at netns_path (empty: this one) would. Only
// views that follow the opening thread's namespace differ: /proc/sys/net/... and
// /proc/thread-self/net/...; sysfs keeps the namespace it was mounted in. A sysctl's refusal of
// a value (EINVAL, EPERM) comes back in error.
bool write_file_in_netns(const std::string& netns_path, const std::string& path,
                         const std::string& text, std::string& error);

}  // namespace director::io
