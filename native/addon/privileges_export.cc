// dropPrivileges (see privileges_export.h): argument checks, then io::drop_privileges.
#include "addon/privileges_export.h"

#include "addon/args.h"
#include "io/privileges.h"

namespace director::addon {

namespace {

bool get_id_list(Napi::Object o, const char* key, uint32_t max, std::vector<uint32_t>& out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  if (!v.IsArray()) return throw_type(o.Env(), std::string(key) + " must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    uint32_t n = 0;
    if (!get_u32(a.Get(i), key, 0, max, n)) return false;
    out.push_back(n);
  }
  return true;
}

}  // namespace

Napi::Value drop_privileges_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o;
  if (!get_options(info[0], "options", o)) return env.Undefined();
  std::vector<uint32_t> keep, groups;
  if (!get_id_list(o, "keep", 63, keep) || !get_id_list(o, "groups", 0xfffffffe, groups)) return env.Undefined();
  io::PrivilegePlan plan;
  for (uint32_t cap : keep) plan.keep |= 1ULL << cap;
  Napi::Value uid = o.Get("uid");
  if (!uid.IsUndefined()) {
    uint32_t u = 0, g = 0;
    if (!get_u32(uid, "uid", 0, 0xfffffffe, u) || !get_u32(o.Get("gid"), "gid", 0, 0xfffffffe, g)) return env.Undefined();
    plan.switch_user = true;
    plan.uid = u;
    plan.gid = g;
    plan.groups.assign(groups.begin(), groups.end());
  }
  Napi::Value nnp = o.Get("noNewPrivs");
  if (!nnp.IsUndefined() && !nnp.IsBoolean()) {
    throw_type(env, "noNewPrivs must be a boolean");
    return env.Undefined();
  }
  plan.no_new_privs = nnp.IsUndefined() || nnp.As<Napi::Boolean>().Value();
  std::string error;
  if (!io::drop_privileges(plan, error)) {
    Napi::Error::New(env, "dropping privileges: " + error).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace director::addon
