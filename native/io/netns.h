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

}  // namespace director::io
