// The SYN proxy's three segments (docs/security.md): the SYN-ACK that answers a client's SYN
// with a cookie, the SYN that a cookie-proven ACK becomes toward the real server, and the ACK
// that the real server's SYN-ACK becomes back to it. Each is a fresh segment built in scratch
// from the frame it answers (Ethernet header and VLAN tag kept), with full checksums: nothing
// of the frame's own checksum state survives, so CHECKSUM_PARTIAL input is fine.
#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "core/rewrite_ctx.h"

namespace director::core::rw {

namespace {
constexpr uint8_t kSyn = 0x02, kRst = 0x04, kAck = 0x10;
constexpr uint8_t kTtl = 64;
constexpr uint16_t kDontFragment = 0x4000;

struct Segment {
  uint32_t src, dst;
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t window;
  uint32_t opts;  // tcp_opt MSS, SACK_PERM and WSCALE bits
};

// The frame as a TCP segment the proxy may answer: IPv4, first fragment, a whole TCP header.
bool tcp_view(const Ctx& c, Ip4& ip) {
  return ip4_view(c, ip) && ip.proto == 6 && ip.l4 != 0;
}

uint32_t write_options(uint8_t* o, uint32_t opts) {
  uint32_t n = 0;
  if (uint32_t mss = opts & tcp_opt::MSS_MASK) {
    o[n++] = 2;
    o[n++] = 4;
    wr16(o + n, mss);
    n += 2;
  }
  if (opts & tcp_opt::SACK_PERM) {
    o[n++] = 1;
    o[n++] = 1;
    o[n++] = 4;
    o[n++] = 2;
  }
  if (opts & tcp_opt::WSCALE) {
    o[n++] = 1;
    o[n++] = 3;
    o[n++] = 3;
    o[n++] = static_cast<uint8_t>(std::min<uint32_t>((opts >> tcp_opt::WSCALE_SHIFT) & 0xf, 14));
  }
  return n;
}

// Builds s behind the frame's own link header, toward mac, and emits it alone.
RewriteError send(Ctx& c, const Ip4& ip, const uint8_t* mac, const Segment& s) {
  uint8_t* out = scratch(c, ip.l3 + 20 + 20 + 12);
  if (!out) return RewriteError::TOO_MANY_SEGMENTS;
  std::memcpy(out, c.frame, ip.l3);  // Ethernet header and any VLAN tag
  std::memcpy(out, mac, 6);
  std::memcpy(out + 6, c.egress.mac, 6);
  uint8_t* tcp = out + ip.l3 + 20;
  uint32_t thl = 20 + write_options(tcp + 20, s.opts);
  uint8_t* h = out + ip.l3;
  h[0] = 0x45;
  h[1] = 0;
  wr16(h + 2, 20 + thl);
  wr16(h + 4, 0);
  wr16(h + 6, kDontFragment);
  h[8] = kTtl;
  h[9] = 6;
  wr32(h + 12, s.src);
  wr32(h + 16, s.dst);
  csum::ip_header_fill(h, 20);
  wr16(tcp, s.sport);
  wr16(tcp + 2, s.dport);
  wr32(tcp + 4, s.seq);
  wr32(tcp + 8, s.ack);
  tcp[12] = static_cast<uint8_t>((thl / 4) << 4);
  tcp[13] = s.flags;
  wr16(tcp + 14, s.window);
  wr16(tcp + 16, 0);
  wr16(tcp + 18, 0);
  wr16(tcp + 16, csum::compute(tcp, thl, csum::pseudo(s.src, s.dst, 6, thl)));
  if (!emit(c, VnetHdr{}, out, ip.l3 + 20 + thl, nullptr, 0)) return RewriteError::TOO_MANY_SEGMENTS;
  return RewriteError::OK;
}

uint32_t src_of(const Ctx& c, const Ip4& ip) { return rd32(c.frame + ip.l3 + 12); }
uint32_t dst_of(const Ctx& c, const Ip4& ip) { return rd32(c.frame + ip.l3 + 16); }
}  // namespace

RewriteError synproxy_synack(Ctx& c) {
  Ip4 ip;
  if (!tcp_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  const uint8_t* tcp = c.frame + ip.l4;
  if ((tcp[13] & (kSyn | kAck | kRst)) != kSyn) return RewriteError::NOT_APPLICABLE;
  Segment s{dst_of(c, ip), src_of(c, ip), rd16(tcp + 2), rd16(tcp), c.v[verdict::ISN],
            rd32(tcp + 4) + 1, kSyn | kAck, static_cast<uint16_t>(c.v[verdict::WINDOW]),
            c.v[verdict::TCP_OPTS]};
  return send(c, ip, c.frame + 6, s);  // back to the sender's MAC
}

RewriteError synproxy_syn(Ctx& c) {
  Ip4 ip;
  if (!tcp_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  const uint32_t* v = c.v;
  if (v[verdict::SRC_IP] == 0 || v[verdict::DST_IP] == 0 || (v[verdict::SRC_PORT] - 1) > 0xfffe ||
      (v[verdict::DST_PORT] - 1) > 0xfffe) {
    return RewriteError::BAD_VERDICT;
  }
  const uint8_t* tcp = c.frame + ip.l4;
  if ((tcp[13] & (kSyn | kAck | kRst)) != kAck) return RewriteError::NOT_APPLICABLE;  // a client's
  uint8_t mac[6];
  wr_mac(mac, v[verdict::DST_MAC_HI], v[verdict::DST_MAC_LO]);
  Segment s{v[verdict::SRC_IP], v[verdict::DST_IP], static_cast<uint16_t>(v[verdict::SRC_PORT]),
            static_cast<uint16_t>(v[verdict::DST_PORT]), v[verdict::ISN], 0, kSyn, rd16(tcp + 14),
            v[verdict::TCP_OPTS]};
  return send(c, ip, mac, s);
}

RewriteError synproxy_ack(Ctx& c) {
  Ip4 ip;
  if (!tcp_view(c, ip)) return RewriteError::NOT_APPLICABLE;
  const uint8_t* tcp = c.frame + ip.l4;
  if ((tcp[13] & (kSyn | kAck | kRst)) != (kSyn | kAck)) return RewriteError::NOT_APPLICABLE;
  Segment s{dst_of(c, ip), src_of(c, ip), rd16(tcp + 2), rd16(tcp), rd32(tcp + 8), rd32(tcp + 4) + 1,
            kAck, static_cast<uint16_t>(c.v[verdict::WINDOW]), 0};
  return send(c, ip, c.frame + 6, s);  // back to the real server (or its router)
}

}  // namespace director::core::rw
