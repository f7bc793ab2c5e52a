// The names of a component's imports and exports (Explainer.md,
// "Import and Export Definitions"): an interface name such as
// `supabase:wrappers/http@0.1.0`, or a plain name such as `http`, `init` or
// `[method]context.get-options`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgwasm::component {

struct ExternName {
  enum class Kind { Interface, Plain };
  Kind kind = Kind::Plain;
  // Interface: namespace:package/interface@version (version may be empty).
  std::string namespace_, package, interface, version;
  // Plain: the label, after an annotation if any ("[method]r.m": resource
  // "r", label "m"; "[constructor]r": resource "r", label empty).
  enum class Annotation { None, Constructor, Method, Static };
  Annotation annotation = Annotation::None;
  std::string resource, label;
};

// The name read, or nothing with `why` set when it is neither form.
std::optional<ExternName> parse_extern_name(std::string_view name, std::string *why = nullptr);

// A kebab-case label: words of lower-case letters and digits, or of
// upper-case letters and digits, each starting with a letter, joined by '-'.
bool is_label(std::string_view s);

}  // namespace pgwasm::component
