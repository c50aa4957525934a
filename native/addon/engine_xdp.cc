// Engine methods for the AF_XDP port: adding one, steering addresses to it, reading its mode.
// Without libxdp/libbpf at build time they exist and throw one clear error (see binding.gyp).
#include <string>
#include <vector>

#include "addon/args.h"
#include "addon/engine.h"
#ifdef DIRECTOR_WITH_XDP
#include "addon/xdp_port.h"
#endif

namespace director::addon {

#ifndef DIRECTOR_WITH_XDP

namespace {
Napi::Value not_built(const Napi::CallbackInfo& info) {
  Napi::Error::New(info.Env(), "AF_XDP support was not built: install libxdp-dev and libbpf-dev, then npm install")
      .ThrowAsJavaScriptException();
  return info.Env().Undefined();
}
}  // namespace

Napi::Value Engine::add_xdp_port(const Napi::CallbackInfo& info) { return not_built(info); }
Napi::Value Engine::set_xdp_addresses(const Napi::CallbackInfo& info) { return not_built(info); }
Napi::Value Engine::xdp_status(const Napi::CallbackInfo& info) { return not_built(info); }

#else

namespace {

bool get_choice(Napi::Object o, const char* key, const std::vector<std::string>& allowed, int& out) {
  std::string v;
  if (o.Get(key).IsUndefined()) return true;
  if (!get_string(o.Get(key), key, v)) return false;
  for (size_t i = 0; i < allowed.size(); i++) {
    if (allowed[i] == v) {
      out = static_cast<int>(i);
      return true;
    }
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "'" : ", '") + a + "'";
  return throw_type(o.Env(), std::string("options.") + key + " must be one of " + list + ", got '" + v + "'");
}

bool get_xdp_options(Napi::Object opts, io::XdpOptions& x, std::string& netns) {
  int bind = 0, attach = 0;  // index 0 is 'auto' in both lists
  if (!get_opt_u32(opts, "queue", 0, 0xffffffffu, x.queue) ||
      !get_opt_u32(opts, "frameSize", 0, 0xffffffffu, x.frame_size) ||
      !get_opt_u32(opts, "frameCount", 0, 0xffffffffu, x.frame_count) ||
      !get_opt_string(opts, "netns", netns) ||
      !get_choice(opts, "mode", {"auto", "copy", "zerocopy"}, bind) ||
      !get_choice(opts, "attach", {"auto", "native", "generic"}, attach)) {
    return false;
  }
  x.bind = static_cast<io::XdpBind>(bind);
  x.attach = static_cast<io::XdpAttach>(attach);
  return true;
}

bool get_address_list(Napi::Object o, const char* key, uint32_t flag, std::vector<uint32_t>& addrs,
                      std::vector<uint32_t>& flags) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  if (!v.IsArray()) return throw_type(o.Env(), std::string("addresses.") + key + " must be an array of IPv4 numbers");
  Napi::Array list = v.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    uint32_t a;
    if (!get_u32(list.Get(i), key, 0, 0xffffffffu, a)) return false;
    addrs.push_back(a);
    flags.push_back(flag);
  }
  return true;
}

}  // namespace

Napi::Value Engine::add_xdp_port(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname, netns, error;
  Napi::Object opts;
  io::XdpOptions x;
  if (!usable(env, "addXdpPort") || !get_string(info[0], "ifname", ifname) ||
      !get_options(info[1], "options", opts) || !get_xdp_options(opts, x, netns)) {
    return env.Undefined();
  }
  if (ports_.size() >= Datapath::MAX_PORTS) {
    throw_range(env, "an engine holds at most " + std::to_string(Datapath::MAX_PORTS) + " ports");
    return env.Undefined();
  }
  std::string bad = io::check_xdp_options(x);
  if (!bad.empty()) {
    throw_range(env, "addXdpPort: " + bad);
    return env.Undefined();
  }
  auto port = std::make_unique<XdpPort>(ifname);
  if (!port->open(x, netns, error)) {
    Napi::Error::New(env, "addXdpPort(" + ifname + "): " + error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return added(std::move(port));
}

bool Engine::get_xdp_port(Napi::Value v, XdpPort*& port) {
  uint32_t index;
  if (!get_port(v, index)) return false;
  if (ports_[index]->kind != PortKind::XDP) return throw_type(v.Env(), "port " + std::to_string(index) + " is not an XDP port");
  port = static_cast<XdpPort*>(ports_[index].get());
  return true;
}

Napi::Value Engine::set_xdp_addresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  XdpPort* port;
  Napi::Object o;
  std::vector<uint32_t> addrs, flags;
  if (!get_xdp_port(info[0], port) || !get_options(info[1], "addresses", o) ||
      !get_address_list(o, "owned", io::XDP_ADDR_OWNED, addrs, flags) ||
      !get_address_list(o, "natSources", io::XDP_ADDR_NAT_SOURCE, addrs, flags) ||
      !get_address_list(o, "local", io::XDP_ADDR_LOCAL, addrs, flags)) {
    return env.Undefined();
  }
  std::string error;
  if (!port->set_addresses(addrs.data(), flags.data(), static_cast<uint32_t>(addrs.size()), error)) {
    Napi::Error::New(env, "setXdpAddresses: " + error).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value Engine::xdp_status(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  XdpPort* port;
  if (!get_xdp_port(info[0], port)) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  o.Set("attach", port->attach_mode());
  o.Set("mode", port->bind_mode());
  o.Set("partialChecksums", Napi::Number::New(env, static_cast<double>(port->partial_checksums())));
  io::XdpSocket::FrameCounts c = port->frame_counts();
  Napi::Object f = Napi::Object::New(env);
  auto set = [&](const char* key, uint64_t v) { f.Set(key, Napi::Number::New(env, static_cast<double>(v))); };
  set("receive", c.receive_frames);
  set("transmit", c.transmit_frames);
  set("withKernel", c.with_kernel);
  set("waitingFill", c.waiting_fill);
  set("held", c.held);
  set("sendingInPlace", c.sending_in_place);
  set("txFree", c.tx_free);
  set("txInFlight", c.tx_in_flight);
  set("sentInPlace", c.sent_in_place);
  set("sentCopied", c.sent_copied);
  o.Set("frames", f);
  return o;
}

#endif  // DIRECTOR_WITH_XDP

}  // namespace director::addon
