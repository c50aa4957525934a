// The pure-core exports: parse(frame, vnet?) and rewrite(frame, verdict, egress, vnet?), for
// golden-packet tests and offline tools; no engine, no ports.
#pragma once
#include <napi.h>

namespace director::addon {

Napi::Value parse_export(const Napi::CallbackInfo& info);
Napi::Value rewrite_export(const Napi::CallbackInfo& info);
// {frame, vnet} objects for every frame in out (frames joined from head + body).
Napi::Array out_frames_to_js(Napi::Env env, const void* rewrite_out);

}  // namespace director::addon
