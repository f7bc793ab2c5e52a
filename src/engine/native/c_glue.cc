#include "engine/native/c_glue.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

#include "engine/native/glue_sources.h"
#include "toolkit/instrument.h"
#include "toolkit/name_text.h"

namespace pgwasm::engine::native {

namespace {

const char *c_type(ValType t) {
  switch (t) {
    case ValType::I32: return "u32";
    case ValType::I64: return "u64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::FuncRef: return "wasm_rt_funcref_t";
    case ValType::ExternRef: return "wasm_rt_externref_t";
    default: return nullptr;
  }
}

// wasm-rt.h's name of a type, for wasm_rt_register_func_type.
const char *rt_type(ValType t) {
  switch (t) {
    case ValType::I32: return "WASM_RT_I32";
    case ValType::I64: return "WASM_RT_I64";
    case ValType::F32: return "WASM_RT_F32";
    case ValType::F64: return "WASM_RT_F64";
    case ValType::FuncRef: return "WASM_RT_FUNCREF";
    default: return "WASM_RT_EXTERNREF";
  }
}

void check_type(const FuncType &type, const std::string &what) {
  for (ValType t : type.params)
    if (!c_type(t)) throw Unsupported{what + " takes a " + std::string(to_string(t))};
  for (ValType t : type.results)
    if (!c_type(t)) throw Unsupported{what + " returns a " + std::string(to_string(t))};
}

// wasm2c's letter for a type in the names of its multi-value structs.
char multi_letter(ValType t) {
  switch (t) {
    case ValType::I32: return 'i';
    case ValType::I64: return 'j';
    case ValType::F32: return 'f';
    case ValType::FuncRef: return 'r';
    case ValType::ExternRef: return 'e';
    default: return 'd';
  }
}

// The C type a function returns: void, a value, or wasm2c's struct of
// several ("struct wasm_multi_di" for (f64, i32)).
std::string return_type(const FuncType &type) {
  if (type.results.empty()) return "void";
  if (type.results.size() == 1) return c_type(type.results[0]);
  std::string name = "struct wasm_multi_";
  for (ValType t : type.results) name += multi_letter(t);
  return name;
}

// The field of result `i` in such a struct ("d0", "i1").
std::string multi_field(const FuncType &type, size_t i) {
  return std::string(1, multi_letter(type.results[i])) + std::to_string(i);
}

// Values cross the glue in 64-bit slots: numbers by their bits, an
// externref as its pointer, a funcref (three words) as the address of a
// wasm_rt_funcref_t that whoever makes the call provides, for arguments and
// results alike.

// A C expression of type `t` from the 64-bit slot `slot`.
std::string from_slot(ValType t, const std::string &slot) {
  switch (t) {
    case ValType::I32: return "(u32)" + slot;
    case ValType::I64: return "(u64)" + slot;
    case ValType::F32: return "pgw_f32(" + slot + ")";
    case ValType::FuncRef: return "(*(const wasm_rt_funcref_t *)(uintptr_t)" + slot + ")";
    case ValType::ExternRef: return "((wasm_rt_externref_t)(uintptr_t)" + slot + ")";
    default: return "pgw_f64(" + slot + ")";
  }
}

// A statement storing `value` of type `t` into the slot.
std::string to_slot(ValType t, const std::string &slot, const std::string &value) {
  switch (t) {
    case ValType::I32:
    case ValType::I64: return slot + " = " + value + ";";
    case ValType::F32: return slot + " = pgw_bits32(" + value + ");";
    case ValType::FuncRef: return "*(wasm_rt_funcref_t *)(uintptr_t)" + slot + " = " + value + ";";
    case ValType::ExternRef: return slot + " = (uint64_t)(uintptr_t)" + value + ";";
    default: return slot + " = pgw_bits64(" + value + ");";
  }
}

// The pointer type wasm2c's accessor of an imported or exported memory,
// table or global returns.
std::string pointer_type(const ExternType &type) {
  switch (kind_of(type)) {
    case ExternKind::Memory: return "wasm_rt_memory_t *";
    case ExternKind::Table:
      return std::get<TableType>(type).element == ValType::FuncRef ? "wasm_rt_funcref_table_t *"
                                                                   : "wasm_rt_externref_table_t *";
    case ExternKind::Global: {
      const char *c = c_type(std::get<GlobalType>(type).type);
      if (!c) throw Unsupported{"it has a global of type v128"};
      return std::string(c) + " *";
    }
    default: return "void *";
  }
}

}  // namespace

std::string mangle(std::string_view name) {
  std::string out = "Z_";
  for (unsigned char c : name) {
    if ((std::isalnum(c) && c != 'Z') || c == '_') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "Z%02X", c);
      out += hex;
    }
  }
  return out;
}

namespace {

// The arguments "(void *, P0, P1...)" of a function of `type` called through
// a pointer, and the call's argument list "(inst, a0, a1...)".
std::string pointer_params(const FuncType &type) {
  std::string s = "(void *";
  for (ValType t : type.params) s += std::string(", ") + c_type(t);
  return s + ")";
}

}  // namespace

toolkit::ModuleNames generated_names(const ModuleInfo &info) {
  toolkit::ModuleNames names;
  for (size_t i = 0; i < info.imports.size(); i++)
    names.imports.emplace_back(std::string(kImportModuleName), "i" + std::to_string(i));
  for (size_t e = 0; e < info.exports.size(); e++) names.exports.push_back("e" + std::to_string(e));
  return names;
}

std::string c_glue(const ModuleInfo &info) {
  // Every name in the C is made here (generated_names), never taken from
  // the module: the module's own names appear only in error messages.
  toolkit::ModuleNames names = generated_names(info);
  std::string prefix = mangle(kModuleName);  // "Z_m"
  std::string c(kGluePreludeC);

  // Imports: all from one module (generated_names), whose struct points at
  // the host and at the imports the engine resolved (by import index): a
  // wasm_rt_funcref_t for a function (its func null for a host function),
  // else what wasm2c's accessor returns.
  for (const auto &imp : info.imports) {
    if (const auto *type = std::get_if<FuncType>(&imp.type))
      check_type(*type, "import " + toolkit::quoted_name(imp.module) + "." +
                            toolkit::quoted_name(imp.name));
    else
      pointer_type(imp.type);  // throws Unsupported for a v128 global
  }
  const std::string import_struct = "struct " + mangle(kImportModuleName) + "_instance_t";
  if (!info.imports.empty())
    c += import_struct +
         " {\n  uint64_t magic;\n  const pgw_host *host;\n  void *const *externs;\n};\n\n";

  for (size_t i = 0; i < info.imports.size(); i++) {
    const auto &imp = info.imports[i];
    std::string fn = mangle(names.imports[i].first) + mangle(names.imports[i].second);
    std::string self = import_struct + " *pgw_m";
    std::string slot = "pgw_m->externs[" + std::to_string(i) + "]";
    const auto *type = std::get_if<FuncType>(&imp.type);
    if (!type) {
      c += pointer_type(imp.type) + fn + "(" + self + ") {\n  return (" + pointer_type(imp.type) +
           ")" + slot + ";\n}\n\n";
      continue;
    }
    // A function: another instance's export, called directly (one runtime,
    // so its traps unwind to the outermost entry as ours do), or the host.
    std::string ret = return_type(*type);
    c += ret + " " + fn + "(" + self;
    for (size_t p = 0; p < type->params.size(); p++)
      c += std::string(", ") + c_type(type->params[p]) + " a" + std::to_string(p);
    // wasm2c 1.0.32 makes the funcref of an imported function (in an
    // element segment, or ref.func) with the address of the instance's
    // field that points to this struct, not with the struct's: told apart
    // by the magic, which no pointer equals.
    c += ") {\n  if (pgw_m->magic != PGW_IMPORT_MAGIC) pgw_m = *(" + import_struct + " **)pgw_m;\n";
    c += "  const wasm_rt_funcref_t *pgw_f = (const wasm_rt_funcref_t *)" + slot + ";\n";
    c += "  if (pgw_f->func) {\n    ";
    std::string direct =
        "((" + ret + " (*)" + pointer_params(*type) + ")pgw_f->func)(pgw_f->module_instance";
    for (size_t p = 0; p < type->params.size(); p++) direct += ", a" + std::to_string(p);
    direct += ")";
    c += (type->results.empty() ? direct + ";\n    return;\n" : "return " + direct + ";\n") +
         "  }\n";
    c += "  uint64_t args[" + std::to_string(type->params.size() + 1) + "] = {0}, results[" +
         std::to_string(type->results.size() + 1) + "] = {0};\n";
    for (size_t r = 0; r < type->results.size(); r++)
      if (type->results[r] == ValType::FuncRef)
        c += "  wasm_rt_funcref_t rf" + std::to_string(r) +
             " = wasm_rt_funcref_null_value;\n"
             "  results[" +
             std::to_string(r) + "] = (uint64_t)(uintptr_t)&rf" + std::to_string(r) + ";\n";
    for (size_t p = 0; p < type->params.size(); p++) {
      std::string a = "a" + std::to_string(p), s = "args[" + std::to_string(p) + "]";
      c += "  " +
           (type->params[p] == ValType::FuncRef ? s + " = (uint64_t)(uintptr_t)&" + a + ";"
                                                : to_slot(type->params[p], s, a)) +
           "\n";
    }
    c += "  if (pgw_m->host->call(pgw_m->host->ctx, " + std::to_string(i) +
         ", args, results)) wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);\n";
    if (type->results.size() == 1) {
      c += "  return " + from_slot(type->results[0], "results[0]") + ";\n";
    } else if (type->results.size() > 1) {
      c += "  " + ret + " r;\n";
      for (size_t r = 0; r < type->results.size(); r++)
        c += "  r." + multi_field(*type, r) + " = " +
             from_slot(type->results[r], "results[" + std::to_string(r) + "]") + ";\n";
      c += "  return r;\n";
    } else {
      c += "  (void)results;\n";
    }
    c += "}\n\n";
  }

  // The instance, with the imports' struct beside it.
  c += "typedef struct {\n  " + prefix + "_instance_t instance;\n";
  if (!info.imports.empty()) c += "  " + import_struct + " imports;\n";
  c += "} pgw_instance;\n\n";

  // Exports: a call per function, accessors for the memory and our globals,
  // and one for any export, to import into another instance.
  std::string memory_accessor;                 // of the memory exported as "memory"
  std::map<std::string, std::string> globals;  // our instrumentation globals
  std::vector<std::string> calls;
  // The runtime's ids of the function exports' types, registered with the
  // module's own at its first instantiation, where an allocation failing
  // traps into the caller's jump target (none may happen outside one).
  std::string register_types = "static void pgw_register_export_types(void) {\n";
  std::string any_export =
      "static void *pgw_export(void *p, uint32_t e, wasm_rt_funcref_t *func) {\n"
      "  pgw_instance *w = (pgw_instance *)p;\n  (void)w;\n  (void)func;\n  switch (e) {\n";
  for (size_t e = 0; e < info.exports.size(); e++) {
    const auto &exp = info.exports[e];
    std::string name = prefix + mangle(names.exports[e]);
    const auto *type = std::get_if<FuncType>(&exp.type);
    bool callable = type != nullptr;
    try {
      if (type) check_type(*type, "export");
    } catch (const Unsupported &) {
      // The module runs; this export cannot be called from the host (the
      // engine says so if it is).
      callable = false;
    }
    std::string es = std::to_string(e);
    if (callable) {
      std::string fn = "pgw_call_" + es;
      calls.push_back(fn);
      c += "static int " + fn +
           "(void *p, const uint64_t *args, uint64_t *results) {\n"
           "  pgw_instance *w = (pgw_instance *)p;\n  int trap;\n"
           "  (void)args;\n  (void)results;\n  PGW_TRY(trap, ";
      std::string call = name + "(&w->instance";
      for (size_t a = 0; a < type->params.size(); a++)
        call += ", " + from_slot(type->params[a], "args[" + std::to_string(a) + "]");
      call += ")";
      if (type->results.empty()) {
        c += call + ";";
      } else if (type->results.size() == 1) {
        c += c_type(type->results[0]) + std::string(" r = ") + call + "; " +
             to_slot(type->results[0], "results[0]", "r");
      } else {
        c += return_type(*type) + " r = " + call + ";";
        for (size_t r = 0; r < type->results.size(); r++)
          c += " " + to_slot(type->results[r], "results[" + std::to_string(r) + "]",
                             "r." + multi_field(*type, r));
      }
      c += ");\n  return trap;\n}\n\n";
      register_types += "  pgw_export_types[" + es + "] = wasm_rt_register_func_type(" +
                        std::to_string(type->params.size()) + ", " +
                        std::to_string(type->results.size());
      for (ValType t : type->params) register_types += std::string(", ") + rt_type(t);
      for (ValType t : type->results) register_types += std::string(", ") + rt_type(t);
      register_types += ");\n";
      any_export += "    case " + es + ":\n      func->func_type = pgw_export_types[" + es +
                    "];\n      func->func = (wasm_rt_function_ptr_t)&" + name +
                    ";\n      func->module_instance = &w->instance;\n      return func;\n";
    } else {
      calls.push_back("0");
      if (!type) {
        any_export += "    case " + es + ": return " + name + "(&w->instance);\n";
        if (exp.name == "memory" && kind_of(exp.type) == ExternKind::Memory) memory_accessor = name;
      }
      if (exp.name == toolkit::kFuelExport) globals["fuel"] = name;
      if (exp.name == toolkit::kInterruptExport) globals["interrupt"] = name;
      if (exp.name == toolkit::kMaxPagesExport) globals["max_pages"] = name;
    }
  }
  any_export += "    default: return 0;\n  }\n}\n\n";
  c += "static uint32_t pgw_export_types[" + std::to_string(info.exports.size() + 1) + "];\n\n";
  c += register_types + "}\n\n";
  c += any_export;

  c += "static int (*const pgw_calls[])(void *, const uint64_t *, uint64_t *) = {";
  for (const auto &fn : calls) c += fn + ", ";
  c += "0};\n\n";

  c += "static wasm_rt_memory_t *pgw_memory(void *p) {\n";
  c += !memory_accessor.empty()
           ? "  return " + memory_accessor + "(&((pgw_instance *)p)->instance);\n"
           : "  (void)p;\n  return 0;\n";
  c += "}\n\n";

  c += "static void *pgw_global(void *p, int which) {\n  pgw_instance *w = (pgw_instance *)p;\n"
       "  (void)w;\n";
  const char *which[] = {"fuel", "interrupt", "max_pages"};
  for (int i = 0; i < 3; i++)
    if (globals.count(which[i]))
      c += "  if (which == " + std::to_string(i) + ") return " + globals[which[i]] +
           "(&w->instance);\n";
  c += "  return 0;\n}\n\n";

  c += "static int pgw_instantiate(void *p, const pgw_host *host, void *const *externs) {\n"
       "  static int initialized;\n  pgw_instance *w = (pgw_instance *)p;\n  int trap;\n"
       "  (void)host;\n  (void)externs;\n";
  if (!info.imports.empty())
    c += "  w->imports.magic = PGW_IMPORT_MAGIC;\n  w->imports.host = host;\n"
         "  w->imports.externs = externs;\n";
  c += "  PGW_TRY(trap, if (!initialized) {\n    wasm_rt_init();\n    " + prefix +
       "_init_module();\n    pgw_register_export_types();\n    initialized = 1;\n  } " + prefix +
       "_instantiate(&w->instance";
  if (!info.imports.empty()) c += ", &w->imports";
  c += "););\n  return trap;\n}\n\n";

  c += "static void pgw_free(void *p) { " + prefix + "_free(&((pgw_instance *)p)->instance); }\n\n";
  c += "static void pgw_set_limits(uintptr_t stack, uint32_t pages, uint32_t entries) {\n"
       "  pgw_stack_limit = stack;\n  pgw_max_pages = pages;\n  pgw_max_entries = entries;\n}\n\n";
  c += "typedef struct {\n"
       "  int abi;\n"
       "  uint32_t instance_size;\n"
       "  uint32_t exports;\n"
       "  int (*const *calls)(void *, const uint64_t *, uint64_t *);\n"
       "  int (*instantiate)(void *, const pgw_host *, void *const *);\n"
       "  void (*free)(void *);\n"
       "  wasm_rt_memory_t *(*memory)(void *);\n"
       "  void *(*global)(void *, int);\n"
       "  void (*set_limits)(uintptr_t, uint32_t, uint32_t);\n"
       "  void *(*any_export)(void *, uint32_t, wasm_rt_funcref_t *);\n"
       "  const void *runtime;\n"
       "} pgw_native_module;\n\n";
  // `runtime`: the address of the runtime's state as this object sees it, so
  // that the engine links only instances that share one runtime.
  c += "PGW_EXPORT const pgw_native_module pgw_native_module_v1 = {" + std::to_string(kGlueAbi) +
       ", sizeof(pgw_instance), " + std::to_string(info.exports.size()) +
       ", pgw_calls, pgw_instantiate, pgw_free, pgw_memory, pgw_global, pgw_set_limits, "
       "pgw_export, &wasm_rt_jmp_buf};\n";
  return c;
}

std::string runtime_source() {
  // The placeholder stands for the trap code, which the C cannot name.
  std::string c(kGlueRuntimeC);
  const std::string placeholder = "PGW_TRAP_OUT_OF_MEMORY";
  for (size_t at = c.find(placeholder); at != std::string::npos; at = c.find(placeholder, at))
    c.replace(at, placeholder.size(), std::to_string(kTrapOutOfMemory));
  return c;
}

std::string with_stack_check(std::string generated_c) {
  const std::string start = "#if WASM_RT_USE_STACK_DEPTH_COUNT\n#define FUNC_PROLOGUE";
  size_t at = generated_c.find(start);
  size_t end = at == std::string::npos ? at : generated_c.find("#endif\n", at);
  if (end == std::string::npos)
    throw std::runtime_error("wasm2c's output has no FUNC_PROLOGUE block to replace");
  generated_c.replace(
      at, end + 7 - at,
      "extern uintptr_t pgw_stack_limit;\n"
      "#define FUNC_PROLOGUE                                                   \\\n"
      "  if (UNLIKELY((uintptr_t)__builtin_frame_address(0) < pgw_stack_limit)) \\\n"
      "    TRAP(EXHAUSTION);\n"
      "#define FUNC_EPILOGUE\n"
      // The host's caps on what the module allocates, in force before its
      // start function runs (wasm2c gives a memory without a maximum 65536
      // pages, where its 32-bit size wraps).
      "extern uint32_t pgw_max_pages, pgw_max_entries;\n"
      "static inline void pgw_allocate_memory(wasm_rt_memory_t *m, uint32_t initial,\n"
      "                                       uint32_t max) {\n"
      "  wasm_rt_allocate_memory(m, initial, max < pgw_max_pages ? max : pgw_max_pages);\n"
      "}\n"
      "#define wasm_rt_allocate_memory pgw_allocate_memory\n"
      "#define PGW_ALLOCATE_TABLE(type)                                                 \\\n"
      "  static inline void pgw_allocate_##type##_table(wasm_rt_##type##_table_t *t,   \\\n"
      "                                                 uint32_t initial, uint32_t max) { \\\n"
      "    wasm_rt_allocate_##type##_table(t, initial,                                \\\n"
      "                                    max < pgw_max_entries ? max : pgw_max_entries); \\\n"
      "  }\n"
      "PGW_ALLOCATE_TABLE(funcref)\nPGW_ALLOCATE_TABLE(externref)\n"
      "#define wasm_rt_allocate_funcref_table pgw_allocate_funcref_table\n"
      "#define wasm_rt_allocate_externref_table pgw_allocate_externref_table\n");
  return generated_c;
}

uint32_t c_branches(std::string_view body) {
  uint32_t n = 0;
  for (std::string_view word : {std::string_view("goto "), std::string_view("if (")})
    for (size_t at = body.find(word); at != std::string_view::npos;
         at = body.find(word, at + word.size()))
      n++;
  return n;
}

namespace {

// "static u32 w2c_f12(Z_m_instance_t*" or "static u32 w2c_f12(Z_m_instance_t* instance": a
// function of the module (its declaration or its definition).
bool module_function(std::string_view line) {
  size_t name = line.find(" w2c_");
  size_t paren = line.find('(');
  if (!line.starts_with("static ") || name == std::string_view::npos ||
      paren == std::string_view::npos || name > paren)
    return false;
  for (char ch : line.substr(name + 1, paren - name - 1))
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
  return line.substr(paren + 1).starts_with(mangle(kModuleName) + "_instance_t*");
}

}  // namespace

SplitTranslation split_translation(std::string_view c, const SplitPolicy &policy) {
  // wasm2c 1.0.32 writes its helpers, then this flag, then (each at column
  // 0, a block ending at a line "}" or "};") the function types, the
  // functions' declarations, the initialisers of globals, data segments and
  // element segments, the functions, the exports and the initialisation.
  const std::string_view first = "static bool s_module_initialized = false;\n";
  size_t start = c.find(first);
  if (start == std::string_view::npos)
    throw std::runtime_error("wasm2c's output does not have the layout the build splits");
  const std::string include = "#include \"" + std::string(kSharedHeader) + "\"\n\n";
  SplitTranslation out;
  out.shared = std::string(c.substr(0, start));
  std::string main_c = include, data_c;
  struct Body {
    std::string_view text;  // without "static "
    int level;
  };
  std::vector<Body> bodies;
  const size_t kStatic = 7;  // "static "
  size_t at = start;
  while (at < c.size()) {
    size_t eol = c.find('\n', at);
    if (eol == std::string_view::npos) eol = c.size();
    std::string_view line = c.substr(at, eol - at);
    size_t end = std::min(eol + 1, c.size());
    bool block = !line.empty() && line[0] != ' ' && line[0] != '#' && line.back() != ';' &&
                 !line.starts_with("/*");
    if (block) {
      // A block (a definition, whose parameters may go on over lines), to
      // its closing line.
      for (;;) {
        if (end >= c.size())
          throw std::runtime_error("wasm2c's output has a block the build cannot split");
        size_t next = c.find('\n', end);
        if (next == std::string_view::npos) next = c.size();
        std::string_view l = c.substr(end, next - end);
        end = std::min(next + 1, c.size());
        if (l == "}" || l == "};") break;
      }
    }
    std::string_view item = c.substr(at, end - at);
    at = end;
    if (module_function(line) && block) {
      uint32_t branches = c_branches(item);
      int level = branches > policy.o0_branches ? 0 : branches > policy.o1_branches ? 1 : 2;
      bodies.push_back({item.substr(kStatic), level});
    } else if (module_function(line) && line.back() == ';') {
      out.shared += item.substr(kStatic);
    } else if (line.starts_with("static const u8 data_segment_data_") ||
               line.starts_with("static const wasm_elem_segment_expr_t ")) {
      // Read by bodies (memory.init, table.init) and by the initialisation.
      size_t eq = line.find(" = ");
      if (eq == std::string_view::npos)
        throw std::runtime_error("wasm2c's output has a segment the build cannot split");
      out.shared += "extern " + std::string(line.substr(kStatic, eq - kStatic)) + ";\n";
      (line.starts_with("static const u8 ") ? data_c : main_c) += item.substr(kStatic);
    } else if (line.starts_with("static ") && line.back() == ';' &&
               line.find('(') == std::string_view::npos &&
               line.find(" = ") == std::string_view::npos) {
      // A variable the bodies share (func_types, for call_indirect).
      out.shared += "extern " + std::string(item.substr(kStatic));
      main_c += item.substr(kStatic);
    } else {
      main_c += item;
    }
  }
  uint64_t body_bytes = 0;
  bool cheap = true;
  for (const auto &body : bodies) {
    body_bytes += body.text.size();
    cheap &= body.level == 2;
  }
  if (cheap && body_bytes + data_c.size() <= policy.unit_bytes) {
    // A small module in one unit: a compiler process each costs more than
    // what it could do in parallel.
    main_c += data_c;
    for (const auto &body : bodies) main_c += body.text;
    out.units.push_back({"module_main.c", std::move(main_c), 2, body_bytes});
    return out;
  }
  out.units.push_back({"module_main.c", std::move(main_c), 2, 0});
  if (!data_c.empty()) out.units.push_back({"module_data.c", include + data_c, 0, 0});
  // Bodies in their order, each level's into units of its own, up to the
  // level's size.
  std::optional<size_t> open[3];
  for (const auto &body : bodies) {
    auto &unit = open[body.level];
    uint64_t most = policy.unit_bytes << (2 - body.level);
    if (unit && out.units[*unit].bytes + body.text.size() > most && out.units[*unit].bytes > 0)
      unit.reset();
    if (!unit) {
      unit = out.units.size();
      out.units.push_back(
          {"module_f" + std::to_string(out.units.size()) + ".c", include, body.level, 0});
    }
    out.units[*unit].source += body.text;
    out.units[*unit].bytes += body.text.size();
  }
  return out;
}

}  // namespace pgwasm::engine::native
