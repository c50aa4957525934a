// dropPrivileges({keep, uid?, gid?, groups?, noNewPrivs?}): the daemon's last setup step, over
// io::drop_privileges; throws an Error naming what failed.
#pragma once
#include <napi.h>

namespace director::addon {

Napi::Value drop_privileges_export(const Napi::CallbackInfo& info);

}  // namespace director::addon
