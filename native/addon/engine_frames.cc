// Engine methods that move frames to and from JavaScript: send, transmitHeld, inject, drain
// (see engine.h).
#include <cstring>

#include "addon/args.h"
#include "addon/engine.h"

namespace director::addon {

namespace {

// Largest frame a port sends without segmentation: MTU + Ethernet header + one VLAN tag.
uint32_t max_plain_frame(const Port& port) { return port.egress.mtu + 18; }

}  // namespace

Napi::Value Engine::send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t index;
  uint8_t* data;
  uint32_t len;
  if (!get_port(info[0], index)) return env.Undefined();
  Port& port = *ports_[index];
  if (!get_bytes(info[1], "frame", max_plain_frame(port), data, len)) return env.Undefined();
  if (len < 14) {
    throw_range(env, "frame must hold at least an Ethernet header (14 bytes), got " +
                         std::to_string(len));
    return env.Undefined();
  }
  datapath_->send_raw(index, data, len);
  return env.Undefined();
}

Napi::Value Engine::transmit_held(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t count;
  if (!usable(env, "transmitHeld") || !get_u32(info[0], "count", 0, HOLD_SLOTS, count)) {
    return env.Undefined();
  }
  // Check every record first, so a bad one sends nothing rather than half the list.
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t* v = held_verdict_ + i * verdict::WORDS;
    uint32_t slot = v[verdict::SLOT];
    std::string where = "heldVerdict record " + std::to_string(i) + ": ";
    if (slot >= HOLD_SLOTS) {
      throw_range(env, where + "SLOT " + std::to_string(slot) + " is out of range 0.." +
                           std::to_string(HOLD_SLOTS - 1));
      return env.Undefined();
    }
    if (!hold_->used(slot)) {
      throw_range(env, where + "hold slot " + std::to_string(slot) + " is empty");
      return env.Undefined();
    }
    if (v[verdict::ACTION] == static_cast<uint32_t>(Action::HOLD)) {
      throw_range(env, where + "a held frame cannot be held again");
      return env.Undefined();
    }
  }
  datapath_->transmit_held(held_verdict_, count);
  return env.Undefined();
}

bool Engine::get_memory_port(Napi::Value v, MemoryPort*& port, uint32_t& index) {
  if (!get_port(v, index)) return false;
  if (ports_[index]->kind != PortKind::MEMORY) {
    return throw_type(v.Env(), "port " + std::to_string(index) + " is not a memory port");
  }
  port = static_cast<MemoryPort*>(ports_[index].get());
  return true;
}

Napi::Value Engine::inject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MemoryPort* port;
  uint32_t index;
  if (in_batch_) {
    Napi::Error::New(env, "inject() cannot be called from inside the batch handler")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!get_memory_port(info[0], port, index)) return env.Undefined();
  if (!info[1].IsArray()) {
    throw_type(env, "frames must be an array of Uint8Array");
    return env.Undefined();
  }
  Napi::Array frames = info[1].As<Napi::Array>();
  Napi::Value vnets = info[2];
  if (!vnets.IsUndefined() &&
      (!vnets.IsArray() || vnets.As<Napi::Array>().Length() != frames.Length())) {
    throw_type(env, "vnet must be undefined or an array as long as frames");
    return env.Undefined();
  }
  inject_chunked(index, frames, vnets);
  return env.Undefined();
}

bool Engine::stage_all(Napi::Array frames, Napi::Value vnets) {
  uint32_t n = frames.Length();
  staged_.resize(n);
  bool with_vnet = !vnets.IsUndefined();
  Napi::Array vnet_list = with_vnet ? vnets.As<Napi::Array>() : Napi::Array();
  // Validate everything first: a bad element must not leave half the frames processed. The
  // typed arrays stay alive (frames holds them) for the whole call, so pointers are kept.
  for (uint32_t i = 0; i < n; i++) {
    Staged& st = staged_[i];
    Napi::Value f = frames.Get(i);
    if (!peek_bytes(f, HOLD_SLOT_BYTES, st.data, st.len)) {
      return get_bytes(f, ("frames[" + std::to_string(i) + "]").c_str(), HOLD_SLOT_BYTES, st.data, st.len);
    }
    st.vnet = core::VnetHdr{};
    if (!with_vnet) continue;
    Napi::Value v = vnet_list.Get(i);
    uint8_t* raw;
    uint32_t raw_len;
    if (peek_bytes(v, sizeof(core::VnetHdr), raw, raw_len) && raw_len == sizeof(core::VnetHdr)) {
      memcpy(&st.vnet, raw, sizeof(core::VnetHdr));
    } else if (!get_vnet(v, ("vnet[" + std::to_string(i) + "]").c_str(), st.vnet)) {
      return false;
    }
  }
  return true;
}

bool Engine::inject_chunked(uint32_t index, Napi::Array frames, Napi::Value vnets) {
  auto* port = static_cast<MemoryPort*>(ports_[index].get());
  if (!stage_all(frames, vnets)) return false;
  RxBatch& batch = *batch_;
  batch.count = 0;
  for (const Staged& st : staged_) {
    if (port->stage(batch, st.data, st.len, st.vnet)) continue;
    bool ok = datapath_->run(index, batch, *this);
    port->release();
    batch.count = 0;
    if (!ok) return false;
    port->stage(batch, st.data, st.len, st.vnet);
  }
  bool ok = datapath_->run(index, batch, *this);
  port->release();
  batch.count = 0;
  return ok;
}

Napi::Value Engine::drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MemoryPort* port;
  uint32_t index;
  if (!get_memory_port(info[0], port, index)) return env.Undefined();
  const auto& kept = port->kept();
  size_t total = kept.empty() ? 0 : kept.back().offset + sizeof(core::VnetHdr) + kept.back().len;
  // One copy of everything; each frame and vnet header is a Buffer view into it, so draining
  // many frames costs one allocation rather than two per frame.
  Napi::ArrayBuffer all = Napi::ArrayBuffer::New(env, total);
  if (total) memcpy(all.Data(), port->kept_bytes(), total);
  Napi::Function from = env.Global().Get("Buffer").As<Napi::Object>().Get("from").As<Napi::Function>();
  Napi::Value buffer_ctor = env.Global().Get("Buffer");
  Napi::Array list = Napi::Array::New(env, kept.size());
  constexpr size_t kVnet = sizeof(core::VnetHdr);
  for (size_t k = 0; k < kept.size(); k++) {
    Napi::HandleScope scope(env);
    double at = static_cast<double>(kept[k].offset);
    Napi::Object item = Napi::Object::New(env);
    item.Set("frame", from.Call(buffer_ctor, {all, Napi::Number::New(env, at + kVnet),
                                              Napi::Number::New(env, kept[k].len)}));
    item.Set("vnet", from.Call(buffer_ctor, {all, Napi::Number::New(env, at), Napi::Number::New(env, kVnet)}));
    list.Set(static_cast<uint32_t>(k), item);
  }
  port->clear_kept();
  return list;
}

}  // namespace director::addon
