// Builds the `layout` export: every name of core/records.h with its compiled value, by table.
#pragma once
#include <napi.h>

namespace director::addon {

Napi::Object build_layout(Napi::Env env);

}  // namespace director::addon
