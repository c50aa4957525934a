// The addon's entry point: exports layout, the pure parse/rewrite/flowHash functions, Engine,
// Decapsulator, VrrpSocket, the health checks' sockets, the namespace helpers (sysctl files,
// offloads) and dropPrivileges. The only native folder that includes napi.h.
#include <napi.h>

#include "addon/check_sockets.h"
#include "addon/decapsulator.h"
#include "addon/engine.h"
#include "addon/layout.h"
#include "addon/netns_exports.h"
#include "addon/privileges_export.h"
#include "addon/pure.h"
#include "addon/vrrp_socket.h"

namespace director::addon {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("layout", build_layout(env));
  exports.Set("parse", Napi::Function::New(env, parse_export, "parse"));
  exports.Set("rewrite", Napi::Function::New(env, rewrite_export, "rewrite"));
  exports.Set("flowHash", Napi::Function::New(env, flow_hash_export, "flowHash"));
  exports.Set("Engine", Engine::define(env));
  exports.Set("Decapsulator", Decapsulator::define(env));
  exports.Set("VrrpSocket", VrrpSocket::define(env));
  exports.Set("openCheckSocket", Napi::Function::New(env, open_check_socket_export, "openCheckSocket"));
  exports.Set("icmpEcho", Napi::Function::New(env, icmp_echo_export, "icmpEcho"));
  exports.Set("dropPrivileges", Napi::Function::New(env, drop_privileges_export, "dropPrivileges"));
  add_netns_exports(env, exports);
#ifdef DIRECTOR_WITH_XDP
  exports.Set("xdpBuilt", Napi::Boolean::New(env, true));
#else
  exports.Set("xdpBuilt", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace director::addon

static Napi::Object director_init(Napi::Env env, Napi::Object exports) {
  return director::addon::init(env, exports);
}

NODE_API_MODULE(director_native, director_init)
