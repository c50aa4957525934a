// The health checks' native entry points: openCheckSocket (a TCP/UDP socket bound to a device,
// address and port, handed to Node as an fd) and icmpEcho (one ICMP echo answered or not within a
// timeout, driven by uv_poll and a uv_timer; the callback gets the verdict).
#pragma once
#include <napi.h>

namespace director::addon {

Napi::Value open_check_socket_export(const Napi::CallbackInfo& info);
Napi::Value icmp_echo_export(const Napi::CallbackInfo& info);

}  // namespace director::addon
