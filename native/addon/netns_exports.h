// Host-side helpers a lab needs inside network namespaces, exported so it spawns no tools:
// writing /proc/sys (sysctls) as the namespace sees it, and offload switches.
#pragma once
#include <napi.h>

namespace director::addon {

// Adds writeNetnsFile and setOffloads to the addon's exports.
void add_netns_exports(Napi::Env env, Napi::Object exports);

}  // namespace director::addon
