// Engine lifecycle: the shared record buffers, the batch handler call, readiness polling and
// closing (see engine.h).
#include "addon/engine.h"

#include <random>

#include "addon/args.h"

namespace director::addon {

namespace {

// Bounded work per readiness event keeps the event loop fair to timers and sockets.
constexpr uint32_t kBatchesPerEvent = 8;

uint32_t* new_record_buffer(Napi::Env env, uint32_t words, Napi::Reference<Napi::Uint32Array>& ref) {
  auto* data = new uint32_t[words]();
  // The ArrayBuffer owns the memory: a typed array kept by JavaScript stays valid after close().
  auto buffer = Napi::ArrayBuffer::New(env, data, words * sizeof(uint32_t),
                                       [](Napi::Env, void* p) { delete[] static_cast<uint32_t*>(p); });
  ref = Napi::Reference<Napi::Uint32Array>::New(Napi::Uint32Array::New(env, words, buffer, 0), 1);
  return data;
}

// options.hashKey, or a fresh random key: each engine hashes flows under its own secret, so the
// slots of the connection table cannot be predicted from outside. False (exception pending) on
// bad options.
bool flow_key(const Napi::CallbackInfo& info, core::FlowKey& key) {
  std::random_device random;
  key = core::FlowKey{random(), random()};
  Napi::Object options;
  if (!get_options(info[0], "options", options)) return false;
  return !options.Has("hashKey") || get_flow_key(options.Get("hashKey"), "options.hashKey", key);
}

}  // namespace

struct Engine::Poll {
  uv_poll_t handle;
  Engine* engine;
  uint32_t port;
};

Napi::Function Engine::define(Napi::Env env) {
  return DefineClass(
      env, "Engine",
      {InstanceMethod<&Engine::add_packet_port>("addPacketPort"),
       InstanceMethod<&Engine::add_tap_port>("addTapPort"),
       InstanceMethod<&Engine::add_memory_port>("addMemoryPort"),
       InstanceMethod<&Engine::add_xdp_port>("addXdpPort"),
       InstanceMethod<&Engine::set_xdp_addresses>("setXdpAddresses"),
       InstanceMethod<&Engine::set_fanout_program>("setFanoutProgram"),
       InstanceMethod<&Engine::xdp_status>("xdpStatus"),
       InstanceMethod<&Engine::port_info>("portInfo"),
       InstanceMethod<&Engine::counters>("counters"),
       InstanceMethod<&Engine::on_batch_js>("onBatch"),
       InstanceMethod<&Engine::start>("start"),
       InstanceMethod<&Engine::stop>("stop"),
       InstanceMethod<&Engine::send>("send"),
       InstanceMethod<&Engine::transmit_held>("transmitHeld"),
       InstanceMethod<&Engine::inject>("inject"),
       InstanceMethod<&Engine::drain>("drain"),
       InstanceMethod<&Engine::close>("close"),
       InstanceAccessor<&Engine::hash_key>("hashKey")});
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
  Napi::Env env = info.Env();
  // A bad option throws from `new`, but only after the engine is built whole (no N-API call
  // works with an exception pending, and the destructor must find nothing half-made).
  const bool options_ok = flow_key(info, key_);
  Napi::Error bad_options = options_ok ? Napi::Error() : env.GetAndClearPendingException();
  meta_ = new_record_buffer(env, BATCH_MAX * meta::WORDS, meta_ref_);
  verdict_ = new_record_buffer(env, BATCH_MAX * verdict::WORDS, verdict_ref_);
  held_verdict_ = new_record_buffer(env, HOLD_SLOTS * verdict::WORDS, held_verdict_ref_);
  held_meta_ = new_record_buffer(env, HOLD_SLOTS * meta::WORDS, held_meta_ref_);
  hold_ = std::make_unique<HoldPool>(held_meta_);
  datapath_ = std::make_unique<Datapath>(ports_, meta_, verdict_, *hold_, key_);
  batch_ = std::make_unique<RxBatch>();
  ports_.reserve(Datapath::MAX_PORTS);
  polls_.reserve(Datapath::MAX_PORTS);
  async_ = std::make_unique<Napi::AsyncContext>(env, "director:batch");
  // Plain read-only data properties, not accessors: the handler reads them per frame and an
  // accessor would be a call into C++ each time.
  Napi::Object self = info.This().As<Napi::Object>();
  const auto ro = static_cast<napi_property_attributes>(napi_enumerable);
  self.DefineProperties({Napi::PropertyDescriptor::Value("meta", meta_ref_.Value(), ro),
                         Napi::PropertyDescriptor::Value("verdict", verdict_ref_.Value(), ro),
                         Napi::PropertyDescriptor::Value("heldVerdict", held_verdict_ref_.Value(), ro),
                         Napi::PropertyDescriptor::Value("heldMeta", held_meta_ref_.Value(), ro)});
  if (napi_get_uv_event_loop(env, &loop_) != napi_ok) loop_ = nullptr;
  if (!options_ok) bad_options.ThrowAsJavaScriptException();
}

Engine::~Engine() { close_all(); }

Napi::Value Engine::hash_key(const Napi::CallbackInfo& info) {
  // A fresh copy each time: nothing in JavaScript can make it differ from the key parse uses.
  Napi::Uint32Array words = Napi::Uint32Array::New(info.Env(), 2);
  words[0] = key_.k0;
  words[1] = key_.k1;
  return words;
}

bool Engine::usable(Napi::Env env, const char* what) {
  if (closed_) {
    Napi::Error::New(env, std::string(what) + ": the engine is closed").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

Napi::Value Engine::on_batch_js(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) {
    throw_type(info.Env(), "onBatch needs a function (port, count) => void");
    return info.Env().Undefined();
  }
  handler_ = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

bool Engine::on_batch(uint32_t port, uint32_t count) {
  if (handler_.IsEmpty()) return true;  // no handler yet: every verdict stays DROP
  Napi::Env env = Env();
  napi_value args[2] = {Napi::Number::New(env, port), Napi::Number::New(env, count)};
  in_batch_ = true;
  if (from_poll_) {
    // MakeCallback runs the microtask and nextTick queues afterwards, like any I/O callback.
    handler_.MakeCallback(Value(), 2, args, *async_);
  } else {
    handler_.Call(Value(), 2, args);
  }
  in_batch_ = false;
  if (!env.IsExceptionPending()) return true;
  if (from_poll_) {
    // Nobody up the stack can catch it: report it like any throwing I/O callback would.
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
  return false;
}

void Engine::on_readable(uv_poll_t* handle, int status, int) {
  Poll* poll = reinterpret_cast<Poll*>(handle);
  Engine* engine = poll->engine;
  if (status < 0) {
    engine->ports_[poll->port]->stats.rx_errors++;
    return;
  }
  Napi::HandleScope scope(engine->Env());
  engine->poll_port(poll->port);
}

void Engine::poll_port(uint32_t index) {
  from_poll_ = true;
  for (uint32_t n = 0; n < kBatchesPerEvent && !closed_; n++) {
    Port& port = *ports_[index];
    if (port.receive(*batch_) == 0) break;
    datapath_->run(index, *batch_, *this);
    if (closed_) break;
    port.release();
  }
  from_poll_ = false;
}

void Engine::start_poll(uint32_t port) {
  if (ports_[port]->fd() < 0 || !loop_) return;
  Poll*& poll = polls_[port];
  if (!poll) {
    poll = new Poll{};
    poll->engine = this;
    poll->port = port;
    uv_poll_init(loop_, &poll->handle, ports_[port]->fd());
  }
  uv_poll_start(&poll->handle, UV_READABLE, &Engine::on_readable);
}

Napi::Value Engine::start(const Napi::CallbackInfo& info) {
  if (!usable(info.Env(), "start")) return info.Env().Undefined();
  if (started_) return info.Env().Undefined();
  started_ = true;
  Ref();  // a polling engine must outlive its last JavaScript reference
  for (uint32_t i = 0; i < ports_.size(); i++) start_poll(i);
  return info.Env().Undefined();
}

Napi::Value Engine::stop(const Napi::CallbackInfo& info) {
  if (!started_) return info.Env().Undefined();
  for (Poll* poll : polls_) {
    if (poll) uv_poll_stop(&poll->handle);
  }
  started_ = false;
  Unref();
  return info.Env().Undefined();
}

void Engine::close_all() {
  if (closed_) return;
  closed_ = true;
  for (Poll*& poll : polls_) {
    if (!poll) continue;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll->handle),
             [](uv_handle_t* h) { delete reinterpret_cast<Poll*>(h); });
    poll = nullptr;
  }
  for (auto& port : ports_) port->close();
  ports_.clear();
  polls_.clear();
  datapath_.reset();
  hold_.reset();
  batch_.reset();
}

Napi::Value Engine::close(const Napi::CallbackInfo& info) {
  if (in_batch_) {
    Napi::Error::New(info.Env(), "close() cannot be called from inside the batch handler")
        .ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  if (started_) {
    started_ = false;
    Unref();
  }
  close_all();
  handler_.Reset();
  return info.Env().Undefined();
}

}  // namespace director::addon
