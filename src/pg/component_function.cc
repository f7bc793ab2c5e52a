#include "pg/component_function.h"

#include <string>
#include <string_view>
#include <vector>

#include "component/errors.h"
#include "component/wit_text.h"
#include "pg/component_code.h"
#include "pg/guard.h"
#include "toolkit/name_text.h"

namespace pgwasm::pg {

using component::Kind;
using component::Type;
using component::WitFunction;

namespace {

std::string quoted(std::string_view s) {
  return toolkit::quoted_name(s);
}

std::string without_version(std::string_view iface) {
  return std::string(iface.substr(0, iface.find('@')));
}

// "text" of "my:pkg/text@1.0.0".
std::string short_interface(std::string_view iface) {
  std::string_view s = iface.substr(0, iface.find('@'));
  size_t slash = s.rfind('/');
  return std::string(slash == std::string_view::npos ? s : s.substr(slash + 1));
}

std::string name_list(const std::vector<const WitFunction *> &fs) {
  std::string out;
  size_t shown = 0;
  for (const auto *f : fs) {
    if (shown == 20) {
      out += ", and " + std::to_string(fs.size() - shown) + " more";
      break;
    }
    out += (shown++ ? ", " : "") + f->full_name();
  }
  return out;
}

// The function `want` names (docs/components-sql.md): the exact full name,
// a function of the world, then the short forms "text#slugify",
// "my:pkg/text#slugify" and a bare interface function's name, when only
// one function has it.
const WitFunction &find_function(const WitFunctions &wit, const std::string &want,
                                 const LoadedModule &module) {
  for (const auto &f : wit.functions)
    if (f.full_name() == want) return f;
  std::vector<const WitFunction *> matches;
  size_t hash = want.find('#');
  for (const auto &f : wit.functions) {
    if (hash == std::string::npos) {
      if (!f.interface.empty() && f.name == want) matches.push_back(&f);
    } else {
      std::string iface = want.substr(0, hash);
      if (!f.interface.empty() && f.name == want.substr(hash + 1) &&
          (iface == without_version(f.interface) || iface == short_interface(f.interface)))
        matches.push_back(&f);
    }
  }
  if (matches.size() == 1) return *matches[0];
  if (matches.size() > 1)
    throw SqlError(
        ERRCODE_AMBIGUOUS_FUNCTION,
        "wasm component \"" + module.name + "\" has several functions named " + quoted(want),
        "They are " + name_list(matches) + ".",
        "Write the function's full name after \"::\" in the AS string.");
  std::vector<const WitFunction *> all;
  for (const auto &f : wit.functions) all.push_back(&f);
  std::string exports =
      all.empty() ? "It exports no functions." : "It exports " + name_list(all) + ".";
  if (module.info().find_export(want))
    throw SqlError(ERRCODE_UNDEFINED_FUNCTION,
                   "wasm component \"" + module.name + "\" has no function " + quoted(want),
                   quoted(want) +
                       " is an export of the component's core module, which SQL functions do "
                       "not call: they call the component's own functions. " +
                       exports,
                   "See them with: SELECT * FROM wasm.module_exports('" + module.name + "');");
  throw SqlError(ERRCODE_UNDEFINED_FUNCTION,
                 "wasm component \"" + module.name + "\" has no function " + quoted(want), exports,
                 "See them with: SELECT * FROM wasm.module_exports('" + module.name + "');");
}

std::string param_place(const WitFunction &f, size_t i) {
  std::string s = "parameter " + std::to_string(i + 1);
  if (i < f.param_names.size() && !f.param_names[i].empty()) s += " (" + f.param_names[i] + ")";
  return s;
}

// The row descriptor of a function returning rows (OUT parameters, RETURNS
// TABLE, a composite type), or null.
TupleDesc result_row_desc(Oid fn_oid) {
  return pg_guard([&]() -> TupleDesc {
    Oid type;
    TupleDesc desc = nullptr;
    if (get_func_result_type(fn_oid, &type, &desc) != TYPEFUNC_COMPOSITE) return nullptr;
    return desc;
  });
}

}  // namespace

std::unique_ptr<ComponentBinding> bind_component_export(const SqlFunction &fn,
                                                        const LoadedModule &module,
                                                        MemoryContext mcxt) {
  if (fn.requested_abi != Abi::Auto && fn.requested_abi != Abi::Component)
    throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                   "wasm module \"" + module.name + "\" is a component: function " + fn.signature +
                       " cannot use abi=" + abi_name(fn.requested_abi),
                   "", "A component's functions use abi=component, or no abi= at all.");
  auto b = std::make_unique<ComponentBinding>();
  b->package = module.component;
  const WitFunctions *wit = nullptr;
  try {
    wit = &b->package->wit();
  } catch (const component::ComponentError &e) {
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "the WIT types of wasm component \"" + module.name + "\" cannot be read",
                   e.what());
  }
  const WitFunction &f = find_function(*wit, fn.source.export_name, module);
  b->fn = &f;
  b->full_name = f.full_name();
  std::string subject = "module \"" + module.name + "\", export " + quoted(b->full_name);
  if (f.refusal)
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "wasm " + subject + " cannot be called from SQL: " + *f.refusal);
  const component::Signature &sig = f.sig;
  if (fn.arg_oids.size() != sig.params.size())
    throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                   "function " + fn.signature + " does not match wasm " + subject,
                   "The SQL function takes " + std::to_string(fn.arg_oids.size()) +
                       " arguments; the WIT function " + component::wit_text(f) + " takes " +
                       std::to_string(sig.params.size()) + ".");
  for (size_t i = 0; i < sig.params.size(); i++) {
    if (sig.params[i]->kind == Kind::Result)
      throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                     "wasm " + subject + ": " + param_place(f, i) + " has WIT type " +
                         component::wit_text(*sig.params[i]) + ", which SQL cannot pass");
    b->params.push_back(map_value(*sig.params[i], fn.arg_oids[i], fn.arg_typmods[i],
                                  {param_place(f, i), subject}, mcxt));
  }

  // The result: result<T, E> is T, its errors ERRORs; a list with SETOF
  // gives a row per element.
  const Type *result = sig.result;
  if (result && result->kind == Kind::Result) {
    b->result_is_result = true;
    b->result_error_type = result->items[1];
    result = result->items[0];
  }
  MapPlace place{"the result", subject};
  auto mismatch = [&](const std::string &sql) {
    return SqlError(ERRCODE_DATATYPE_MISMATCH,
                    "wasm " + subject + ": the result has WIT type " +
                        (sig.result ? component::wit_text(*sig.result) : std::string("none")) +
                        ", the SQL function returns " + sql);
  };
  if (fn.retset) {
    if (!result || result->kind != Kind::List)
      throw mismatch("a set (SETOF takes a WIT list, one row per element)");
    b->set_of_list = true;
    const Type &element = *result->items[0];
    if (TupleDesc desc = result_row_desc(fn.oid)) {
      b->row_map = map_row(element, desc, place, mcxt);
    } else {
      b->result = map_value(element, fn.result_oid, fn.result_typmod, place, mcxt);
    }
  } else if (fn.result_oid == VOIDOID) {
    if (result) throw mismatch("void");
  } else {
    std::string sql = pg_guard([&] { return std::string(format_type_be(fn.result_oid)); });
    if (!result) throw mismatch(sql);
    if (fn.result_oid == RECORDOID) {
      TupleDesc desc = result_row_desc(fn.oid);
      if (!desc) throw mismatch(sql);
      b->row_map = map_row(*result, desc, place, mcxt);
    } else {
      b->result = map_value(*result, fn.result_oid, fn.result_typmod, place, mcxt);
    }
  }

  // The core exports that carry the function.
  const component::ExportedFunc &e = b->package->package.exports.at(f.export_index);
  const ModuleInfo &info = module.info();
  auto refuse = [&](const std::string &why) {
    return SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                    "wasm " + subject + " cannot be called from SQL: " + why);
  };
  if (e.options.string_encoding != component::StringEncoding::Utf8)
    throw refuse("it uses a string encoding other than UTF-8");
  if (!e.options.memory.empty() && e.options.memory != "memory")
    throw refuse("its canonical options name memory " + quoted(e.options.memory) +
                 ", not \"memory\"");
  auto core_func = [&](const std::string &name, const FuncType &type,
                       const std::string &what) -> uint32_t {
    auto index = info.export_index(name);
    const auto *ft = index ? std::get_if<FuncType>(&info.exports[*index].type) : nullptr;
    if (!ft) throw refuse(what + ": its core module has no function " + quoted(name));
    if (!(*ft == type))
      throw refuse(what + ": core function " + quoted(name) + " is " + to_string(*ft) +
                   ", the canonical ABI gives " + to_string(type));
    return *index;
  };
  b->core_type = component::lifted_core_type(sig);
  b->core_name = e.core_name;
  b->core_index = core_func(e.core_name, b->core_type, "the lifted function");
  if (!e.options.realloc.empty())
    b->realloc_index = core_func(
        e.options.realloc,
        FuncType{{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}},
        "its realloc");
  if (!e.options.post_return.empty())
    b->post_return_index =
        core_func(e.options.post_return, FuncType{b->core_type.results, {}}, "its post-return");

  auto is_text = [](Oid t) { return t == TEXTOID || t == VARCHAROID; };
  if (!fn.retset && !b->result_is_result && sig.params.size() == 1 && result) {
    Kind in = sig.params[0]->kind, out = result->kind;
    if (in == Kind::String && out == Kind::String && is_text(fn.arg_oids[0]) &&
        is_text(fn.result_oid))
      b->fast = ComponentBinding::Fast::StringToString;
    auto is_bytes = [](const Type &t) {
      return t.kind == Kind::List && t.items[0]->kind == Kind::U8;
    };
    if (is_bytes(*sig.params[0]) && is_bytes(*result) && fn.arg_oids[0] == BYTEAOID &&
        fn.result_oid == BYTEAOID)
      b->fast = ComponentBinding::Fast::BytesToBytes;
  }
  return b;
}

void check_function_binding(const SqlFunction &fn, const LoadedModule &module) {
  if (module.component)
    bind_component_export(fn, module, CurrentMemoryContext);
  else
    bind_export(fn, module);
}

}  // namespace pgwasm::pg
