// The `layout` export, generated from core/records.h: the lists below carry names only, the
// numbers come from the enums themselves, and static_asserts fail the build when records.h
// grows a word or enum value that is not listed here.
#include "addon/layout.h"

#include "core/core.h"
#include "core/records.h"

namespace director::addon {

namespace {

#define DIRECTOR_META_WORDS(X)                                                              \
  X(LEN) X(ERROR) X(KIND) X(VLAN) X(L3_OFF) X(L4_OFF) X(PROTO) X(SRC_IP) X(DST_IP)          \
  X(SRC_PORT) X(DST_PORT) X(TCP_FLAGS) X(FRAG) X(IP_ID) X(TTL) X(IP_LEN) X(ICMP)            \
  X(ICMP_EXTRA) X(INNER_PROTO) X(INNER_SRC_IP) X(INNER_DST_IP) X(INNER_SRC_PORT)            \
  X(INNER_DST_PORT) X(ARP_OP) X(SRC_MAC_HI) X(SRC_MAC_LO) X(DST_MAC_HI) X(DST_MAC_LO)       \
  X(OFFLOAD) X(GSO_SIZE) X(HASH) X(PAYLOAD_OFF)

#define DIRECTOR_VERDICT_WORDS(X)                                                           \
  X(ACTION) X(METHOD) X(PORT) X(DST_MAC_HI) X(DST_MAC_LO) X(SRC_IP) X(SRC_PORT) X(DST_IP)   \
  X(DST_PORT) X(TUN_SRC) X(TUN_DST) X(MTU) X(SLOT) X(REASON) X(RESERVED_14) X(RESERVED_15)

#define DIRECTOR_ACTIONS(X) \
  X(DROP) X(FORWARD) X(ARP_REPLY) X(HOLD) X(ICMP_FRAG_NEEDED) X(ICMP_TIME_EXCEEDED) X(ICMP_ECHO_REPLY)

#define DIRECTOR_METHODS(X) \
  X(DR) X(NAT_IN) X(NAT_OUT) X(TUN) X(FNAT_IN) X(FNAT_OUT) X(ICMP_NAT_IN) X(ICMP_NAT_OUT)

#define DIRECTOR_FRAME_KINDS(X) X(OTHER) X(ARP) X(IPV4) X(IPV6)

#define DIRECTOR_PARSE_ERRORS(X)                                                           \
  X(OK) X(TRUNCATED_ETH) X(TRUNCATED_VLAN) X(TRUNCATED_ARP) X(BAD_ARP) X(TRUNCATED_IP)     \
  X(BAD_IP_VERSION) X(BAD_IP_HEADER_LEN) X(BAD_IP_TOTAL_LEN) X(BAD_IP_CHECKSUM)            \
  X(TRUNCATED_L4) X(BAD_TCP_HEADER_LEN)

#define DIRECTOR_FRAG_BITS(X) X(DF) X(MF) X(NONFIRST)

#define DIRECTOR_OFFLOAD_BITS(X) X(CSUM_PARTIAL) X(GSO_TCPV4) X(GSO_UDP) X(GSO_OTHER) X(DATA_VALID)

#define DIRECTOR_REWRITE_ERRORS(X) X(OK) X(BAD_VERDICT) X(NOT_APPLICABLE) X(TOO_BIG) X(TOO_MANY_SEGMENTS)

#define DIRECTOR_COUNT_ONE(name) +1

static_assert(0 DIRECTOR_META_WORDS(DIRECTOR_COUNT_ONE) == meta::WORDS,
              "layout.cc must name every meta word of records.h");
static_assert(0 DIRECTOR_VERDICT_WORDS(DIRECTOR_COUNT_ONE) == verdict::WORDS,
              "layout.cc must name every verdict word of records.h");
static_assert(0 DIRECTOR_ACTIONS(DIRECTOR_COUNT_ONE) == static_cast<int>(Action::COUNT),
              "layout.cc must name every Action");
static_assert(0 DIRECTOR_METHODS(DIRECTOR_COUNT_ONE) == static_cast<int>(Method::COUNT),
              "layout.cc must name every Method");
static_assert(0 DIRECTOR_PARSE_ERRORS(DIRECTOR_COUNT_ONE) == static_cast<int>(ParseError::COUNT),
              "layout.cc must name every ParseError");
static_assert(0 DIRECTOR_REWRITE_ERRORS(DIRECTOR_COUNT_ONE) ==
                  static_cast<int>(core::RewriteError::COUNT),
              "layout.cc must name every RewriteError");

Napi::Object meta_words(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
#define X(name) o.Set(#name, Napi::Number::New(env, static_cast<uint32_t>(meta::name)));
  DIRECTOR_META_WORDS(X)
#undef X
  o.Set("WORDS", Napi::Number::New(env, static_cast<uint32_t>(meta::WORDS)));
  return o;
}

Napi::Object verdict_words(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
#define X(name) o.Set(#name, Napi::Number::New(env, static_cast<uint32_t>(verdict::name)));
  DIRECTOR_VERDICT_WORDS(X)
#undef X
  o.Set("WORDS", Napi::Number::New(env, static_cast<uint32_t>(verdict::WORDS)));
  return o;
}

template <typename E>
void set_enum(Napi::Object& o, const char* name, E value) {
  o.Set(name, Napi::Number::New(o.Env(), static_cast<uint32_t>(value)));
}

Napi::Object enums(Napi::Env env, int which) {
  Napi::Object o = Napi::Object::New(env);
  switch (which) {
#define X(name) set_enum(o, #name, Action::name);
    case 0: DIRECTOR_ACTIONS(X) set_enum(o, "COUNT", Action::COUNT); break;
#undef X
#define X(name) set_enum(o, #name, Method::name);
    case 1: DIRECTOR_METHODS(X) set_enum(o, "COUNT", Method::COUNT); break;
#undef X
#define X(name) set_enum(o, #name, FrameKind::name);
    case 2: DIRECTOR_FRAME_KINDS(X) break;
#undef X
#define X(name) set_enum(o, #name, ParseError::name);
    case 3: DIRECTOR_PARSE_ERRORS(X) set_enum(o, "COUNT", ParseError::COUNT); break;
#undef X
#define X(name) set_enum(o, #name, frag_bits::name);
    case 4: DIRECTOR_FRAG_BITS(X) break;
#undef X
#define X(name) set_enum(o, #name, offload_bits::name);
    case 5: DIRECTOR_OFFLOAD_BITS(X) break;
#undef X
#define X(name) set_enum(o, #name, core::RewriteError::name);
    case 6: DIRECTOR_REWRITE_ERRORS(X) set_enum(o, "COUNT", core::RewriteError::COUNT); break;
#undef X
  }
  return o;
}

}  // namespace

Napi::Object build_layout(Napi::Env env) {
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("meta", meta_words(env));
  layout.Set("verdict", verdict_words(env));
  layout.Set("action", enums(env, 0));
  layout.Set("method", enums(env, 1));
  layout.Set("frameKind", enums(env, 2));
  layout.Set("parseError", enums(env, 3));
  layout.Set("fragBits", enums(env, 4));
  layout.Set("offloadBits", enums(env, 5));
  layout.Set("rewriteError", enums(env, 6));
  layout.Set("batchMax", Napi::Number::New(env, BATCH_MAX));
  layout.Set("holdSlots", Napi::Number::New(env, HOLD_SLOTS));
  layout.Set("holdSlotBytes", Napi::Number::New(env, HOLD_SLOT_BYTES));
  return layout;
}

}  // namespace director::addon
