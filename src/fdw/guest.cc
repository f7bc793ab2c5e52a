#include "fdw/guest.h"

#include <cstring>

#include "fdw/fdw_headers.h"
#include "pg/budgets.h"
#include "pg/guard.h"
#include "pg/invoke.h"
#include "pg/message_text.h"

namespace pgwasm::fdw {

using pg::SqlError;

namespace {

constexpr std::string_view kRoutineExports[kRoutines] = {
    "fdw_host_version_requirement",
    "fdw_validate",
    "fdw_init",
    "fdw_plan",
    "fdw_begin_scan",
    "fdw_iter_scan",
    "fdw_re_scan",
    "fdw_end_scan",
    "fdw_begin_modify",
    "fdw_insert",
    "fdw_update",
    "fdw_delete",
    "fdw_end_modify",
    "fdw_import_foreign_schema",
};

// What each routine's export must be: (i32 ptr, i32 len) input, i64 result.
struct RoutineShape {
  bool input;
  bool result;
};
constexpr RoutineShape kShapes[kRoutines] = {
    {false, true}, {true, false}, {true, false},  {true, true},  {true, false},
    {false, true}, {true, false}, {false, false}, {true, false}, {true, true},
    {true, true},  {true, true},  {false, false}, {true, true},
};

FuncType routine_type(Routine r) {
  const RoutineShape &s = kShapes[static_cast<size_t>(r)];
  FuncType t;
  if (s.input) t.params = {ValType::I32, ValType::I32};
  if (s.result) t.results = {ValType::I64};
  return t;
}

// The largest input the host writes into a guest, and the largest result it
// reads: a batch of rows is well under it.
constexpr size_t kMaxTransfer = size_t{256} << 20;

FdwGuest *current = nullptr;

// Makes a guest the current one for its routine's duration.
class CurrentGuest {
 public:
  explicit CurrentGuest(FdwGuest *g) : outer_(current) { current = g; }
  ~CurrentGuest() { current = outer_; }
  CurrentGuest(const CurrentGuest &) = delete;
  CurrentGuest &operator=(const CurrentGuest &) = delete;

 private:
  FdwGuest *outer_;
};

bool keeps_sqlstate(int sqlstate) {
  // The FDW's own errors (HV...), cancels and shutdowns (57...) and
  // out-of-memory keep theirs; whatever else the guest did is HV000.
  char state[6];
  std::memcpy(state, unpack_sql_state(sqlstate), 6);
  return (state[0] == 'H' && state[1] == 'V') || (state[0] == '5' && state[1] == '7') ||
         sqlstate == ERRCODE_OUT_OF_MEMORY || sqlstate == ERRCODE_PROGRAM_LIMIT_EXCEEDED ||
         sqlstate == ERRCODE_STATEMENT_TOO_COMPLEX;
}

}  // namespace

std::string_view routine_export(Routine r) {
  return kRoutineExports[static_cast<size_t>(r)];
}

FdwGuest *current_fdw_guest() {
  return current;
}

std::string scrub(std::string text, const std::vector<std::string> &secrets) {
  return pg::scrub_secrets(std::move(text), secrets);
}

FdwGuest::FdwGuest(pg::LoadedModule &module, GuestContext context, std::string_view init_input)
    : module_(module), context_(std::move(context)) {
  const ModuleInfo &info = module_.info();
  auto func_export = [&](std::string_view name, const FuncType &type,
                         bool required) -> std::optional<uint32_t> {
    auto index = info.export_index(name);
    if (!index) {
      if (required)
        fail(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION,
             context_.code + " is not a foreign data wrapper: it does not export " +
                 std::string(name),
             "A wasm FDW exports pg_wasm_fdw_v1, memory and pg_wasm_alloc (docs/fdw.md).");
      return std::nullopt;
    }
    const auto *ft = std::get_if<FuncType>(&info.exports[*index].type);
    if (!ft || !(*ft == type))
      fail(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION,
           context_.code + " exports " + std::string(name) + " as " +
               to_string(info.exports[*index].type) + ", not " + to_string(ExternType(type)),
           "See docs/fdw.md for the type of each routine.");
    return index;
  };
  func_export("pg_wasm_fdw_v1", FuncType{}, true);
  if (!info.find_export("memory") ||
      kind_of(info.find_export("memory")->type) != ExternKind::Memory)
    fail(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION,
         context_.code + " is not a foreign data wrapper: it exports no memory named \"memory\"");
  alloc_ = func_export("pg_wasm_alloc", FuncType{{ValType::I32}, {ValType::I32}}, true);
  free_ = func_export("pg_wasm_free", FuncType{{ValType::I32}, {}}, false);
  for (size_t i = 0; i < kRoutines; i++)
    exports_[i] = func_export(kRoutineExports[i], routine_type(static_cast<Routine>(i)), false);

  running_ = Routine::Init;
  instance_ = module_.new_instance();
  if (exports(Routine::Init)) call(Routine::Init, init_input);
}

std::string FdwGuest::where(Routine r) const {
  // The validator of a new server does not know its name.
  std::string s =
      context_.server.empty() ? "The server being defined" : "Server \"" + context_.server + "\"";
  if (!context_.table.empty()) s += ", foreign table " + context_.table;
  s += ", " + context_.code + ", routine " + std::string(routine_export(r)) + ".";
  return s;
}

void FdwGuest::fail(int sqlstate, const std::string &message, const std::string &detail) const {
  if (context_.stats) context_.stats->errors++;
  std::string d = where(running_);
  if (!detail.empty()) d = detail + "\n" + d;
  throw SqlError(sqlstate, scrub(message, context_.secrets), scrub(d, context_.secrets));
}

void FdwGuest::invoke(uint32_t export_index, std::string_view name, const engine::Value *args,
                      engine::Value *results, Routine r) {
  if (!alive())
    fail(ERRCODE_FDW_INCONSISTENT_DESCRIPTOR_INFORMATION,
         "the wasm FDW's instance failed earlier in this statement");
  CurrentGuest scope(this);
  // What the guest logs, prints or raises never shows its user mapping.
  pg::SecretsScope secrets(context_.secrets);
  try {
    pg::invoke_with(
        module_.name, export_index, name, args, results,
        // pg_wasm_alloc and pg_wasm_free serve the routine, named with them.
        pg::CallFor{name == routine_export(r) ? std::string_view{} : routine_export(r)},
        [&]() -> engine::Instance & {
          engine::CallBounds bounds = pg::current_bounds();
          if (instance_.bounds != bounds) {
            instance_.instance->set_bounds(bounds);
            instance_.bounds = bounds;
          }
          return *instance_.instance;
        },
        [&] { instance_ = pg::ModuleInstance{}; });
  } catch (const pg::PgError &) {
    if (context_.stats) context_.stats->errors++;
    throw;
  } catch (const SqlError &e) {
    // A guest's own error (pg_wasm.error) needs no more than where it ran.
    // Errors of fail() (a host function's) say where already.
    std::string here = where(r);
    bool from_fail = e.detail.find(here) != std::string::npos;  // counted there
    if (context_.stats && !from_fail) context_.stats->errors++;
    std::string detail = e.detail.empty() || e.sqlstate == ERRCODE_RAISE_EXCEPTION ? here
                         : e.detail.find(here) != std::string::npos                ? e.detail
                                                                    : e.detail + "\n" + here;
    throw SqlError(keeps_sqlstate(e.sqlstate) ? e.sqlstate : ERRCODE_FDW_ERROR,
                   scrub(e.message, context_.secrets), scrub(detail, context_.secrets),
                   scrub(e.hint, context_.secrets));
  }
}

uint32_t FdwGuest::copy_in(std::string_view input, Routine r) {
  if (input.size() > kMaxTransfer)
    fail(ERRCODE_PROGRAM_LIMIT_EXCEEDED, "the input of " + std::string(routine_export(r)) +
                                             " would take " + std::to_string(input.size()) +
                                             " bytes, more than the host passes (" +
                                             std::to_string(kMaxTransfer) + ")");
  engine::Value arg = engine::Value::make_i32(static_cast<int32_t>(input.size()));
  engine::Value ptr;
  invoke(*alloc_, "pg_wasm_alloc", &arg, &ptr, r);
  uint32_t p = ptr.bits.i32;
  std::span<uint8_t> memory = instance_.instance->memory();
  if (p == 0 || p > memory.size() || input.size() > memory.size() - p)
    fail(ERRCODE_FDW_ERROR, "pg_wasm_alloc(" + std::to_string(input.size()) + ") returned " +
                                std::to_string(p) +
                                ", which is not a block of the guest's memory (" +
                                std::to_string(memory.size()) + " bytes)");
  std::memcpy(memory.data() + p, input.data(), input.size());
  return p;
}

std::string_view FdwGuest::result_bytes(uint64_t packed, Routine r) {
  if (packed == 0) return {};
  uint32_t ptr = static_cast<uint32_t>(packed);
  uint32_t len = static_cast<uint32_t>(packed >> 32);
  std::span<uint8_t> memory = instance_.instance->memory();
  if (len > kMaxTransfer || ptr > memory.size() || len > memory.size() - ptr)
    fail(ERRCODE_FDW_ERROR, std::string(routine_export(r)) + " returned " + std::to_string(len) +
                                " bytes at address " + std::to_string(ptr) +
                                ", outside the guest's memory (" + std::to_string(memory.size()) +
                                " bytes)");
  return {reinterpret_cast<const char *>(memory.data() + ptr), len};
}

std::string_view FdwGuest::call(Routine r, std::string_view input) {
  auto index = exports_[static_cast<size_t>(r)];
  running_ = r;  // stays: errors about its result name it
  if (!index)
    fail(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION, context_.code + " does not export " +
                                                     std::string(routine_export(r)) +
                                                     ", which this statement needs");
  const RoutineShape &shape = kShapes[static_cast<size_t>(r)];
  engine::Value args[2];
  engine::Value result;
  uint32_t ptr = 0;
  if (shape.input) {
    ptr = copy_in(input, r);
    args[0] = engine::Value::make_i32(static_cast<int32_t>(ptr));
    args[1] = engine::Value::make_i32(static_cast<int32_t>(input.size()));
  }
  invoke(*index, routine_export(r), args, &result, r);
  std::string_view out = shape.result ? result_bytes(result.bits.i64, r) : std::string_view{};
  if (shape.input && free_) {
    // The result is read before the guest runs again: copy it out first.
    scratch_.assign(out);
    out = scratch_;
    engine::Value p = engine::Value::make_i32(static_cast<int32_t>(ptr));
    invoke(*free_, "pg_wasm_free", &p, nullptr, r);
  }
  return out;
}

}  // namespace pgwasm::fdw
