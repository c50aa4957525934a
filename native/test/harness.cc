// A minimal test harness for the native tests: runs every registered test, prints failures with
// their context and a one-line summary, exits non-zero on any failure.
#include "harness.h"

#include <vector>

namespace harness {
namespace {
struct Test {
  const char* name;
  void (*fn)();
};
std::vector<Test>& tests() {
  static std::vector<Test> t;
  return t;
}
std::vector<std::string>& contexts() {
  static std::vector<std::string> c;
  return c;
}
int failures = 0;
int checks = 0;
const char* current = "";
}  // namespace

Registrar::Registrar(const char* name, void (*fn)()) { tests().push_back({name, fn}); }

Context::Context(std::string text) { contexts().push_back(std::move(text)); }
Context::~Context() { contexts().pop_back(); }

void count_check() { ++checks; }
int checks_run() { return checks; }

void fail(const char* file, int line, const std::string& what) {
  ++failures;
  std::string ctx;
  for (const auto& c : contexts()) ctx += " [" + c + "]";
  std::fprintf(stderr, "FAIL %s%s: %s:%d: %s\n", current, ctx.c_str(), file, line, what.c_str());
}

}  // namespace harness

int main() {
  int failed_tests = 0;
  for (const auto& t : harness::tests()) {
    int before = harness::failures;
    harness::current = t.name;
    t.fn();
    if (harness::failures != before) ++failed_tests;
  }
  std::printf("%zu tests, %d checks, %d failed\n", harness::tests().size(), harness::checks,
              failed_tests);
  return failed_tests ? 1 : 0;
}
