// The `layout` export: every name of core/records.h with its compiled value, grouped by table,
// from the generated list in layout_table.generated.h (TypeScript compares it with its own
// generated constants at load, so a build from another records.h is caught there).
#include "addon/layout.h"

#include "addon/layout_table.generated.h"

namespace director::addon {

Napi::Object build_layout(Napi::Env env) {
  Napi::Object layout = Napi::Object::New(env);
  for (const LayoutEntry& e : kLayout) {
    if (!layout.Has(e.group)) layout.Set(e.group, Napi::Object::New(env));
    layout.Get(e.group).As<Napi::Object>().Set(e.name, Napi::Number::New(env, e.value));
  }
  return layout;
}

}  // namespace director::addon
