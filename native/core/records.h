// The fixed records that cross the C++/TypeScript boundary, described once: the per-frame
// metadata that parse writes and the per-frame verdict that TypeScript writes back.
//
// Every record is an array of uint32 words so TypeScript reads it through one Uint32Array with
// no DataView and no per-field alignment rules. tools/gen-layout.ts turns this header into
// src/native/layout.generated.ts (TypeScript's constants) and native/addon/layout_table.generated.h
// (the addon's `layout` export, with the values the compiler gives); the loader checks at load
// that both agree, and `npm test` that neither is stale. So nothing here is copied by hand, and
// the header keeps to what tools/records-parser.ts reads: namespaces, uint32_t enums and
// constexpr uint32_t constants.
// Addresses are IPv4 in host byte order (IPv6: four words, see meta::SRC_IP6_0); ports in host byte order; MACs split into a 16-bit high
// part and a 32-bit low part (aa:bb:cc:dd:ee:ff -> hi 0xaabb, lo 0xccddeeff).
#pragma once
#include <cstdint>

namespace director {

// ---- frame metadata, written by core::parse_frame -------------------------------------------
namespace meta {
enum Word : uint32_t {
  LEN = 0,          // frame length in bytes (Ethernet header onward, no vnet header)
  ERROR,            // ParseError; 0 = ok. Fields after the failing layer are zero.
  KIND,             // FrameKind
  VLAN,             // 802.1Q VLAN id + 1 (0 = untagged)
  L3_OFF,           // offset of the IP / ARP header
  L4_OFF,           // offset of the TCP/UDP/ICMP header (0 if none or non-first fragment)
  PROTO,            // IP protocol number (6 TCP, 17 UDP, 1 ICMP, 4 IPIP, ...)
  SRC_IP,           // IPv4 source; ARP: sender protocol address
  DST_IP,           // IPv4 destination; ARP: target protocol address
  SRC_PORT,         // TCP/UDP source port; ICMP echo: identifier
  DST_PORT,         // TCP/UDP destination port; ICMP echo: identifier
  TCP_FLAGS,        // TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10)
  FRAG,             // FragBits
  IP_ID,            // IPv4 identification
  TTL,              // IPv4 TTL
  IP_LEN,           // IPv4 total length as in the header
  ICMP,             // ICMP type << 8 | code
  ICMP_EXTRA,       // ICMP "rest of header" word (frag-needed: next-hop MTU in the low 16 bits)
  INNER_PROTO,      // ICMP error: protocol of the quoted packet (0 if not an error/quoted too short)
  INNER_SRC_IP,     // ICMP error: quoted packet's source
  INNER_DST_IP,     // ICMP error: quoted packet's destination
  INNER_SRC_PORT,   // ICMP error: quoted packet's source port (0 if not quoted)
  INNER_DST_PORT,   // ICMP error: quoted packet's destination port
  ARP_OP,           // ARP opcode (1 request, 2 reply)
  SRC_MAC_HI,       // Ethernet source (ARP: sender hardware address when KIND == ARP)
  SRC_MAC_LO,
  DST_MAC_HI,       // Ethernet destination
  DST_MAC_LO,
  OFFLOAD,          // OffloadBits, from the vnet header
  GSO_SIZE,         // vnet header gso_size (MSS of a GSO super-frame), 0 if none
  HASH,             // keyed flow hash (core/flow_hash.h) of the connection key this frame is
                    // looked up by: (proto, src, src port, dst, dst port), for an ICMP error the
                    // quoted packet's tuple reversed; 0 unless KIND == IPV4 and ERROR == 0
  PAYLOAD_OFF,      // offset of the L4 payload (end of the TCP/UDP/ICMP header), 0 if no L4
  TCP_SEQ,          // TCP sequence number (0 unless a TCP header was parsed)
  TCP_ACK,          // TCP acknowledgment number (the flood guard checks a client's against the
                    // real server's SYN-ACK before it trusts a NAT/FULLNAT connection)
  TCP_WIN,          // TCP window field, unscaled (0 unless a TCP header was parsed)
  TCP_OPTS,         // TcpOpt bits of a SYN's options (0 unless SYN is set): the SYN proxy keeps
                    // what its cookie can carry and passes it on to the real server
  // IPv6 (KIND == IPV6). An address is four words, word 0 holding its first four bytes
  // (2001:db8::1 -> 0x20010db8, 0, 0, 1); SRC_IP and DST_IP stay 0. PROTO is the upper-layer
  // protocol after the extension headers (for a non-first fragment, the fragment header's next
  // header), TTL the hop limit, IP_LEN 40 + payload length, IP_ID a fragment header's
  // identification, FRAG has DF always set (routers never fragment IPv6). The ICMPv6 fields
  // reuse ICMP, ICMP_EXTRA and INNER_*; an echo's identifier is in SRC_PORT and DST_PORT.
  SRC_IP6_0,
  SRC_IP6_1,
  SRC_IP6_2,
  SRC_IP6_3,
  DST_IP6_0,
  DST_IP6_1,
  DST_IP6_2,
  DST_IP6_3,
  INNER_SRC_IP6_0,  // ICMPv6 error: the quoted packet's source
  INNER_SRC_IP6_1,
  INNER_SRC_IP6_2,
  INNER_SRC_IP6_3,
  INNER_DST_IP6_0,  // ICMPv6 error: the quoted packet's destination; neighbour solicitation or
  INNER_DST_IP6_1,  // advertisement: its target address
  INNER_DST_IP6_2,
  INNER_DST_IP6_3,
  WORDS,            // record size in uint32 words
  ND_OPTS = INNER_SRC_IP6_0,    // NS or NA (ICMPv6 135, 136): nd_opts, what its options hold
  ND_LLA_HI = INNER_SRC_IP6_1,  // NS or NA with ND_OPTS == LLA: its first source (NS) or target (NA) link-layer option's MAC, high 16 bits
  ND_LLA_LO = INNER_SRC_IP6_2,  // the same MAC's low 32 bits
};
}  // namespace meta

// What parse found in a neighbour solicitation's or advertisement's options (meta::ND_OPTS).
namespace nd_opts {
constexpr uint32_t NONE = 0;  // well-formed, no link-layer address option
constexpr uint32_t LLA = 1;   // well-formed, ND_LLA_HI/LO hold the link-layer address option's MAC
constexpr uint32_t BAD = 2;   // an option of length 0 or past the message: discard (RFC 4861 7.1)
}  // namespace nd_opts

// What parse found at layer 3 (meta::KIND).
enum class FrameKind : uint32_t { OTHER = 0, ARP = 1, IPV4 = 2, IPV6 = 3 };

// Why parse stopped (meta::ERROR).
enum class ParseError : uint32_t {
  OK = 0,
  TRUNCATED_ETH,      // shorter than an Ethernet header
  TRUNCATED_VLAN,
  TRUNCATED_ARP,
  BAD_ARP,            // not Ethernet/IPv4 ARP
  TRUNCATED_IP,
  BAD_IP_VERSION,
  BAD_IP_HEADER_LEN,  // IHL < 5 or beyond the frame
  BAD_IP_TOTAL_LEN,   // total length < IHL*4 or beyond the frame
  BAD_IP_CHECKSUM,
  TRUNCATED_L4,       // TCP/UDP/ICMP header cut short
  BAD_TCP_HEADER_LEN,
  // IPv6 (the fixed header reuses TRUNCATED_IP, BAD_IP_VERSION and, for a payload length beyond
  // the frame, BAD_IP_TOTAL_LEN).
  EXT_TRUNCATED,      // an extension header runs past the packet, or a first fragment does not
                      // hold the whole header chain (RFC 7112)
  EXT_ORDER,          // hop-by-hop options anywhere but right after the fixed header
  EXT_REPEATED,       // an extension header more often than RFC 8200 allows (a loop)
  EXT_UNSUPPORTED,    // a header the walk does not enter (AH, ESP, Mobility, HIP, Shim6, 253, 254)
  BAD_FRAG_LEN,       // a fragment with more to come whose data is not a multiple of 8 bytes
  UDP6_ZERO_CHECKSUM, // UDP over IPv6 with checksum 0 (RFC 8200 forbids it)
  COUNT
};

// The longest extension header chain parse walks: hop-by-hop, destination options, routing,
// fragment and destination options again; a longer chain repeats a header (EXT_REPEATED).
constexpr uint32_t IPV6_MAX_EXT_HEADERS = 5;

// IPv4 fragmentation (meta::FRAG).
namespace frag_bits {
constexpr uint32_t DF = 1;        // don't fragment
constexpr uint32_t MF = 2;        // more fragments
constexpr uint32_t NONFIRST = 4;  // fragment offset != 0 (no L4 header in this frame)
}  // namespace frag_bits

// The options of a SYN (meta::TCP_OPTS), and the options a SYN proxy verdict writes
// (verdict::TCP_OPTS: MSS, SACK_PERM and WSCALE with its shift; no timestamps).
namespace tcp_opt {
constexpr uint32_t MSS_MASK = 0xffff;     // MSS value; 0 = no MSS option
constexpr uint32_t SACK_PERM = 0x10000;   // SACK permitted
constexpr uint32_t WSCALE = 0x20000;      // window scale present (shift in bits 18..21)
constexpr uint32_t WSCALE_SHIFT = 18;
constexpr uint32_t TIMESTAMP = 0x400000;  // timestamps present
}  // namespace tcp_opt

// Offload state from the vnet header (meta::OFFLOAD).
namespace offload_bits {
constexpr uint32_t CSUM_PARTIAL = 1;  // L4 checksum holds only the pseudo-header sum
constexpr uint32_t GSO_TCPV4 = 2;     // TCP super-frame, segments of GSO_SIZE on egress
constexpr uint32_t GSO_UDP = 4;       // UDP fragmentation offload / UDP_L4 super-frame
constexpr uint32_t GSO_OTHER = 8;     // any other GSO type (TCPv6, ECN flagged, ...)
constexpr uint32_t DATA_VALID = 16;   // checksum already verified by the sender's stack
}  // namespace offload_bits

// ---- verdicts, written by TypeScript, applied by core::apply_verdict ------------------------
namespace verdict {
enum Word : uint32_t {
  ACTION = 0,   // Action
  METHOD,       // Method: the connection's (only for Action::FORWARD)
  DIRECTION,    // Direction: which side the frame came from (only for Action::FORWARD)
  PORT,         // egress port index
  DST_MAC_HI,   // next hop's MAC
  DST_MAC_LO,
  SRC_IP,       // new source address (NAT OUT: VIP; FNAT IN: LIP; FNAT OUT: VIP)
  SRC_PORT,     // new source port
  DST_IP,       // new destination (NAT IN, FNAT IN: real server; FNAT OUT: client)
  DST_PORT,     // new destination port
  TUN_SRC,      // TUN: outer source (director's address); on an IPv6 frame, set (with
                // TUN_DST, and SRC_IP6/DST_IP6 left 0) for 6in4 to an IPv4 real server
  TUN_DST,      // TUN: outer destination (real server)
  MTU,          // TUN: path MTU toward the real server (0 = egress port MTU);
                // ICMP_FRAG_NEEDED: the MTU to advertise (IPv6: Packet Too Big, under 1280
                // announced as 1280)
  SLOT,         // HOLD: slot in the hold pool
  REASON,       // DROP: a DropReason index JS counts by (C++ ignores it)
  RESERVED_15,
  SEQ_MODE,     // SeqMode: FORWARD of a SYN-proxied or FULLNAT TCP connection translates
                // sequence numbers (see CLIENT_DELTA for FULLNAT's)
  SEQ_DELTA,    // SeqMode::TRANSLATE: proxy ISN - real server ISN; OUT: seq += delta;
                // IN: ack and SACK edges -= delta
  ISN,          // SYNPROXY_SYNACK: the sequence number (the SYN cookie) of the SYN-ACK;
                // SYNPROXY_SYN: the client's ISN, the SYN's sequence number
  TCP_OPTS,     // SYNPROXY_SYNACK, SYNPROXY_SYN: tcp_opt MSS, SACK_PERM and WSCALE bits to write
  WINDOW,       // SYNPROXY_SYNACK, SYNPROXY_ACK: the window field to write; FORWARD with
                // SeqMode::TRANSLATE: how the window field moves between the two sides' scales,
                // left shift in bits 0..7, then right shift in bits 8..15, capped at 65535
                // (0: unchanged; never applied to a segment with SYN)
  SRC_IP6_0,    // IPv6 frames: the new source in place of SRC_IP, four words as meta's;
                // TUN (ip6ip6): the outer source (the director's address); ICMP_FRAG_NEEDED,
                // ICMP_TIME_EXCEEDED: the ICMPv6 error's source (0: the packet's destination)
  SRC_IP6_1,
  SRC_IP6_2,
  SRC_IP6_3,
  DST_IP6_0,    // IPv6 frames: the new destination in place of DST_IP; TUN: the outer
                // destination (the real server)
  DST_IP6_1,
  DST_IP6_2,
  DST_IP6_3,
  CLIENT_DELTA, // SeqMode::TRANSLATE of a FULLNAT TCP connection: the ISN the director gave
                // the client's side toward the real server - the client's ISN. IN: seq +=
                // CLIENT_DELTA; OUT: ack and SACK edges -= CLIENT_DELTA (0: unchanged)
  WORDS
};
}  // namespace verdict

// What to do with a frame (verdict::ACTION).
enum class Action : uint32_t {
  DROP = 0,          // consume, send nothing (JS counted the reason)
  FORWARD = 1,       // rewrite per METHOD and send on PORT
  ARP_REPLY = 2,     // turn this ARP request into a reply from the ingress port's MAC, send back
  HOLD = 3,          // copy the frame (with meta and vnet header) into hold slot SLOT, send nothing
  ICMP_FRAG_NEEDED = 4,   // answer the sender with ICMP type 3 code 4 carrying MTU (issue 3);
                          // an IPv6 frame: ICMPv6 Packet Too Big (type 2) carrying MTU
  ICMP_TIME_EXCEEDED = 5, // answer the sender with ICMP type 11 code 0; IPv6: ICMPv6 type 3 code 0
  ICMP_ECHO_REPLY = 6,    // answer an echo request to an owned address (ping VIP), back out the ingress port;
                          // an IPv6 frame: ICMPv6 echo reply (type 129, hop limit 64)
  // SYN proxy (docs/security.md). Each builds one fresh TCP segment with full checksums.
  SYNPROXY_SYNACK = 7,    // answer a client's SYN with SYN-ACK seq ISN, ack seq+1, TCP_OPTS, WINDOW,
                          // back to its sender's MAC on PORT
  SYNPROXY_SYN = 8,       // a client's ACK (cookie-proven, or a later one while the real server
                          // has not answered) becomes the SYN to the real server:
                          // SRC_IP:SRC_PORT -> DST_IP:DST_PORT, seq ISN, TCP_OPTS; to DST_MAC
                          // on PORT (its payload, if any, is not sent)
  SYNPROXY_ACK = 9,       // the real server's SYN-ACK becomes the handshake's last ACK, back to the
                          // real server (seq = its ack, ack = its seq + 1, WINDOW)
  ND_ADVERT = 10,         // answer a neighbour solicitation for the owned target SRC_IP6 (which
                          // must be the NS's target) with a solicited NA from the ingress port's
                          // MAC: to the soliciter (its link-layer option's MAC, else its Ethernet
                          // source), or to ff02::1 when it came from :: (RFC 4861 7.2.4);
                          // re-checks RFC 4861 7.1.1 and the ICMPv6 checksum first
  COUNT
};

// How a connection is forwarded, chosen once when it is created: TypeScript stores it per
// connection and every FORWARD verdict for the connection's packets carries it (verdict::METHOD).
enum class Method : uint32_t {
  DR = 0,    // IN only: destination MAC := DST_MAC, source MAC := egress port's MAC
  NAT = 1,   // IN: destination := DST_IP:DST_PORT; OUT: source := SRC_IP:SRC_PORT; TTL - 1
  TUN = 2,   // IN only: IPIP encapsulation TUN_SRC -> TUN_DST; an IPv6 frame: ip6ip6
             // SRC_IP6 -> DST_IP6, or 6in4 TUN_SRC -> TUN_DST when those are set instead
  FNAT = 3,  // IN and OUT: source := SRC_IP:SRC_PORT, destination := DST_IP:DST_PORT; TTL - 1
  COUNT
};

// Whether a FORWARD verdict translates TCP sequence numbers (verdict::SEQ_MODE).
enum class SeqMode : uint32_t {
  NONE = 0,
  TRANSLATE = 1,  // each side's sequence numbers move by its delta, what it acknowledges by the
                  // other's: the real server's by SEQ_DELTA (SYN proxy), the client's by
                  // CLIENT_DELTA (FULLNAT); a SYN from the client (IN) also loses its timestamp
                  // option (NOPs in its place), so the real server leg never negotiates timestamps
  COUNT
};

// Which side of its connection a FORWARD frame came from (verdict::DIRECTION). For NAT and
// FNAT, an ICMP or ICMPv6 error about the connection has its quoted packet rewritten too, the
// mirror image of the outer header (as IPVS's ip_vs_nat_icmp and ip_vs_nat_icmp_v6).
enum class Direction : uint32_t {
  IN = 0,   // from the client side, toward the real server
  OUT = 1,  // from the real server side, back toward the client (NAT and FNAT only)
  COUNT
};

// Why apply_verdict sent nothing for a verdict (rewrite()'s `error`, counted as verdictErrors).
enum class RewriteError : uint32_t {
  OK = 0,
  BAD_VERDICT,        // unknown action/method, or a method that needs fields the meta lacks
  NOT_APPLICABLE,     // e.g. ARP_REPLY on a non-ARP frame, NAT on a frame with parse errors
  TOO_BIG,            // would exceed the egress MTU and cannot be segmented or answered
  TOO_MANY_SEGMENTS,  // GSO frame needs more than MAX_FRAMES segments
  COUNT
};

// The hold pool keeps frames waiting on ARP resolution; bounded by slots, each holding one
// frame of up to HOLD_SLOT_BYTES (GSO super-frames included).
constexpr uint32_t HOLD_SLOTS = 64;
constexpr uint32_t HOLD_SLOT_BYTES = 65536 + 64;

// Frames per batch: one JS call handles at most this many.
constexpr uint32_t BATCH_MAX = 256;

}  // namespace director
