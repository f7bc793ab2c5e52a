#include "component/wit_text.h"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace pgwasm::component {

namespace {

// A name as WIT writes it: with a leading % when it is one of WIT's
// keywords ("%string", "%bool").
std::string ident(const std::string &name) {
  static constexpr std::string_view keywords[] = {
      "_",           "as",      "async",         "bool",   "borrow", "char",
      "constructor", "enum",    "error-context", "export", "f32",    "f64",
      "flags",       "float32", "float64",       "from",   "func",   "future",
      "import",      "include", "interface",     "list",   "own",    "option",
      "package",     "record",  "resource",      "result", "s16",    "s32",
      "s64",         "s8",      "static",        "stream", "string", "tuple",
      "type",        "u16",     "u32",           "u64",    "u8",     "use",
      "variant",     "world"};
  bool keyword = std::find(std::begin(keywords), std::end(keywords), name) != std::end(keywords);
  return keyword ? "%" + name : name;
}

std::string_view prim_text(Kind k) {
  switch (k) {
    case Kind::Bool: return "bool";
    case Kind::S8: return "s8";
    case Kind::U8: return "u8";
    case Kind::S16: return "s16";
    case Kind::U16: return "u16";
    case Kind::S32: return "s32";
    case Kind::U32: return "u32";
    case Kind::S64: return "s64";
    case Kind::U64: return "u64";
    case Kind::F32: return "f32";
    case Kind::F64: return "f64";
    case Kind::Char: return "char";
    case Kind::String: return "string";
    default: return "";
  }
}

// The body between braces of a record, variant, enum or flags.
std::string members(const Type &t) {
  std::string out;
  for (size_t i = 0; i < t.names.size(); i++) {
    if (i) out += ", ";
    out += ident(t.names[i]);
    if (t.kind == Kind::Record) {
      out += ": " + wit_text(*t.items[i]);
    } else if (t.kind == Kind::Variant && t.items[i]) {
      out += "(" + wit_text(*t.items[i]) + ")";
    }
  }
  return out;
}

std::string braces(const Type &t) {
  std::string m = members(t);
  return m.empty() ? " {}" : " { " + m + " }";
}

std::string_view keyword_of(Kind k) {
  switch (k) {
    case Kind::Record: return "record";
    case Kind::Variant: return "variant";
    case Kind::Enum: return "enum";
    case Kind::Flags: return "flags";
    default: return "";
  }
}

}  // namespace

std::string wit_text(const Type &t) {
  switch (t.kind) {
    case Kind::List: return "list<" + wit_text(*t.items[0]) + ">";
    case Kind::Option: return "option<" + wit_text(*t.items[0]) + ">";
    case Kind::Tuple: {
      std::string out = "tuple<";
      for (size_t i = 0; i < t.items.size(); i++) out += (i ? ", " : "") + wit_text(*t.items[i]);
      return out + ">";
    }
    case Kind::Result: {
      const Type *ok = t.items[0], *err = t.items[1];
      if (!ok && !err) return "result";
      if (!err) return "result<" + wit_text(*ok) + ">";
      return "result<" + (ok ? wit_text(*ok) : std::string("_")) + ", " + wit_text(*err) + ">";
    }
    case Kind::Own:
    case Kind::Borrow: {
      std::string r = t.name.empty() ? "resource" : ident(t.name);
      return std::string(t.kind == Kind::Own ? "own<" : "borrow<") + r + ">";
    }
    case Kind::Record:
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Flags:
      if (!t.name.empty()) return ident(t.name);
      return std::string(keyword_of(t.kind)) + braces(t);
    default: return std::string(prim_text(t.kind));
  }
}

std::string wit_definition(const Type &t) {
  std::string_view k = keyword_of(t.kind);
  if (k.empty() || t.name.empty()) return wit_text(t);
  return std::string(k) + " " + ident(t.name) + braces(t);
}

std::string wit_text(const WitFunction &f) {
  std::string out = "func(";
  for (size_t i = 0; i < f.sig.params.size(); i++) {
    if (i) out += ", ";
    std::string name = i < f.param_names.size() ? f.param_names[i] : "p" + std::to_string(i + 1);
    out += ident(name) + ": " + wit_text(*f.sig.params[i]);
  }
  out += ")";
  if (f.sig.result) out += " -> " + wit_text(*f.sig.result);
  return out;
}

}  // namespace pgwasm::component
