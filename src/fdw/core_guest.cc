// The core-ABI guest (docs/fdw.md, "The guest ABI"): a core module with
// pg_wasm_alloc and fdw_* routines taking and giving MessagePack.
#include <array>
#include <cstring>
#include <optional>

#include "fdw/fdw_headers.h"
#include "fdw/guest.h"

namespace pgwasm::fdw {

namespace {

// What each routine's export must be: (i32 ptr, i32 len) input, i64 result.
struct RoutineShape {
  bool input;
  bool result;
};
constexpr RoutineShape kShapes[kRoutines] = {
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) {input, result},
#define PGWASM_CORE_ROUTINE(name, core_export, input, result) {input, result},
#include "component/routines.def"
};

FuncType routine_type(Routine r) {
  const RoutineShape &s = kShapes[static_cast<size_t>(r)];
  FuncType t;
  if (s.input) t.params = {ValType::I32, ValType::I32};
  if (s.result) t.results = {ValType::I64};
  return t;
}

// The FDW host API version of the core ABI (a component's is its world's).
constexpr std::string_view kHostFdwApiVersionText = "1.0.0";

// The largest input the host writes into a guest, and the largest result it
// reads: a batch of rows is well under it.
constexpr size_t kMaxTransfer = size_t{256} << 20;

class CoreGuest final : public GuestImpl {
 public:
  CoreGuest(FdwGuest &owner, pg::LoadedModule &module);
  bool exports(Routine r) const override { return exports_[static_cast<size_t>(r)].has_value(); }
  std::string_view call(Routine r, std::string_view input) override;
  bool alive() const override { return instance_.instance != nullptr; }
  std::string_view host_version() const override { return kHostFdwApiVersionText; }

 private:
  uint32_t copy_in(std::string_view input, Routine r);
  std::string_view result_bytes(uint64_t packed, Routine r);
  template <typename... A>
  [[noreturn]] void fail(A &&...a) const {
    owner_.fail(std::forward<A>(a)...);
  }

  FdwGuest &owner_;
  pg::LoadedModule &module_;
  const GuestContext &context_;
  pg::ModuleInstance instance_;
  std::array<std::optional<uint32_t>, kRoutines> exports_;
  std::optional<uint32_t> alloc_, free_;
  std::string scratch_;  // a result copied out before pg_wasm_free runs
};

CoreGuest::CoreGuest(FdwGuest &owner, pg::LoadedModule &module)
    : owner_(owner), module_(module), context_(owner.context()) {
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
    exports_[i] = func_export(routine_export(static_cast<Routine>(i)),
                              routine_type(static_cast<Routine>(i)), false);

  instance_ = module_.new_instance();
}

uint32_t CoreGuest::copy_in(std::string_view input, Routine r) {
  if (input.size() > kMaxTransfer)
    fail(ERRCODE_PROGRAM_LIMIT_EXCEEDED, "the input of " + std::string(routine_export(r)) +
                                             " would take " + std::to_string(input.size()) +
                                             " bytes, more than the host passes (" +
                                             std::to_string(kMaxTransfer) + ")");
  engine::Value arg = engine::Value::make_i32(static_cast<int32_t>(input.size()));
  engine::Value ptr;
  owner_.invoke(instance_, *alloc_, "pg_wasm_alloc", &arg, &ptr);
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

std::string_view CoreGuest::result_bytes(uint64_t packed, Routine r) {
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

std::string_view CoreGuest::call(Routine r, std::string_view input) {
  auto index = exports_[static_cast<size_t>(r)];
  const RoutineShape &shape = kShapes[static_cast<size_t>(r)];
  engine::Value args[2];
  engine::Value result;
  uint32_t ptr = 0;
  if (shape.input) {
    ptr = copy_in(input, r);
    args[0] = engine::Value::make_i32(static_cast<int32_t>(ptr));
    args[1] = engine::Value::make_i32(static_cast<int32_t>(input.size()));
  }
  owner_.invoke(instance_, *index, routine_export(r), args, &result);
  std::string_view out = shape.result ? result_bytes(result.bits.i64, r) : std::string_view{};
  if (shape.input && free_) {
    // The result is read before the guest runs again: copy it out first.
    scratch_.assign(out);
    out = scratch_;
    engine::Value p = engine::Value::make_i32(static_cast<int32_t>(ptr));
    owner_.invoke(instance_, *free_, "pg_wasm_free", &p, nullptr);
  }
  return out;
}

}  // namespace

std::unique_ptr<GuestImpl> make_core_guest(FdwGuest &owner, pg::LoadedModule &module) {
  return std::make_unique<CoreGuest>(owner, module);
}

}  // namespace pgwasm::fdw
