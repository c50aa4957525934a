// The transmit queue's layout: in linear mode a small frame is one iovec holding the vnet
// header, the head and the body back to back; a frame too big for that keeps its body in place
// (vnet header, head, body as three iovecs); outside linear mode iov[0] is always the vnet
// header alone (the AF_XDP port reads it so). Full queues refuse, and clear() empties them.
#include <cstring>
#include <memory>
#include <vector>

#include "harness.h"
#include "io/tx_queue.h"

using namespace director;

namespace {

std::vector<uint8_t> joined(const mmsghdr& m) {
  std::vector<uint8_t> out;
  for (size_t k = 0; k < m.msg_hdr.msg_iovlen; k++) {
    const auto* p = static_cast<const uint8_t*>(m.msg_hdr.msg_iov[k].iov_base);
    out.insert(out.end(), p, p + m.msg_hdr.msg_iov[k].iov_len);
  }
  return out;
}

std::vector<uint8_t> expected(const core::VnetHdr& v, const std::vector<uint8_t>& head, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out(sizeof(v));
  memcpy(out.data(), &v, sizeof(v));
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<uint8_t> bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

}  // namespace

TEST(linear_small_frame_is_one_iovec) {
  auto q = std::make_unique<io::TxQueue>();
  q->set_linear(true);
  core::VnetHdr v{};
  v.flags = 1;
  v.csum_start = 34;
  v.csum_offset = 6;
  auto head = bytes(34, 1), body = bytes(30, 2);
  CHECK(q->push(v, head.data(), uint32_t(head.size()), body.data(), uint32_t(body.size())));
  CHECK(q->push(v, nullptr, 0, body.data(), uint32_t(body.size())));  // DR: no head
  CHECK_EQ(q->size(), 2u);
  CHECK_EQ(size_t(q->messages()[0].msg_hdr.msg_iovlen), size_t(1));
  CHECK(joined(q->messages()[0]) == expected(v, head, body));
  CHECK_EQ(q->frame_len(0), 64u);
  CHECK_EQ(size_t(q->messages()[1].msg_hdr.msg_iovlen), size_t(1));
  CHECK(joined(q->messages()[1]) == expected(v, {}, body));
  // The body may change after push: the queue holds its own copy.
  body[0] ^= 0xff;
  CHECK(joined(q->messages()[1]) != expected(v, {}, body));
}

TEST(linear_big_frame_keeps_body_in_place) {
  auto q = std::make_unique<io::TxQueue>();
  q->set_linear(true);
  core::VnetHdr v{};
  v.gso_type = 1;
  v.gso_size = 1448;
  auto head = bytes(54, 3), body = bytes(20000, 4);
  CHECK(q->push(v, head.data(), uint32_t(head.size()), body.data(), uint32_t(body.size())));
  const mmsghdr& m = q->messages()[0];
  CHECK_EQ(size_t(m.msg_hdr.msg_iovlen), size_t(3));
  CHECK(m.msg_hdr.msg_iov[2].iov_base == body.data());
  CHECK(joined(m) == expected(v, head, body));
  CHECK_EQ(q->frame_len(0), 20054u);
}

TEST(not_linear_vnet_header_alone_first) {
  auto q = std::make_unique<io::TxQueue>();
  core::VnetHdr v{};
  v.hdr_len = 54;
  auto head = bytes(14, 5), body = bytes(46, 6);
  CHECK(q->push(v, head.data(), uint32_t(head.size()), body.data(), uint32_t(body.size())));
  const mmsghdr& m = q->messages()[0];
  CHECK_EQ(size_t(m.msg_hdr.msg_iovlen), size_t(3));
  CHECK_EQ(size_t(m.msg_hdr.msg_iov[0].iov_len), sizeof(core::VnetHdr));
  CHECK(joined(m) == expected(v, head, body));
}

TEST(full_queue_refuses_until_cleared) {
  auto q = std::make_unique<io::TxQueue>();
  q->set_linear(true);
  core::VnetHdr v{};
  auto body = bytes(1514, 7);  // linearized: every frame takes a copy of its own
  uint32_t n = 0;
  while (q->push(v, nullptr, 0, body.data(), uint32_t(body.size()))) n++;
  CHECK_EQ(n, io::TxQueue::CAPACITY);
  for (uint32_t i = 0; i < n; i++) CHECK(joined(q->messages()[i]) == expected(v, {}, body));
  q->clear();
  CHECK(q->empty());
  CHECK(q->push(v, nullptr, 0, body.data(), uint32_t(body.size())));
}
