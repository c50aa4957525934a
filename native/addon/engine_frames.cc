// Engine methods that move frames to and from JavaScript: send, transmitHeld, inject, drain
// (see engine.h).
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

bool Engine::inject_chunked(uint32_t index, Napi::Array frames, Napi::Value vnets) {
  auto* port = static_cast<MemoryPort*>(ports_[index].get());
  uint32_t n = frames.Length();
  // Validate everything first: a bad element must not leave half the frames processed.
  for (uint32_t i = 0; i < n; i++) {
    uint8_t* data;
    uint32_t len;
    core::VnetHdr vnet;
    std::string what = "frames[" + std::to_string(i) + "]";
    if (!get_bytes(frames.Get(i), what.c_str(), HOLD_SLOT_BYTES, data, len)) return false;
    if (!vnets.IsUndefined() &&
        !get_vnet(vnets.As<Napi::Array>().Get(i), ("vnet[" + std::to_string(i) + "]").c_str(), vnet)) {
      return false;
    }
  }
  RxBatch& batch = *batch_;
  batch.count = 0;
  for (uint32_t i = 0; i < n; i++) {
    Napi::HandleScope scope(Env());
    uint8_t* data;
    uint32_t len;
    core::VnetHdr vnet{};
    get_bytes(frames.Get(i), "frame", HOLD_SLOT_BYTES, data, len);
    if (!vnets.IsUndefined()) get_vnet(vnets.As<Napi::Array>().Get(i), "vnet", vnet);
    if (port->stage(batch, data, len, vnet)) continue;
    bool ok = datapath_->run(index, batch, *this);
    port->release();
    batch.count = 0;
    if (!ok) return false;
    port->stage(batch, data, len, vnet);
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
  Napi::Array list = Napi::Array::New(env, kept.size());
  constexpr size_t kVnet = sizeof(core::VnetHdr);
  for (size_t k = 0; k < kept.size(); k++) {
    const uint8_t* at = port->kept_bytes() + kept[k].offset;
    Napi::Object item = Napi::Object::New(env);
    item.Set("frame", copy_buffer(env, at + kVnet, kept[k].len));
    item.Set("vnet", copy_buffer(env, at, kVnet));
    list.Set(static_cast<uint32_t>(k), item);
  }
  port->clear_kept();
  return list;
}

}  // namespace director::addon
