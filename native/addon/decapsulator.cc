// Decapsulator: options checked, uv_poll readiness, counters (see decapsulator.h).
#include "addon/decapsulator.h"

#include <arpa/inet.h>

#include "addon/args.h"

namespace director::addon {

namespace {

// Bounded work per readiness event keeps the event loop fair.
constexpr uint32_t kFramesPerEvent = 1024;

// Outer destinations to accept, IPv4 and IPv6 mixed as given.
bool get_addresses(Napi::Value v, std::vector<uint32_t>& out, std::vector<io::IpipDecap::Ipv6Address>& out6) {
  const uint32_t most = 2 * io::IpipDecap::MAX_ADDRESSES;
  if (!v.IsArray() || v.As<Napi::Array>().Length() == 0 || v.As<Napi::Array>().Length() > most) {
    return throw_type(v.Env(), "options.addresses must be an array of 1.." + std::to_string(most) +
                                   " IPv4 or IPv6 addresses");
  }
  Napi::Array list = v.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    std::string text;
    in_addr addr;
    io::IpipDecap::Ipv6Address addr6;
    if (!get_string(list.Get(i), "options.addresses[]", text)) return false;
    if (inet_pton(AF_INET, text.c_str(), &addr) == 1) {
      out.push_back(ntohl(addr.s_addr));
    } else if (inet_pton(AF_INET6, text.c_str(), addr6.data()) == 1) {
      out6.push_back(addr6);
    } else {
      return throw_type(v.Env(), "options.addresses: '" + text + "' is not an IPv4 or IPv6 address");
    }
  }
  if (out.size() > io::IpipDecap::MAX_ADDRESSES || out6.size() > io::IpipDecap::MAX_ADDRESSES) {
    return throw_type(v.Env(), "options.addresses: at most " + std::to_string(io::IpipDecap::MAX_ADDRESSES) +
                                   " of each family");
  }
  return true;
}

}  // namespace

Napi::Function Decapsulator::define(Napi::Env env) {
  return DefineClass(env, "Decapsulator",
                     {InstanceMethod<&Decapsulator::start>("start"),
                      InstanceMethod<&Decapsulator::stop>("stop"),
                      InstanceMethod<&Decapsulator::counters>("counters"),
                      InstanceMethod<&Decapsulator::info>("info"),
                      InstanceMethod<&Decapsulator::close>("close")});
}

Decapsulator::Decapsulator(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Decapsulator>(info) {
  if (!open(info)) close_all();
}

Decapsulator::~Decapsulator() { close_all(); }

bool Decapsulator::open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) return throw_type(env, "Decapsulator needs options {interface, tun, addresses}");
  Napi::Object o = info[0].As<Napi::Object>();
  std::string ifname, tun, netns, error;
  std::vector<uint32_t> local;
  std::vector<io::IpipDecap::Ipv6Address> local6;
  io::RingOptions ring;
  ring.block_count = 16;
  if (!get_string(o.Get("interface"), "options.interface", ifname) ||
      !get_string(o.Get("tun"), "options.tun", tun) || !get_addresses(o.Get("addresses"), local, local6) ||
      !get_opt_string(o, "netns", netns) ||
      !get_opt_u32(o, "blockSize", 0, 0xffffffffu, ring.block_size) ||
      !get_opt_u32(o, "blockCount", 0, 0xffffffffu, ring.block_count) ||
      !get_opt_u32(o, "blockTimeoutMs", 0, 0xffffffffu, ring.block_timeout_ms)) {
    return false;
  }
  std::string bad = io::check_ring_options(ring);
  if (!bad.empty()) return throw_range(env, "Decapsulator: " + bad);
  decap_ = std::make_unique<io::IpipDecap>();
  if (!decap_->open(ifname, tun, local, local6, ring, netns, error)) {
    Napi::Error::New(env, "Decapsulator(" + ifname + " -> " + tun + "): " + error).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

void Decapsulator::on_readable(uv_poll_t* handle, int status, int) {
  Decapsulator* self = reinterpret_cast<Poll*>(handle)->owner;
  if (status < 0 || !self->decap_) return;
  self->decap_->poll(kFramesPerEvent);
}

Napi::Value Decapsulator::start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || !decap_) {
    Napi::Error::New(env, "start: the decapsulator is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (started_) return env.Undefined();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "start: no event loop").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!poll_) {
    poll_ = new Poll{};
    poll_->owner = this;
    uv_poll_init(loop, &poll_->handle, decap_->fd());
  }
  uv_poll_start(&poll_->handle, UV_READABLE, &Decapsulator::on_readable);
  started_ = true;
  Ref();  // keeps running without a JavaScript reference until stop()/close()
  return env.Undefined();
}

Napi::Value Decapsulator::stop(const Napi::CallbackInfo& info) {
  if (started_) {
    uv_poll_stop(&poll_->handle);
    started_ = false;
    Unref();
  }
  return info.Env().Undefined();
}

Napi::Value Decapsulator::counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  io::DecapCounters zero;
  const io::DecapCounters& c = decap_ && !closed_ ? decap_->counters() : zero;
  auto set = [&](const char* key, uint64_t v) { o.Set(key, Napi::Number::New(env, static_cast<double>(v))); };
  set("rxFrames", c.rx_frames);
  set("decapsulated", c.decapsulated);
  set("decapBytes", c.decap_bytes);
  set("notForUs", c.not_for_us);
  set("malformed", c.malformed);
  set("truncated", c.truncated);
  set("txErrors", c.tx_errors);
  set("ringDrops", c.ring_drops);
  return o;
}

Napi::Value Decapsulator::info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (decap_ && !closed_) {
    o.Set("tun", decap_->tun_name());
    o.Set("tunIfindex", Napi::Number::New(env, decap_->tun_info().ifindex));
  }
  return o;
}

void Decapsulator::close_all() {
  if (closed_) return;
  closed_ = true;
  if (poll_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_->handle),
             [](uv_handle_t* h) { delete reinterpret_cast<Poll*>(h); });
    poll_ = nullptr;
  }
  if (decap_) decap_->close();
  decap_.reset();
}

Napi::Value Decapsulator::close(const Napi::CallbackInfo& info) {
  if (started_) {
    started_ = false;
    Unref();
  }
  close_all();
  return info.Env().Undefined();
}

}  // namespace director::addon
