// Builds the `layout` export: every record index and enum of core/records.h by name.
#pragma once
#include <napi.h>

namespace director::addon {

Napi::Object build_layout(Napi::Env env);

}  // namespace director::addon
