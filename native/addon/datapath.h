// The batch path every port shares: parse a received batch into the metadata records, make the
// one handler call, apply each verdict through the core and queue the results per egress port,
// then flush each port that got frames once. Also sends held frames and TypeScript-built frames.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "addon/hold_pool.h"
#include "addon/port.h"
#include "core/core.h"

namespace director::addon {

// The single call per batch into TypeScript. Returns false if the handler failed; the batch's
// frames are then dropped.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  virtual bool on_batch(uint32_t port, uint32_t count) = 0;
};

using Ports = std::vector<std::unique_ptr<Port>>;

class Datapath {
 public:
  static constexpr uint32_t MAX_PORTS = 64;

  // key: the flow hash key parse puts meta::HASH under (the connection table uses the same).
  Datapath(Ports& ports, uint32_t* meta, uint32_t* verdict, HoldPool& hold, core::FlowKey key);

  bool run(uint32_t in_port, RxBatch& batch, BatchHandler& handler);
  // Applies verdicts (already validated: SLOT in range and held) to held frames and sends them.
  void transmit_held(const uint32_t* verdicts, uint32_t count);
  // Sends one ready-made frame on port (no rewrite).
  void send_raw(uint32_t port, const uint8_t* frame, uint32_t len);

 private:
  void parse_batch(Port& in, RxBatch& batch);
  // received: frame lies in in_port's receive buffer (not a held copy), so a single output
  // frame going back out in_port may reuse that buffer (see TxQueue::push).
  void apply(uint32_t in_port, uint8_t* frame, uint32_t len, const core::VnetHdr& vnet,
             const uint32_t* meta, const uint32_t* verdict, bool received);
  void enqueue(uint32_t port, const core::RewriteOut& out, bool exclusive);
  void flush_dirty();

  Ports& ports_;
  uint32_t* meta_;
  uint32_t* verdict_;
  HoldPool& hold_;
  const core::FlowKey key_;
  std::unique_ptr<core::RewriteOut> out_;
  std::vector<uint32_t> dirty_;     // ports with queued frames, reserved once
  std::vector<uint8_t> is_dirty_;   // by port index
};

}  // namespace director::addon
