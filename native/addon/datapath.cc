// One batch through parse -> handler -> apply -> flush (see datapath.h).
#include "addon/datapath.h"

#include <cstring>

namespace director::addon {

namespace {

bool answers_sender(uint32_t action) {
  return action == static_cast<uint32_t>(Action::ARP_REPLY) ||
         action == static_cast<uint32_t>(Action::ICMP_FRAG_NEEDED) ||
         action == static_cast<uint32_t>(Action::ICMP_TIME_EXCEEDED) ||
         action == static_cast<uint32_t>(Action::ICMP_ECHO_REPLY) ||
         action == static_cast<uint32_t>(Action::SYNPROXY_SYNACK) ||
         action == static_cast<uint32_t>(Action::SYNPROXY_ACK) ||
         action == static_cast<uint32_t>(Action::ND_ADVERT);
}

}  // namespace

Datapath::Datapath(Ports& ports, uint32_t* meta, uint32_t* verdict, HoldPool& hold,
                   core::FlowKey key)
    : ports_(ports), meta_(meta), verdict_(verdict), hold_(hold), key_(key),
      out_(new core::RewriteOut()) {
  dirty_.reserve(MAX_PORTS);
  is_dirty_.assign(MAX_PORTS, 0);
}

void Datapath::parse_batch(Port& in, RxBatch& batch) {
  for (uint32_t i = 0; i < batch.count; i++) {
    uint32_t* m = meta_ + i * meta::WORDS;
    core::parse_frame(batch.frame[i], batch.len[i], &batch.vnet[i], key_, m);
    if (m[meta::ERROR] != 0) in.stats.rx_parse_errors++;
    in.stats.rx_bytes += batch.len[i];
  }
  in.stats.rx_frames += batch.count;
  in.stats.rx_batches++;
  // A handler that leaves a record alone drops that frame, never replays an old verdict.
  memset(verdict_, 0, static_cast<size_t>(batch.count) * verdict::WORDS * sizeof(uint32_t));
}

bool Datapath::run(uint32_t in_port, RxBatch& batch, BatchHandler& handler) {
  Port& in = *ports_[in_port];
  if (batch.count == 0) return true;
  parse_batch(in, batch);
  if (!handler.on_batch(in_port, batch.count)) return false;
  for (uint32_t i = 0; i < batch.count; i++) {
    apply(in_port, batch.frame[i], batch.len[i], batch.vnet[i], meta_ + i * meta::WORDS,
          verdict_ + i * verdict::WORDS, true);
  }
  flush_dirty();
  return true;
}

void Datapath::apply(uint32_t in_port, uint8_t* frame, uint32_t len, const core::VnetHdr& vnet,
                     const uint32_t* meta, const uint32_t* v, bool received) {
  Port& in = *ports_[in_port];
  uint32_t action = v[verdict::ACTION];
  if (action == static_cast<uint32_t>(Action::DROP)) return;
  if (action == static_cast<uint32_t>(Action::HOLD)) {
    if (!hold_.store(v[verdict::SLOT], frame, len, vnet, meta, in_port)) in.stats.verdict_errors++;
    return;
  }
  uint32_t egress = answers_sender(action) ? in_port : v[verdict::PORT];
  if (action >= static_cast<uint32_t>(Action::COUNT) || egress >= ports_.size()) {
    in.stats.verdict_errors++;
    return;
  }
  core::apply_verdict(frame, len, vnet, meta, v, ports_[egress]->egress, *out_);
  if (out_->error != 0) {
    in.stats.verdict_errors++;
    return;
  }
  // One verdict per frame, so a single output frame is the only reader of the frame's buffer.
  enqueue(egress, *out_, received && egress == in_port && out_->count == 1);
}

void Datapath::enqueue(uint32_t port, const core::RewriteOut& out, bool exclusive) {
  Port& p = *ports_[port];
  if (!is_dirty_[port]) {
    is_dirty_[port] = 1;
    dirty_.push_back(port);
  }
  for (uint32_t k = 0; k < out.count; k++) {
    const core::OutFrame& f = out.frames[k];
    if (io::TxQueue::too_big(f.head_len)) {
      p.stats.tx_errors++;
      continue;
    }
    if (!p.tx.push(f.vnet, f.head, f.head_len, f.body, f.body_len, exclusive)) {
      p.flush();  // full mid-batch: the bodies it points at are still valid, send now
      p.tx.push(f.vnet, f.head, f.head_len, f.body, f.body_len, exclusive);
    }
  }
}

void Datapath::flush_dirty() {
  for (uint32_t port : dirty_) {
    ports_[port]->flush();
    is_dirty_[port] = 0;
  }
  dirty_.clear();
}

void Datapath::transmit_held(const uint32_t* verdicts, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t* v = verdicts + i * verdict::WORDS;
    uint32_t slot = v[verdict::SLOT];
    if (!hold_.used(slot)) continue;  // released earlier in this same call
    apply(hold_.in_port(slot), hold_.frame(slot), hold_.len(slot), hold_.vnet(slot),
          hold_.meta(slot), v, false);
  }
  flush_dirty();
  for (uint32_t i = 0; i < count; i++) {
    uint32_t slot = verdicts[i * verdict::WORDS + verdict::SLOT];
    if (slot < HOLD_SLOTS) hold_.free(slot);
  }
}

void Datapath::send_raw(uint32_t port, const uint8_t* frame, uint32_t len) {
  Port& p = *ports_[port];
  core::VnetHdr plain{};
  p.tx.push(plain, nullptr, 0, frame, len);
  p.flush();
}

}  // namespace director::addon
