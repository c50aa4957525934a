// VrrpSocket: options checked, uv_poll readiness, one callback per advert (see vrrp_socket.h).
#include "addon/vrrp_socket.h"

#include "addon/args.h"

namespace director::addon {

namespace {

// Bounded work per readiness event keeps the event loop fair under an advert flood.
constexpr int kPacketsPerEvent = 64;
// An IP packet (IPv6: without jumbograms) can be no longer; an advert is far shorter.
constexpr uint32_t kMaxPacket = 65535;

}  // namespace

Napi::Function VrrpSocket::define(Napi::Env env) {
  return DefineClass(env, "VrrpSocket",
                     {InstanceMethod<&VrrpSocket::start>("start"),
                      InstanceMethod<&VrrpSocket::send>("send"),
                      InstanceMethod<&VrrpSocket::close>("close"),
                      InstanceMethod<&VrrpSocket::link_local>("linkLocal")});
}

VrrpSocket::VrrpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VrrpSocket>(info) {
  Napi::Env env = info.Env();
  Napi::Object o;
  std::string ifname, netns, error;
  uint32_t family = 4;
  if (!get_options(info[0], "options", o) || !get_string(o.Get("interface"), "options.interface", ifname) ||
      !get_opt_string(o, "netns", netns) ||
      (o.Has("family") && !get_u32(o.Get("family"), "options.family", 4, 6, family))) {
    return;
  }
  if (family != 4 && family != 6) {
    throw_type(env, "options.family must be 4 or 6");
    return;
  }
  bool ok;
  if (family == 6) {
    socket6_ = std::make_unique<io::VrrpSocket6>();
    ok = socket6_->open(ifname, netns, error);
  } else {
    socket_ = std::make_unique<io::VrrpSocket>();
    ok = socket_->open(ifname, netns, error);
  }
  if (!ok) {
    socket_.reset();
    socket6_.reset();
    closed_ = true;
    Napi::Error::New(env, "VrrpSocket(" + ifname + "): " + error).ThrowAsJavaScriptException();
  }
}

VrrpSocket::~VrrpSocket() { close_all(); }

int VrrpSocket::fd() const { return socket6_ ? socket6_->fd() : socket_->fd(); }

int VrrpSocket::receive(uint8_t* buf, uint32_t cap, std::string& error) {
  return socket6_ ? socket6_->receive(buf, cap, error) : socket_->receive(buf, cap, error);
}

void VrrpSocket::on_readable(uv_poll_t* handle, int status, int) {
  VrrpSocket* self = reinterpret_cast<Poll*>(handle)->owner;
  if (status < 0 || self->closed_) return;
  Napi::Env env = self->callback_.Env();
  Napi::HandleScope scope(env);
  static uint8_t buf[kMaxPacket];
  for (int i = 0; i < kPacketsPerEvent && !self->closed_; i++) {
    std::string error;
    int n = self->receive(buf, kMaxPacket, error);
    if (n == 0) return;
    Napi::Value arg = n < 0 ? Napi::Value(Napi::String::New(env, error)) : Napi::Value(copy_buffer(env, buf, n));
    // A callback that throws is reported by Node as an uncaught exception, like a batch handler's.
    self->callback_.MakeCallback(env.Global(), {arg});
    if (n < 0) return;
  }
}

// start(callback(packet: Buffer | errorText: string))
Napi::Value VrrpSocket::start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || (!socket_ && !socket6_)) {
    Napi::Error::New(env, "start: the VRRP socket is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!info[0].IsFunction()) return throw_type(env, "start needs a callback"), env.Undefined();
  if (poll_) return throw_type(env, "start: already started"), env.Undefined();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "start: no event loop").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  poll_ = new Poll{};
  poll_->owner = this;
  uv_poll_init(loop, &poll_->handle, fd());
  uv_poll_start(&poll_->handle, UV_READABLE, &VrrpSocket::on_readable);
  Ref();  // keeps receiving without a JavaScript reference until close()
  return env.Undefined();
}

// send(packet: Uint8Array, dst: number) -> throws on failure. Family 6: the packet's own
// destination is used and dst is ignored.
Napi::Value VrrpSocket::send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  uint32_t len = 0, dst = 0;
  if (!get_bytes(info[0], "packet", kMaxPacket, data, len) || !get_u32(info[1], "dst", 0, 0xffffffffu, dst)) {
    return env.Undefined();
  }
  std::string error;
  if (closed_ || (!socket_ && !socket6_)) {
    error = "the VRRP socket is closed";
  } else if (socket6_ ? socket6_->send(data, len, error) : socket_->send(data, len, dst, error)) {
    return env.Undefined();
  }
  Napi::Error::New(env, "VrrpSocket.send: " + error).ThrowAsJavaScriptException();
  return env.Undefined();
}

void VrrpSocket::close_all() {
  if (closed_ && !poll_) return;
  closed_ = true;
  if (poll_) {
    uv_poll_stop(&poll_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_->handle), [](uv_handle_t* h) { delete reinterpret_cast<Poll*>(h); });
    poll_ = nullptr;
  }
  if (socket_) socket_->close();
  if (socket6_) socket6_->close();
  socket_.reset();
  socket6_.reset();
}

// linkLocal() -> Buffer(16) (family 6: the address adverts leave from), null for family 4
Napi::Value VrrpSocket::link_local(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!socket6_) return env.Null();
  return copy_buffer(env, socket6_->link_local(), 16);
}

Napi::Value VrrpSocket::close(const Napi::CallbackInfo& info) {
  bool was_polling = poll_ != nullptr;
  close_all();
  callback_.Reset();
  if (was_polling) Unref();
  return info.Env().Undefined();
}

}  // namespace director::addon
