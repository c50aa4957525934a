// The pure-core exports: parse(frame, vnet?, hashKey?), rewrite(frame, verdict, egress, vnet?)
// and flowHash(hashKey, proto, src, sport, dst, dport), for golden-packet tests, offline tools and
// the loader's check that TypeScript hashes flows as the core does; no engine, no ports.
#pragma once
#include <napi.h>

namespace director::addon {

Napi::Value parse_export(const Napi::CallbackInfo& info);
Napi::Value rewrite_export(const Napi::CallbackInfo& info);
Napi::Value flow_hash_export(const Napi::CallbackInfo& info);
// {frame, vnet} objects for every frame in out (frames joined from head + body).
Napi::Array out_frames_to_js(Napi::Env env, const void* rewrite_out);

}  // namespace director::addon
