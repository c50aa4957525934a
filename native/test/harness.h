// A minimal test harness for the native tests: TEST registers a function, CHECK/CHECK_EQ record
// failures with file:line and values, main runs every test and exits non-zero on any failure.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace harness {

struct Registrar {
  Registrar(const char* name, void (*fn)());
};

void fail(const char* file, int line, const std::string& what);
int checks_run();
void count_check();

template <typename A, typename B>
void check_eq(const A& a, const B& b, const char* ea, const char* eb, const char* file, int line) {
  count_check();
  if (a == b) return;
  fail(file, line, std::string(ea) + " == " + eb + " (" + std::to_string(static_cast<long long>(a)) +
                       " vs " + std::to_string(static_cast<long long>(b)) + ")");
}

}  // namespace harness

#define TEST(name)                                                   \
  static void name();                                                \
  static harness::Registrar registrar_##name(#name, name);           \
  static void name()

#define CHECK(cond)                                                          \
  do {                                                                       \
    harness::count_check();                                                  \
    if (!(cond)) harness::fail(__FILE__, __LINE__, "CHECK(" #cond ")");     \
  } while (0)

#define CHECK_EQ(a, b) harness::check_eq((a), (b), #a, #b, __FILE__, __LINE__)

// Adds context (e.g. the table row) to failures reported inside the current scope.
#define CONTEXT(text) harness::Context harness_context_##__LINE__(text)

namespace harness {
struct Context {
  explicit Context(std::string text);
  ~Context();
};
}  // namespace harness
