// The Decapsulator class TypeScript constructs on a TUN-mode real server: opens the IPIP
// decapsulator (native/io) and drives it from uv_poll entirely in C++; JavaScript only starts,
// stops, reads counters and closes it.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>

#include "io/ipip_decap.h"

namespace director::addon {

class Decapsulator : public Napi::ObjectWrap<Decapsulator> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit Decapsulator(const Napi::CallbackInfo& info);
  ~Decapsulator() override;

 private:
  struct Poll {
    uv_poll_t handle;
    Decapsulator* owner;
  };
  static void on_readable(uv_poll_t* handle, int status, int events);
  bool open(const Napi::CallbackInfo& info);
  Napi::Value start(const Napi::CallbackInfo& info);
  Napi::Value stop(const Napi::CallbackInfo& info);
  Napi::Value counters(const Napi::CallbackInfo& info);
  Napi::Value info(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  void close_all();

  std::unique_ptr<io::IpipDecap> decap_;
  Poll* poll_ = nullptr;
  bool started_ = false;
  bool closed_ = false;
};

}  // namespace director::addon
