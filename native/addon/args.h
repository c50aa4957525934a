// Argument checks for the addon's JavaScript entry points: each returns false after throwing a
// TypeError/RangeError that names the argument, so bad input never reaches the data path.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "core/core.h"

namespace director::addon {

bool throw_type(Napi::Env env, const std::string& message);
bool throw_range(Napi::Env env, const std::string& message);

// A Uint8Array (Buffer included) of 1..max bytes.
bool get_bytes(Napi::Value v, const char* what, uint32_t max, uint8_t*& data, uint32_t& len);
// The same check without throwing (hot paths build the error message only on failure).
bool peek_bytes(Napi::Value v, uint32_t max, uint8_t*& data, uint32_t& len);
// undefined/null -> all zero; else a Uint8Array of exactly 10 bytes.
bool get_vnet(Napi::Value v, const char* what, core::VnetHdr& vnet);
// An integer in [min, max].
bool get_u32(Napi::Value v, const char* what, uint32_t min, uint32_t max, uint32_t& out);
// An optional integer property of an options object (left unchanged when absent).
bool get_opt_u32(Napi::Object o, const char* key, uint32_t min, uint32_t max, uint32_t& out);
// A string (non-empty).
bool get_string(Napi::Value v, const char* what, std::string& out);
// An optional string property of an options object.
bool get_opt_string(Napi::Object o, const char* key, std::string& out);
// "aa:bb:cc:dd:ee:ff".
bool get_mac(Napi::Value v, const char* what, uint8_t mac[6]);
// A flow hash key: a Uint32Array of exactly two words.
bool get_flow_key(Napi::Value v, const char* what, core::FlowKey& key);
// undefined -> empty object; else must be an object.
bool get_options(Napi::Value v, const char* what, Napi::Object& out);

Napi::Buffer<uint8_t> copy_buffer(Napi::Env env, const void* data, size_t len);

}  // namespace director::addon
