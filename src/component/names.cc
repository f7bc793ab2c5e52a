#include "component/names.h"

namespace pgwasm::component {

static bool is_lower_word(std::string_view w) {
  if (w.empty() || !(w[0] >= 'a' && w[0] <= 'z')) return false;
  for (char c : w)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

static bool is_upper_word(std::string_view w) {
  if (w.empty() || !(w[0] >= 'A' && w[0] <= 'Z')) return false;
  for (char c : w)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool is_label(std::string_view s) {
  if (s.empty()) return false;
  for (;;) {
    size_t dash = s.find('-');
    std::string_view word = s.substr(0, dash);
    if (!is_lower_word(word) && !is_upper_word(word)) return false;
    if (dash == std::string_view::npos) return true;
    s.remove_prefix(dash + 1);
  }
}

// Semver as the names use it: MAJOR.MINOR.PATCH with an optional
// pre-release and build, checked for shape only.
static bool is_version(std::string_view v) {
  size_t end = v.find_first_of("-+");
  std::string_view core = v.substr(0, end);
  int parts = 0;
  for (;;) {
    size_t dot = core.find('.');
    std::string_view n = core.substr(0, dot);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string_view::npos) return false;
    parts++;
    if (dot == std::string_view::npos) break;
    core.remove_prefix(dot + 1);
  }
  if (parts != 3) return false;
  if (end == std::string_view::npos) return true;
  std::string_view rest = v.substr(end + 1);
  return !rest.empty() &&
         rest.find_first_not_of(
             "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-+") ==
             std::string_view::npos;
}

static std::optional<ExternName> fail(std::string *why, const char *msg) {
  if (why) *why = msg;
  return std::nullopt;
}

static std::optional<ExternName> parse_interface(std::string_view name, std::string *why) {
  ExternName n;
  n.kind = ExternName::Kind::Interface;
  size_t colon = name.find(':'), slash = name.find('/');
  if (slash == std::string_view::npos || slash < colon)
    return fail(why, "an interface name is namespace:package/interface[@version]");
  size_t at = name.find('@', slash);
  n.namespace_ = name.substr(0, colon);
  n.package = name.substr(colon + 1, slash - colon - 1);
  n.interface = name.substr(slash + 1, at == std::string_view::npos ? at : at - slash - 1);
  if (!is_label(n.namespace_) || !is_label(n.package) || !is_label(n.interface))
    return fail(why, "the namespace, package and interface of a name must be kebab-case labels");
  if (at != std::string_view::npos) {
    n.version = name.substr(at + 1);
    if (!is_version(n.version)) return fail(why, "the version of an interface name is not semver");
  }
  return n;
}

static std::optional<ExternName> parse_plain(std::string_view name, std::string *why) {
  ExternName n;
  struct Prefix {
    std::string_view text;
    ExternName::Annotation annotation;
  };
  static constexpr Prefix prefixes[] = {{"[constructor]", ExternName::Annotation::Constructor},
                                        {"[method]", ExternName::Annotation::Method},
                                        {"[static]", ExternName::Annotation::Static}};
  for (const Prefix &p : prefixes) {
    if (!name.starts_with(p.text)) continue;
    n.annotation = p.annotation;
    name.remove_prefix(p.text.size());
    if (p.annotation == ExternName::Annotation::Constructor) {
      if (!is_label(name)) return fail(why, "a constructor's name is [constructor]<resource>");
      n.resource = name;
      return n;
    }
    size_t dot = name.find('.');
    if (dot == std::string_view::npos || !is_label(name.substr(0, dot)) ||
        !is_label(name.substr(dot + 1)))
      return fail(
          why,
          "a method's name is [method]<resource>.<name>, a static's [static]<resource>.<name>");
    n.resource = name.substr(0, dot);
    n.label = name.substr(dot + 1);
    return n;
  }
  if (!is_label(name)) return fail(why, "a plain name must be a kebab-case label");
  n.label = name;
  return n;
}

std::optional<ExternName> parse_extern_name(std::string_view name, std::string *why) {
  if (name.find(':') != std::string_view::npos) return parse_interface(name, why);
  return parse_plain(name, why);
}

}  // namespace pgwasm::component
