// writeNetnsFile(path, text, {netns}) and setOffloads(ifname, want, {netns}) over native/io (see netns_exports.h). Each runs
// synchronously on the calling thread, which is inside the namespace only for the call.
#include "addon/netns_exports.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "addon/args.h"
#include "io/netns.h"
#include "io/offloads.h"

namespace director::addon {

namespace {

constexpr const char* kOffloadNames[] = {"rx", "tx", "tso", "gso", "gro"};

int* offload_field(io::Offloads& o, int i) {
  int* fields[] = {&o.rx, &o.tx, &o.tso, &o.gso, &o.gro};
  return fields[i];
}

bool get_netns(Napi::Value options, std::string& netns) {
  Napi::Object o;
  return get_options(options, "options", o) && get_opt_string(o, "netns", netns);
}

Napi::Value throw_error(Napi::Env env, const std::string& message) {
  Napi::Error::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value write_netns_file(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, netns, error;
  if (!get_string(info[0], "path", path)) return env.Undefined();
  if (!info[1].IsString()) return throw_error(env, "text must be a string");
  std::string text = info[1].As<Napi::String>().Utf8Value();
  if (!get_netns(info[2], netns)) return env.Undefined();
  if (!io::write_file_in_netns(netns, path, text, error)) return throw_error(env, error);
  return env.Undefined();
}

Napi::Object offloads_to_js(Napi::Env env, io::Offloads& o) {
  Napi::Object out = Napi::Object::New(env);
  for (int i = 0; i < 5; i++) out.Set(kOffloadNames[i], Napi::Boolean::New(env, *offload_field(o, i) == 1));
  return out;
}

bool get_wanted(Napi::Value v, io::Offloads& want) {
  if (!v.IsObject()) return throw_type(v.Env(), "want must be an object {rx?, tx?, tso?, gso?, gro?}");
  Napi::Object o = v.As<Napi::Object>();
  for (int i = 0; i < 5; i++) {
    Napi::Value b = o.Get(kOffloadNames[i]);
    if (b.IsUndefined()) continue;
    if (!b.IsBoolean()) return throw_type(v.Env(), std::string("want.") + kOffloadNames[i] + " must be a boolean");
    *offload_field(want, i) = b.As<Napi::Boolean>().Value() ? 1 : 0;
  }
  return true;
}

// Switches the offloads want names (none: only reads them) with an ioctl socket of the
// interface's namespace; returns the state after.
Napi::Value set_offloads_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname, netns, error;
  io::Offloads want;
  if (!get_string(info[0], "ifname", ifname) || !get_wanted(info[1], want) || !get_netns(info[2], netns)) {
    return env.Undefined();
  }
  int fd, err = 0;
  {
    // The socket's namespace is where SIOCETHTOOL looks the interface up.
    io::NetnsScope scope(netns);
    if (!scope.ok()) return throw_error(env, scope.error());
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) err = errno;
  }
  if (fd < 0) return throw_error(env, std::string("cannot open an ioctl socket: ") + strerror(err));
  io::Offloads now;
  bool ok = io::write_offloads(fd, ifname, want, now, error);
  close(fd);
  if (!ok) return throw_error(env, error);
  return offloads_to_js(env, now);
}

}  // namespace

void add_netns_exports(Napi::Env env, Napi::Object exports) {
  exports.Set("writeNetnsFile", Napi::Function::New(env, write_netns_file, "writeNetnsFile"));
  exports.Set("setOffloads", Napi::Function::New(env, set_offloads_export, "setOffloads"));
}

}  // namespace director::addon
