// Builds sendmmsg-ready message arrays without allocating (see tx_queue.h).
#include "io/tx_queue.h"

#include <cstring>

namespace director::io {

TxQueue::TxQueue() { clear(); }

void TxQueue::clear() {
  size_ = 0;
  head_used_ = 0;
}

bool TxQueue::push(const core::VnetHdr& vnet, const uint8_t* head, uint32_t head_len,
                   const uint8_t* body, uint32_t body_len, bool exclusive) {
  if (size_ == CAPACITY || head_len > COPY_BYTES - head_used_) return false;
  uint32_t i = size_;
  iovec* iov = &iov_[i * 3];
  mmsghdr& m = msgs_[i];
  const uint32_t whole = sizeof(core::VnetHdr) + head_len + body_len;
  if (linear_ && whole <= LINEAR_MAX) {
    if (whole > COPY_BYTES - head_used_) return false;
    uint8_t* at = heads_ + head_used_;
    memcpy(at, &vnet, sizeof(core::VnetHdr));
    if (head_len > 0) memcpy(at + sizeof(core::VnetHdr), head, head_len);
    if (body_len > 0) memcpy(at + sizeof(core::VnetHdr) + head_len, body, body_len);
    // Keep every copy 16-byte aligned: the next frame's header starts on a fresh boundary.
    head_used_ += (whole + 15) & ~15u;
    if (head_used_ > COPY_BYTES) head_used_ = COPY_BYTES;
    iov[0].iov_base = at;
    iov[0].iov_len = whole;
    memset(&m, 0, sizeof(m));
    m.msg_hdr.msg_iov = iov;
    m.msg_hdr.msg_iovlen = 1;
    lens_[i] = head_len + body_len;
    body_[i] = nullptr;
    body_len_[i] = 0;
    exclusive_[i] = 0;
    size_++;
    return true;
  }
  vnet_[i] = vnet;
  iov[0].iov_base = &vnet_[i];
  iov[0].iov_len = sizeof(core::VnetHdr);
  uint32_t n = 1;
  if (head_len > 0) {
    memcpy(heads_ + head_used_, head, head_len);
    iov[n].iov_base = heads_ + head_used_;
    iov[n].iov_len = head_len;
    head_used_ += head_len;
    n++;
  }
  if (body_len > 0) {
    iov[n].iov_base = const_cast<uint8_t*>(body);
    iov[n].iov_len = body_len;
    n++;
  }
  memset(&m, 0, sizeof(m));
  m.msg_hdr.msg_iov = iov;
  m.msg_hdr.msg_iovlen = n;
  lens_[i] = head_len + body_len;
  body_[i] = body_len > 0 ? body : nullptr;
  body_len_[i] = body_len;
  exclusive_[i] = exclusive && body_len > 0;
  size_++;
  return true;
}

}  // namespace director::io
