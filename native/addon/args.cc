// Checked conversions from JavaScript values (see args.h).
#include "addon/args.h"

#include <cmath>
#include <cstring>

#include "io/ifinfo.h"

namespace director::addon {

bool throw_type(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool throw_range(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool get_bytes(Napi::Value v, const char* what, uint32_t max, uint8_t*& data, uint32_t& len) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return throw_type(v.Env(), std::string(what) + " must be a Uint8Array or Buffer");
  }
  auto bytes = v.As<Napi::Uint8Array>();
  if (bytes.ByteLength() == 0 || bytes.ByteLength() > max) {
    return throw_range(v.Env(), std::string(what) + " must be 1.." + std::to_string(max) +
                                    " bytes, got " + std::to_string(bytes.ByteLength()));
  }
  data = bytes.Data();
  len = static_cast<uint32_t>(bytes.ByteLength());
  return true;
}

bool peek_bytes(Napi::Value v, uint32_t max, uint8_t*& data, uint32_t& len) {
  if (!v.IsTypedArray()) return false;
  auto bytes = v.As<Napi::Uint8Array>();
  if (bytes.TypedArrayType() != napi_uint8_array) return false;
  size_t n = bytes.ByteLength();
  if (n == 0 || n > max) return false;
  data = bytes.Data();
  len = static_cast<uint32_t>(n);
  return true;
}

bool get_vnet(Napi::Value v, const char* what, core::VnetHdr& vnet) {
  memset(&vnet, 0, sizeof(vnet));
  if (v.IsUndefined() || v.IsNull()) return true;
  uint8_t* data;
  uint32_t len;
  if (!get_bytes(v, what, sizeof(vnet), data, len)) return false;
  if (len != sizeof(vnet)) {
    return throw_range(v.Env(), std::string(what) + " must be exactly 10 bytes (virtio_net_hdr)");
  }
  memcpy(&vnet, data, sizeof(vnet));
  return true;
}

bool get_flow_key(Napi::Value v, const char* what, core::FlowKey& key) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
      v.As<Napi::Uint32Array>().ElementLength() != 2) {
    return throw_type(v.Env(), std::string(what) + " must be a Uint32Array of 2 words (the flow hash key)");
  }
  auto words = v.As<Napi::Uint32Array>();
  key = core::FlowKey{words[0], words[1]};
  return true;
}

bool get_u32(Napi::Value v, const char* what, uint32_t min, uint32_t max, uint32_t& out) {
  if (!v.IsNumber()) return throw_type(v.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < min || d > max) {
    return throw_range(v.Env(), std::string(what) + " must be an integer in " +
                                    std::to_string(min) + ".." + std::to_string(max));
  }
  out = static_cast<uint32_t>(d);
  return true;
}

bool get_opt_u32(Napi::Object o, const char* key, uint32_t min, uint32_t max, uint32_t& out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  return get_u32(v, key, min, max, out);
}

bool get_string(Napi::Value v, const char* what, std::string& out) {
  if (!v.IsString()) return throw_type(v.Env(), std::string(what) + " must be a string");
  out = v.As<Napi::String>().Utf8Value();
  if (out.empty()) return throw_type(v.Env(), std::string(what) + " must not be empty");
  return true;
}

bool get_opt_string(Napi::Object o, const char* key, std::string& out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  return get_string(v, key, out);
}

bool get_mac(Napi::Value v, const char* what, uint8_t mac[6]) {
  std::string text;
  if (!get_string(v, what, text)) return false;
  if (!io::parse_mac(text, mac)) {
    return throw_type(v.Env(), std::string(what) + " must look like aa:bb:cc:dd:ee:ff, got '" +
                                   text + "'");
  }
  return true;
}

bool get_options(Napi::Value v, const char* what, Napi::Object& out) {
  if (v.IsUndefined()) {
    out = Napi::Object::New(v.Env());
    return true;
  }
  if (!v.IsObject()) return throw_type(v.Env(), std::string(what) + " must be an object");
  out = v.As<Napi::Object>();
  return true;
}

Napi::Buffer<uint8_t> copy_buffer(Napi::Env env, const void* data, size_t len) {
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(data), len);
}

}  // namespace director::addon
