// parse() and rewrite() over the pure core, copying frames so the caller's bytes never change.
#include "addon/pure.h"

#include <cstring>
#include <memory>
#include <vector>

#include "addon/args.h"
#include "core/core.h"
#include "io/ifinfo.h"

namespace director::addon {

namespace {

Napi::Uint32Array new_meta(Napi::Env env) { return Napi::Uint32Array::New(env, meta::WORDS); }

bool get_egress(Napi::Value v, core::Egress& egress) {
  if (!v.IsObject()) return throw_type(v.Env(), "egress must be an object {mac, mtu, ip?}");
  Napi::Object o = v.As<Napi::Object>();
  if (!get_mac(o.Get("mac"), "egress.mac", egress.mac)) return false;
  if (!get_u32(o.Get("mtu"), "egress.mtu", 68, 65535, egress.mtu)) return false;
  egress.ip = 0;
  return get_opt_u32(o, "ip", 0, 0xffffffffu, egress.ip);
}

}  // namespace

Napi::Value parse_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data;
  uint32_t len;
  core::VnetHdr vnet;
  core::FlowKey key{0, 0};
  if (!get_bytes(info[0], "frame", HOLD_SLOT_BYTES, data, len)) return env.Undefined();
  if (!get_vnet(info[1], "vnet", vnet)) return env.Undefined();
  if (!info[2].IsUndefined() && !get_flow_key(info[2], "hashKey", key)) return env.Undefined();
  Napi::Uint32Array meta = new_meta(env);
  core::parse_frame(data, len, &vnet, key, meta.Data());
  return meta;
}

Napi::Value flow_hash_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::FlowKey key;
  uint32_t proto, src, sport, dst, dport;
  if (!get_flow_key(info[0], "hashKey", key) || !get_u32(info[1], "proto", 0, 255, proto) ||
      !get_u32(info[2], "src", 0, 0xffffffffu, src) || !get_u32(info[3], "sport", 0, 65535, sport) ||
      !get_u32(info[4], "dst", 0, 0xffffffffu, dst) || !get_u32(info[5], "dport", 0, 65535, dport)) {
    return env.Undefined();
  }
  return Napi::Number::New(env, core::flow_hash(key, proto, src, sport, dst, dport));
}

Napi::Array out_frames_to_js(Napi::Env env, const void* raw) {
  const auto& out = *static_cast<const core::RewriteOut*>(raw);
  Napi::Array list = Napi::Array::New(env, out.count);
  for (uint32_t k = 0; k < out.count; k++) {
    const core::OutFrame& f = out.frames[k];
    Napi::Buffer<uint8_t> frame = Napi::Buffer<uint8_t>::New(env, f.head_len + f.body_len);
    if (f.head_len) memcpy(frame.Data(), f.head, f.head_len);
    if (f.body_len) memcpy(frame.Data() + f.head_len, f.body, f.body_len);
    Napi::Object item = Napi::Object::New(env);
    item.Set("frame", frame);
    item.Set("vnet", copy_buffer(env, &f.vnet, sizeof(f.vnet)));
    list.Set(k, item);
  }
  return list;
}

Napi::Value rewrite_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data;
  uint32_t len;
  core::VnetHdr vnet;
  core::Egress egress{};
  if (!get_bytes(info[0], "frame", HOLD_SLOT_BYTES, data, len)) return env.Undefined();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
      info[1].As<Napi::Uint32Array>().ElementLength() < verdict::WORDS) {
    throw_type(env, "verdict must be a Uint32Array of at least " +
                        std::to_string(verdict::WORDS) + " words");
    return env.Undefined();
  }
  if (!get_egress(info[2], egress) || !get_vnet(info[3], "vnet", vnet)) return env.Undefined();
  std::vector<uint8_t> copy(data, data + len);
  uint32_t meta[meta::WORDS];
  core::parse_frame(copy.data(), len, &vnet, core::FlowKey{0, 0}, meta);
  auto out = std::make_unique<core::RewriteOut>();
  core::apply_verdict(copy.data(), len, vnet, meta, info[1].As<Napi::Uint32Array>().Data(), egress,
                      *out);
  Napi::Array list = out_frames_to_js(env, out.get());
  list.Set("error", Napi::Number::New(env, out->error));
  return list;
}

}  // namespace director::addon
