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
  if (size_ == CAPACITY || head_len > HEAD_BYTES - head_used_) return false;
  uint32_t i = size_;
  vnet_[i] = vnet;
  iovec* iov = &iov_[i * 3];
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
  mmsghdr& m = msgs_[i];
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
