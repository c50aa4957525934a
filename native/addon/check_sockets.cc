// openCheckSocket and icmpEcho (see check_sockets.h).
#include "addon/check_sockets.h"

#include <arpa/inet.h>
#include <unistd.h>
#include <uv.h>

#include "addon/args.h"
#include "io/check_socket.h"

namespace director::addon {

namespace {

bool get_source(Napi::Object o, io::CheckSource& s) {
  std::string address;
  uint32_t port = 0;
  if (!get_opt_string(o, "device", s.device) || !get_opt_string(o, "address", address) ||
      !get_opt_u32(o, "port", 0, 65535, port)) {
    return false;
  }
  s.port = static_cast<uint16_t>(port);
  if (address.empty()) return true;
  in_addr a;
  if (inet_pton(AF_INET, address.c_str(), &a) != 1) return throw_type(o.Env(), "address must be an IPv4 address");
  s.address = ntohl(a.s_addr);
  return true;
}

// One echo in flight: the socket, its poll and timer handles, and the JavaScript callback.
struct Echo {
  uv_poll_t poll;
  uv_timer_t timer;
  int fd = -1;
  io::IcmpMode mode = io::IcmpMode::Datagram;
  uint32_t dst = 0;
  bool v6 = false;
  in6_addr dst6{};
  uint16_t id = 0;
  uint16_t seq = 0;
  int open_handles = 0;
  bool done = false;
  Napi::FunctionReference callback;
};

void on_closed(uv_handle_t* h) {
  Echo* e = static_cast<Echo*>(h->data);
  if (--e->open_handles == 0) {
    close(e->fd);
    delete e;
  }
}

void finish(Echo* e, bool ok, const std::string& detail) {
  if (e->done) return;
  e->done = true;
  uv_poll_stop(&e->poll);
  uv_timer_stop(&e->timer);
  Napi::Env env = e->callback.Env();
  Napi::HandleScope scope(env);
  Napi::Object result = Napi::Object::New(env);
  result.Set("ok", Napi::Boolean::New(env, ok));
  result.Set("detail", Napi::String::New(env, detail));
  result.Set("mode", Napi::String::New(env, e->mode == io::IcmpMode::Raw ? "raw" : "datagram"));
  e->callback.MakeCallback(env.Global(), {result});
  uv_close(reinterpret_cast<uv_handle_t*>(&e->poll), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&e->timer), on_closed);
}

void on_timeout(uv_timer_t* t) { finish(static_cast<Echo*>(t->data), false, "no echo reply in time"); }

void on_readable(uv_poll_t* p, int status, int) {
  Echo* e = static_cast<Echo*>(p->data);
  if (status < 0) return finish(e, false, std::string("poll: ") + uv_strerror(status));
  // Bounded: a raw socket also sees other ICMP traffic; the rest waits for the next event.
  for (int i = 0; i < 64 && !e->done; i++) {
    std::string detail;
    io::EchoResult r = e->v6 ? io::read_echo6(e->fd, e->mode, e->dst6, e->id, e->seq, detail)
                             : io::read_echo(e->fd, e->mode, e->dst, e->id, e->seq, detail);
    switch (r) {
      case io::EchoResult::Reply: return finish(e, true, "echo reply");
      case io::EchoResult::Unreachable: return finish(e, false, detail);
      case io::EchoResult::Error: return finish(e, false, detail);
      case io::EchoResult::Again: return;
      case io::EchoResult::Other: break;
    }
  }
}

}  // namespace

// openCheckSocket("tcp" | "udp", {device?, address?, port?}) -> fd
Napi::Value open_check_socket_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string type;
  Napi::Object o;
  io::CheckSource source;
  if (!get_string(info[0], "type", type) || !get_options(info[1], "source", o) || !get_source(o, source)) return env.Null();
  if (type != "tcp" && type != "udp") return throw_type(env, "type must be tcp or udp"), env.Null();
  std::string error;
  int fd = io::open_check_socket(type == "tcp" ? io::CheckSocketType::Tcp : io::CheckSocketType::Udp, source, error);
  if (fd < 0) {
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Null();
  }
  return Napi::Number::New(env, fd);
}

// icmpEcho({dst, device?, address?, id, seq, size, timeoutMs}, callback({ok, detail, mode}))
Napi::Value icmp_echo_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o;
  io::CheckSource source;
  std::string dst_text, error;
  uint32_t id = 0, seq = 0, size = 56, timeout_ms = 0;
  if (!get_options(info[0], "options", o) || !get_source(o, source) || !get_string(o.Get("dst"), "dst", dst_text) ||
      !get_opt_u32(o, "id", 0, 65535, id) || !get_opt_u32(o, "seq", 0, 65535, seq) ||
      !get_opt_u32(o, "size", 0, 512, size) || !get_u32(o.Get("timeoutMs"), "timeoutMs", 1, 3600000, timeout_ms)) {
    return env.Null();
  }
  if (!info[1].IsFunction()) return throw_type(env, "icmpEcho needs a callback"), env.Null();
  in_addr dst;
  in6_addr dst6;
  bool v6 = inet_pton(AF_INET, dst_text.c_str(), &dst) != 1;
  if (v6 && inet_pton(AF_INET6, dst_text.c_str(), &dst6) != 1) return throw_type(env, "dst must be an IPv4 or IPv6 address"), env.Null();
  if (v6 && (source.address != 0 || source.port != 0)) return throw_type(env, "an IPv6 echo takes no IPv4 source address"), env.Null();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return throw_type(env, "no event loop"), env.Null();
  Echo* e = new Echo();
  e->v6 = v6;
  if (v6) e->dst6 = dst6;
  else e->dst = ntohl(dst.s_addr);
  e->id = static_cast<uint16_t>(id);
  e->seq = static_cast<uint16_t>(seq);
  e->fd = v6 ? io::open_icmp6_socket(source.device, e->mode, error) : io::open_icmp_socket(source, e->mode, error);
  bool sent = e->fd >= 0 && (v6 ? io::send_echo6(e->fd, e->dst6, e->id, e->seq, size, error)
                                 : io::send_echo(e->fd, e->mode, e->dst, e->id, e->seq, size, error));
  if (!sent) {
    if (e->fd >= 0) close(e->fd);
    delete e;
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Null();
  }
  e->callback = Napi::Persistent(info[1].As<Napi::Function>());
  e->poll.data = e;
  e->timer.data = e;
  uv_poll_init(loop, &e->poll, e->fd);
  uv_timer_init(loop, &e->timer);
  e->open_handles = 2;
  uv_poll_start(&e->poll, UV_READABLE, on_readable);
  uv_timer_start(&e->timer, on_timeout, timeout_ms, 0);
  return env.Undefined();
}

}  // namespace director::addon
