// libFuzzer target for the packet core: input = 10-byte vnet header, 16 verdict words, then the
// frame. Parses the frame, applies the verdict (action and method folded into range so every
// handler is reached) and checks that every emitted frame points inside the frame or scratch.
// Build: cmake -S . -B native/build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DDIRECTOR_FUZZ=ON
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/core.h"

using namespace director;

namespace {
core::RewriteOut out;

void check(const uint8_t* frame, size_t len) {
  if (out.error != 0 && out.count != 0) std::abort();
  if (out.count > core::RewriteOut::MAX_FRAMES) std::abort();
  for (uint32_t i = 0; i < out.count; ++i) {
    const core::OutFrame& o = out.frames[i];
    if (o.head_len && (o.head < out.scratch || o.head + o.head_len > out.scratch + sizeof out.scratch)) std::abort();
    if (o.body_len && (o.body < frame || o.body + o.body_len > frame + len)) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kHead = sizeof(core::VnetHdr) + verdict::WORDS * 4;
  if (size < kHead) return 0;
  core::VnetHdr vnet;
  std::memcpy(&vnet, data, sizeof vnet);
  uint32_t v[verdict::WORDS];
  std::memcpy(v, data + sizeof vnet, sizeof v);
  v[verdict::ACTION] %= uint32_t(Action::COUNT) + 1;
  v[verdict::METHOD] %= uint32_t(Method::COUNT) + 1;
  v[verdict::DIRECTION] %= uint32_t(Direction::COUNT) + 1;
  size_t len = size - kHead;
  std::unique_ptr<uint8_t[]> frame(new uint8_t[len ? len : 1]);
  std::memcpy(frame.get(), data + kHead, len);
  uint32_t meta[meta::WORDS];
  // The flow hash key from two verdict words the rewrite ignores.
  core::FlowKey key{v[verdict::SLOT], v[verdict::REASON]};
  core::parse_frame(frame.get(), uint32_t(len), &vnet, key, meta);
  core::Egress eg{{2, 0, 0, 0, 0, 0xaa}, v[verdict::RESERVED_15] % 9001, 0xc6130002};
  core::apply_verdict(frame.get(), uint32_t(len), vnet, meta, v, eg, out);
  check(frame.get(), len);
  return 0;
}
