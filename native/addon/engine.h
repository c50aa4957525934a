// The Engine class TypeScript constructs: owns the ports, the shared record buffers, the hold
// pool and the datapath; runs batches from readiness events (uv_poll) and from inject(), calling
// the TypeScript batch handler once per batch.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>
#include <vector>

#include "addon/datapath.h"
#include "addon/hold_pool.h"
#include "addon/port.h"

namespace director::addon {

class XdpPort;

class Engine : public Napi::ObjectWrap<Engine>, public BatchHandler {
 public:
  static Napi::Function define(Napi::Env env);
  explicit Engine(const Napi::CallbackInfo& info);
  ~Engine() override;

  bool on_batch(uint32_t port, uint32_t count) override;

 private:
  struct Poll;
  static void on_readable(uv_poll_t* handle, int status, int events);

  // engine.cc: lifecycle, buffers, polling
  Napi::Value on_batch_js(const Napi::CallbackInfo& info);
  Napi::Value start(const Napi::CallbackInfo& info);
  Napi::Value stop(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value hash_key(const Napi::CallbackInfo& info);
  void start_poll(uint32_t port);
  void poll_port(uint32_t port);
  void close_all();
  bool usable(Napi::Env env, const char* what);

  // engine_ports.cc: adding ports, describing them
  Napi::Value add_packet_port(const Napi::CallbackInfo& info);
  Napi::Value add_tap_port(const Napi::CallbackInfo& info);
  Napi::Value add_memory_port(const Napi::CallbackInfo& info);
  Napi::Value port_info(const Napi::CallbackInfo& info);
  Napi::Value counters(const Napi::CallbackInfo& info);
  Napi::Value added(std::unique_ptr<Port> port);
  bool get_port(Napi::Value v, uint32_t& port);

  // engine_xdp.cc: the AF_XDP port (throwing stubs when built without libxdp/libbpf)
  Napi::Value add_xdp_port(const Napi::CallbackInfo& info);
  Napi::Value set_xdp_addresses(const Napi::CallbackInfo& info);
  Napi::Value set_fanout_program(const Napi::CallbackInfo& info);
  Napi::Value xdp_status(const Napi::CallbackInfo& info);
  bool get_xdp_port(Napi::Value v, XdpPort*& port);

  // engine_frames.cc: frames in and out from JavaScript
  Napi::Value send(const Napi::CallbackInfo& info);
  Napi::Value transmit_held(const Napi::CallbackInfo& info);
  Napi::Value inject(const Napi::CallbackInfo& info);
  Napi::Value drain(const Napi::CallbackInfo& info);
  bool inject_chunked(uint32_t port, Napi::Array frames, Napi::Value vnets);
  bool stage_all(Napi::Array frames, Napi::Value vnets);
  bool get_memory_port(Napi::Value v, MemoryPort*& port, uint32_t& index);

  struct Staged {
    uint8_t* data;
    uint32_t len;
    core::VnetHdr vnet;
  };
  std::vector<Staged> staged_;  // inject()'s frames, validated; capacity reused across calls

  core::FlowKey key_;  // the flow hash key parse hashes under
  Ports ports_;
  std::vector<Poll*> polls_;  // by port; null for memory ports or before start()
  uint32_t* meta_;
  uint32_t* verdict_;
  uint32_t* held_verdict_;
  uint32_t* held_meta_;
  Napi::Reference<Napi::Uint32Array> meta_ref_, verdict_ref_, held_verdict_ref_, held_meta_ref_;
  std::unique_ptr<HoldPool> hold_;
  std::unique_ptr<Datapath> datapath_;
  std::unique_ptr<RxBatch> batch_;
  Napi::FunctionReference handler_;
  std::unique_ptr<Napi::AsyncContext> async_;
  uv_loop_t* loop_ = nullptr;
  bool started_ = false;
  bool closed_ = false;
  bool in_batch_ = false;
  bool from_poll_ = false;
};

}  // namespace director::addon
