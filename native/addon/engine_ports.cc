// Engine methods that add ports and describe them (see engine.h).
#include <linux/filter.h>

#include <random>
#include <vector>

#include "addon/args.h"
#include "addon/engine.h"
#include "io/ifinfo.h"

namespace director::addon {

namespace {

// A TAP port's own MAC must differ from the kernel-side device's, or a bridge would see its
// own address arriving from the wire; locally administered and unicast.
void random_mac(uint8_t mac[6]) {
  std::random_device rd;
  for (int i = 0; i < 6; i++) mac[i] = static_cast<uint8_t>(rd());
  mac[0] = static_cast<uint8_t>((mac[0] & 0xfe) | 0x02);
}

const char* kind_name(PortKind kind) {
  switch (kind) {
    case PortKind::PACKET: return "packet";
    case PortKind::TAP: return "tap";
    case PortKind::MEMORY: return "memory";
    case PortKind::XDP: return "xdp";
  }
  return "unknown";
}

}  // namespace

bool Engine::get_port(Napi::Value v, uint32_t& port) {
  if (!usable(v.Env(), "port access")) return false;
  if (ports_.empty()) return throw_range(v.Env(), "port index out of range: the engine has no ports");
  return get_u32(v, "port", 0, static_cast<uint32_t>(ports_.size() - 1), port);
}

Napi::Value Engine::added(std::unique_ptr<Port> port) {
  uint32_t index = static_cast<uint32_t>(ports_.size());
  ports_.push_back(std::move(port));
  polls_.push_back(nullptr);
  if (started_) start_poll(index);
  return Napi::Number::New(Env(), index);
}

Napi::Value Engine::add_packet_port(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname, netns, error;
  Napi::Object opts;
  io::RingOptions ring;
  if (!usable(env, "addPacketPort") || !get_string(info[0], "ifname", ifname) ||
      !get_options(info[1], "options", opts) ||
      !get_opt_u32(opts, "blockSize", 0, 0xffffffffu, ring.block_size) ||
      !get_opt_u32(opts, "blockCount", 0, 0xffffffffu, ring.block_count) ||
      !get_opt_u32(opts, "blockTimeoutMs", 0, 0xffffffffu, ring.block_timeout_ms) ||
      !get_opt_u32(opts, "frameCount", 0, 0xffffffffu, ring.frame_count) ||
      !get_opt_string(opts, "netns", netns)) {
    return env.Undefined();
  }
  std::string kind = "frame";
  if (!get_opt_string(opts, "ring", kind)) return env.Undefined();
  if (kind != "block" && kind != "frame" && kind != "adaptive") {
    throw_range(env, "addPacketPort: options.ring must be 'block', 'frame' or 'adaptive', got '" + kind + "'");
    return env.Undefined();
  }
  ring.per_frame = kind == "frame";
  int fanout_group = -1;
  if (!opts.Get("fanoutGroup").IsUndefined()) {
    uint32_t group;
    if (!get_u32(opts.Get("fanoutGroup"), "options.fanoutGroup", 0, 0xffff, group)) return env.Undefined();
    fanout_group = static_cast<int>(group);
  }
  if (ports_.size() >= Datapath::MAX_PORTS) {
    throw_range(env, "an engine holds at most " + std::to_string(Datapath::MAX_PORTS) + " ports");
    return env.Undefined();
  }
  std::string bad = io::check_ring_options(ring);
  if (!bad.empty()) {
    throw_range(env, "addPacketPort: " + bad);
    return env.Undefined();
  }
  auto port = std::make_unique<PacketPort>(ifname);
  if (!port->open(ring, kind == "adaptive", netns, fanout_group, error)) {
    Napi::Error::New(env, "addPacketPort(" + ifname + "): " + error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return added(std::move(port));
}

Napi::Value Engine::set_fanout_program(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t index;
  if (!get_port(info[0], index)) return env.Undefined();
  auto* port = ports_[index]->kind == PortKind::PACKET ? static_cast<PacketPort*>(ports_[index].get()) : nullptr;
  if (port == nullptr || !port->fanout()) {
    throw_range(env, "setFanoutProgram: port " + std::to_string(index) + " is not a fanout member");
    return env.Undefined();
  }
  // Two words per instruction: code | jt << 16 | jf << 24, then k (the classic BPF layout).
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw_type(env, "setFanoutProgram: program must be a Uint32Array");
    return env.Undefined();
  }
  Napi::Uint32Array words = info[1].As<Napi::Uint32Array>();
  size_t n = words.ElementLength() / 2;
  if (words.ElementLength() % 2 != 0 || n == 0 || n > BPF_MAXINSNS) {
    throw_range(env, "setFanoutProgram: program must hold 1.." + std::to_string(BPF_MAXINSNS) + " instructions of two words");
    return env.Undefined();
  }
  std::vector<sock_filter> code(n);
  for (size_t i = 0; i < n; i++) {
    uint32_t w = words[2 * i];
    code[i] = sock_filter{static_cast<uint16_t>(w & 0xffff), static_cast<uint8_t>((w >> 16) & 0xff),
                          static_cast<uint8_t>(w >> 24), words[2 * i + 1]};
  }
  std::string error;
  if (!port->set_fanout_program(code.data(), static_cast<uint16_t>(n), error)) {
    Napi::Error::New(env, "setFanoutProgram: " + error).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value Engine::add_tap_port(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname, netns, error;
  Napi::Object opts;
  uint8_t mac[6];
  random_mac(mac);
  if (!usable(env, "addTapPort") || !get_string(info[0], "ifname", ifname) ||
      !get_options(info[1], "options", opts) || !get_opt_string(opts, "netns", netns)) {
    return env.Undefined();
  }
  if (!opts.Get("mac").IsUndefined() && !get_mac(opts.Get("mac"), "options.mac", mac)) {
    return env.Undefined();
  }
  if (ports_.size() >= Datapath::MAX_PORTS) {
    throw_range(env, "an engine holds at most " + std::to_string(Datapath::MAX_PORTS) + " ports");
    return env.Undefined();
  }
  auto port = std::make_unique<TapPort>(ifname, mac);
  if (!port->open(netns, error)) {
    Napi::Error::New(env, "addTapPort(" + ifname + "): " + error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return added(std::move(port));
}

Napi::Value Engine::add_memory_port(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  uint8_t mac[6];
  uint32_t mtu;
  Napi::Object opts;
  if (!usable(env, "addMemoryPort") || !get_string(info[0], "name", name) ||
      !get_mac(info[1], "mac", mac) || !get_u32(info[2], "mtu", 68, 65535, mtu) ||
      !get_options(info[3], "options", opts)) {
    return env.Undefined();
  }
  Napi::Value keep = opts.Get("keep");
  if (!keep.IsUndefined() && !keep.IsBoolean()) {
    throw_type(env, "options.keep must be a boolean");
    return env.Undefined();
  }
  // A memory port stands for an interface with this IPv4 address (source of ICMP errors).
  uint32_t ipv4 = 0;
  Napi::Value ip = opts.Get("ipv4");
  if (!ip.IsUndefined() && !get_u32(ip, "options.ipv4", 0, 0xffffffffu, ipv4)) return env.Undefined();
  if (ports_.size() >= Datapath::MAX_PORTS) {
    throw_range(env, "an engine holds at most " + std::to_string(Datapath::MAX_PORTS) + " ports");
    return env.Undefined();
  }
  auto port = std::make_unique<MemoryPort>(name, mac, mtu, keep.IsUndefined() || keep.ToBoolean());
  port->egress.ip = ipv4;
  return added(std::move(port));
}

Napi::Value Engine::port_info(const Napi::CallbackInfo& info) {
  uint32_t index;
  if (!get_port(info[0], index)) return info.Env().Undefined();
  const Port& port = *ports_[index];
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("index", Napi::Number::New(info.Env(), index));
  o.Set("kind", kind_name(port.kind));
  o.Set("name", port.name);
  o.Set("ifindex", Napi::Number::New(info.Env(), port.ifindex));
  o.Set("mac", io::format_mac(port.egress.mac));
  o.Set("mtu", Napi::Number::New(info.Env(), port.egress.mtu));
  o.Set("ipv4", Napi::Number::New(info.Env(), port.egress.ip));
  return o;
}

Napi::Value Engine::counters(const Napi::CallbackInfo& info) {
  uint32_t index;
  if (!get_port(info[0], index)) return info.Env().Undefined();
  Port& port = *ports_[index];
  port.refresh_stats();
  const PortStats& s = port.stats;
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* key, uint64_t v) { o.Set(key, Napi::Number::New(env, static_cast<double>(v))); };
  set("rxFrames", s.rx_frames);
  set("rxBytes", s.rx_bytes);
  set("rxBatches", s.rx_batches);
  set("rxParseErrors", s.rx_parse_errors);
  set("rxRingDrops", s.rx_ring_drops);
  set("rxRingSwitches", s.rx_ring_switches);
  set("rxTruncated", s.rx_truncated);
  set("rxErrors", s.rx_errors);
  set("txFrames", s.tx_frames);
  set("txBytes", s.tx_bytes);
  set("txErrors", s.tx_errors);
  set("verdictErrors", s.verdict_errors);
  return o;
}

}  // namespace director::addon
