// The VrrpSocket class the VRRP runtime constructs: the raw protocol-112 socket of native/io
// (IPv4, or with family 6 the IPv6 one), read on uv_poll; each advert reaches JavaScript as a
// Buffer holding its IPv4 or IPv6 packet (adverts come a few per second, so a copy per packet
// is nothing next to the data path's batches).
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>

#include "io/vrrp_socket.h"
#include "io/vrrp_socket6.h"

namespace director::addon {

class VrrpSocket : public Napi::ObjectWrap<VrrpSocket> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit VrrpSocket(const Napi::CallbackInfo& info);
  ~VrrpSocket() override;

 private:
  struct Poll {
    uv_poll_t handle;
    VrrpSocket* owner;
  };
  static void on_readable(uv_poll_t* handle, int status, int events);
  Napi::Value start(const Napi::CallbackInfo& info);
  Napi::Value send(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value link_local(const Napi::CallbackInfo& info);
  int fd() const;
  int receive(uint8_t* buf, uint32_t cap, std::string& error);
  void close_all();

  std::unique_ptr<io::VrrpSocket> socket_;
  // Set instead of socket_ with family 6.
  std::unique_ptr<io::VrrpSocket6> socket6_;
  Napi::FunctionReference callback_;
  Poll* poll_ = nullptr;
  bool closed_ = false;
};

}  // namespace director::addon
