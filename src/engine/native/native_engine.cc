// The native engine: modules compiled ahead of time by wasm2c and the
// system C compiler (build.h) into shared objects, cached by the sha256 of
// what was compiled and the toolchain, loaded with dlopen, and called
// through the glue's entry point (c_glue.h).
//
// A call cannot be stopped from outside generated code: every module is
// instrumented with an interrupt check at function entries and loop
// headers (toolkit/instrument.h), and the watchdog sets the running
// instance's flag. Host functions' exceptions never cross generated frames:
// the dispatcher keeps them, the guest traps, and the call rethrows them.
//
// This file: the engine object, compiling and building, host objects, the
// interrupt; linking (native_instance.cc), calls (native_calls.cc) and
// loading shared objects (shared_object.cc) are beside it.
#include "engine/native/native_engine.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "engine/native/build.h"
#include "engine/native/build_bounds.h"
#include "engine/native/c_glue.h"
#include "toolkit/binary.h"
#include "toolkit/errors.h"
#include "toolkit/instrument.h"
#include "toolkit/limits.h"
#include "toolkit/module_facts.h"
#include "toolkit/shape.h"

namespace pgwasm::engine::native {

NativeEngine::NativeEngine(const EngineConfig &config, NativeConfig native)
    : config_(config), native_(std::move(native)), toolchain_id_() {
  if (config.interrupt_requested)
    watchdog_.emplace(config.interrupt_requested, [this] { interrupt(); });
  std::filesystem::create_directories(native_.cache_dir);
  toolchain_id_ = native::toolchain_id(native_.toolchain, native_.cache_dir);
  runtime_path_ = native_.cache_dir + "/" + native::runtime_name(native_.toolchain, toolchain_id_);
  object_rules_ =
      native::module_object_rules(std::filesystem::path(runtime_path_).filename().string());
}

NativeEngine::~NativeEngine() {
  // Before the watchdog and the registries they use.
  pinned_.clear();
  funcs_.clear();
  if (runtime_) dlclose(runtime_);
}

// What compile() works out from the code and the options before it looks
// for a build (the module's facts, validated, and the key of its build),
// kept in the host's store: a later process finds the build without
// reading, validating and instrumenting the module again. The entry's key
// holds all it depends on besides the code.
std::string NativeEngine::prepared_key(const CompileOptions &options) const {
  std::string what = toolchain_id_ + (native_.interrupt_checks ? "+interrupts" : "") + "/" +
                     std::to_string(toolkit::kModuleFactsFormat) + "/" +
                     std::to_string(toolkit::kReadingRules);
  return "native-" + variant(options) + "-" +
         sha256_hex({reinterpret_cast<const uint8_t *>(what.data()), what.size()}).substr(0, 16);
}

// The entry: the build's key (64 hex), then the module's facts.
static std::vector<uint8_t> encode_prepared(const std::string &build_key,
                                            const toolkit::ModuleScan &scan) {
  std::vector<uint8_t> out(build_key.begin(), build_key.end());
  auto facts = toolkit::encode_module_facts(scan);
  out.insert(out.end(), facts.begin(), facts.end());
  return out;
}

static std::optional<std::pair<std::string, ModuleInfo>> decode_prepared(
    std::span<const uint8_t> bytes) {
  constexpr size_t kKeyHex = 64;
  if (bytes.size() < kKeyHex) return std::nullopt;
  std::string key(bytes.begin(), bytes.begin() + kKeyHex);
  if (key.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
  try {
    return std::pair{key, toolkit::decode_module_facts(bytes.subspan(kKeyHex)).info};
  } catch (const toolkit::BinaryError &) {
    return std::nullopt;
  }
}

// Checks a module's memories against the engine's cap and notes its imports'
// types, from its info_.
void NativeEngine::take_info(NativeModule &module) const {
  uint32_t cap = max_pages();
  for (const auto &m : module.info_.memories)
    if (m.limits.min > cap)
      throw CompileError("the module's memory starts with " + std::to_string(m.limits.min) +
                         " pages, more than the " + std::to_string(cap) + " a memory may have");
  for (const auto &imp : module.info_.imports)
    if (const auto *t = std::get_if<FuncType>(&imp.type)) module.import_types.push_back(*t);
}

std::shared_ptr<const Module> NativeEngine::compile(std::span<const uint8_t> wasm,
                                                    const CompileOptions &options) {
  auto module = std::make_shared<NativeModule>();
  module->fuel = options.fuel;
  module->max_pages = options.limit_memory;
  std::string cache_name = options.cache_name.empty() ? sha256_hex(wasm) : options.cache_name;
  if (options.store) {
    if (auto kept = options.store->load(prepared_key(options))) {
      if (auto prepared = decode_prepared(*kept)) {
        ArtifactPaths paths(native_.cache_dir, cache_name, variant(options), prepared->first);
        module->object = load(paths.object());
        if (module->object) {
          module->info_ = std::move(prepared->second);
          take_info(*module);
          return module;
        }
      }
    }
  }
  std::vector<uint8_t> code;
  ModuleInfo translated;
  toolkit::ModuleScan scan;
  try {
    scan = toolkit::read_module_scan(wasm);
    module->info_ = scan.info;
    code = toolkit::instrument(wasm, {.fuel = options.fuel,
                                      .interrupt = native_.interrupt_checks,
                                      .memory_limit = options.limit_memory});
    translated = toolkit::read_module(code);
  } catch (const toolkit::BinaryError &e) {
    throw CompileError(e.what());
  } catch (const toolkit::Interrupted &) {
    throw Interrupted();
  }
  take_info(*module);
  std::string build_key = sha256_hex(code, toolchain_id_);
  if (options.store) options.store->save(prepared_key(options), encode_prepared(build_key, scan));
  ArtifactPaths paths(native_.cache_dir, cache_name, variant(options), build_key);
  module->object = load(paths.object());
  if (module->object) return module;
  if (!options.build) {
    std::string failure;
    NotBuilt::State state = native_build_state(paths.object(), failure);
    throw NotBuilt(state, paths.object(), failure);
  }
  try {
    build(code, translated, paths, options);
  } catch (...) {
    native::finish_removal(paths);
    throw;
  }
  module->object = load(paths.object());
  if (!module->object) throw CompileError("the native build of the module cannot be loaded");
  // Loaded: a removal the build held back may go ahead.
  native::finish_removal(paths);
  return module;
}

std::shared_ptr<Extern> NativeEngine::host_global(GlobalType type, const Value &initial) {
  if (type.type == ValType::V128) throw LinkError("the native engine has no v128 globals");
  auto global = std::make_shared<HostGlobal>();
  FuncRef cell{};
  uint64_t slot = to_slot(type.type, initial, &cell);
  if (type.type == ValType::FuncRef)
    std::memcpy(global->bytes, &cell, sizeof cell);
  else
    std::memcpy(global->bytes, &slot, type_size(type.type));
  void *ptr = global->bytes;
  return std::make_shared<NativeCell>(type, ptr, std::move(global), nullptr);
}

std::shared_ptr<Extern> NativeEngine::host_memory(MemoryType type) {
  uint32_t cap = max_pages();
  if (type.limits.min > cap)
    throw LinkError("a memory of " + std::to_string(type.limits.min) + " pages, more than the " +
                    std::to_string(cap) + " a memory may have");
  auto memory = std::make_shared<HostMemory>();
  auto pages = static_cast<uint32_t>(type.limits.min);
  memory->memory.data = static_cast<uint8_t *>(std::calloc(size_t{pages} * 65536 + 1, 1));
  if (!memory->memory.data)
    throw Trap(Trap::Kind::OutOfMemory,
               "Out of memory: cannot allocate a memory of " + std::to_string(pages) + " pages");
  memory->memory.pages = pages;
  memory->memory.size = pages * 65536;
  memory->memory.max_pages =
      static_cast<uint32_t>(std::min<uint64_t>(type.limits.max.value_or(65536), cap));
  void *ptr = &memory->memory;
  return std::make_shared<NativeCell>(type, ptr, std::move(memory), nullptr);
}

std::shared_ptr<Extern> NativeEngine::host_table(TableType type) {
  uint32_t cap = max_table_entries();
  if (type.limits.min > cap)
    throw LinkError("a table of " + std::to_string(type.limits.min) + " entries, more than the " +
                    std::to_string(cap) + " a table may have");
  auto table = std::make_shared<HostTable>();
  auto size = static_cast<uint32_t>(type.limits.min);
  size_t entry = type.element == ValType::FuncRef ? sizeof(FuncRef) : sizeof(void *);
  table->table.data = std::calloc(size_t{size} + 1, entry);
  if (!table->table.data)
    throw Trap(Trap::Kind::OutOfMemory,
               "Out of memory: cannot allocate a table of " + std::to_string(size) + " entries");
  table->table.size = size;
  table->table.max_size =
      static_cast<uint32_t>(std::min<uint64_t>(type.limits.max.value_or(UINT32_MAX), cap));
  void *ptr = &table->table;
  return std::make_shared<NativeCell>(type, ptr, std::move(table), nullptr);
}

std::optional<std::string> NativeEngine::validate(std::span<const uint8_t> wasm) {
  try {
    toolkit::read_module(wasm);
    return std::nullopt;
  } catch (const toolkit::BinaryError &e) {
    return e.what();
  }
}

void NativeEngine::set_stack_limit(uintptr_t lowest_address) {
  stack_limit_ = lowest_address;
  // Every instance's code, not only the one a call enters: calls go from
  // one module's code to another's directly.
  std::lock_guard lock(states_mutex_);
  for (const auto &[at, state] : states_) set_limits(*state);
}

void NativeEngine::clear_interrupts() {
  // A plain load first: the locked exchange only after an interrupt.
  if (!flags_set_.load(std::memory_order_relaxed) || !flags_set_.exchange(false)) return;
  std::lock_guard lock(states_mutex_);
  for (const auto &[at, state] : states_)
    if (state->interrupt) *state->interrupt = 0;
}

void NativeEngine::build(std::span<const uint8_t> code, const ModuleInfo &info,
                         const ArtifactPaths &paths, const CompileOptions &options) {
  auto stop = [&] {
    return (config_.interrupt_requested && config_.interrupt_requested()) ||
           (options.stop_when_removed && native::builds_removed(paths));
  };
  if (stop()) throw Interrupted();
  // Held by every build of the module: its removal waits for the last.
  FileLock in_use = FileLock::building(paths, stop);
  std::optional<std::string> too_costly;
  try {
    too_costly = native::build_refusal(toolkit::scan_module(code).shape);
  } catch (const toolkit::BinaryError &e) {
    throw CompileError(e.what());
  }
  if (auto why = too_costly) {
    native::record_failure(paths, *why);
    throw CompileError(*why);
  }
  // One build per artifact, whichever processes want it at once.
  FileLock lock(paths.lock(), FileLock::Mode::Exclusive, stop);
  if (usable(paths.object())) return;  // another process built it meanwhile
  if (native_.max_builds == 0)
    throw CompileError("native builds are turned off (the most builds at once is 0)");
  FileLock slot = native::take_build_slot(
      native_.slots_dir.empty() ? native_.cache_dir + "/slots" : native_.slots_dir,
      native_.max_builds, stop);
  check_cache_room();
  try {
    native::build_shared_object(code, info, paths.dir(), paths.object(), runtime_path_,
                                native_.toolchain, stop);
  } catch (const CompileError &e) {
    native::record_failure(paths, e.what());
    throw;
  }
  native::clear_failure(paths);
  paths.remove_stale();
  try {
    check_cache_room();
  } catch (const CompileError &) {
    unlink(paths.object().c_str());
    throw;
  }
}

void NativeEngine::check_cache_room() const {
  if (!native_.max_cache_bytes) return;
  const std::string &root = native_.cache_root.empty() ? native_.cache_dir : native_.cache_root;
  uint64_t used = native::bytes_under(root);
  if (used > native_.max_cache_bytes)
    throw CompileError("the native engine's cache is full: its builds take " +
                       std::to_string(used >> 20) + " MB of the " +
                       std::to_string(native_.max_cache_bytes >> 20) + " MB it may");
}

std::string NativeEngine::variant(const CompileOptions &options) {
  return options.fuel ? (options.limit_memory ? "fuel_mem" : "fuel")
                      : (options.limit_memory ? "mem" : "plain");
}

void NativeEngine::interrupt() {
  if (!running_flag.load()) return;
  interrupt_sent.store(true);
  flags_set_.store(true);
  std::lock_guard lock(states_mutex_);
  for (const auto &[at, state] : states_)
    if (state->interrupt) __atomic_store_n(state->interrupt, 1u, __ATOMIC_RELAXED);
}

}  // namespace pgwasm::engine::native

namespace pgwasm::engine {

NotBuilt::State native_build_state(const std::string &artifact, std::string &failure) {
  native::ArtifactPaths paths(artifact);
  if (auto why = native::read_failure(paths)) {
    failure = *why;
    return NotBuilt::State::Failed;
  }
  return native::FileLock::held_elsewhere(paths.lock()) ? NotBuilt::State::Building
                                                        : NotBuilt::State::Missing;
}

void remove_native_builds(const std::string &cache_dir, std::string_view module_sha256) {
  native::remove_module_builds(cache_dir, module_sha256);
}

void remove_unused_native_builds(const std::string &cache_dir,
                                 const std::vector<std::string> &in_use,
                                 std::chrono::seconds idle) {
  native::remove_unused_builds(cache_dir, in_use, idle);
}

void keep_native_builds(const std::string &cache_dir, std::string_view module_sha256) {
  native::mark_in_use(cache_dir, module_sha256);
}

std::string native_build_dir_name(std::string_view module_sha256) {
  return native::module_dir_name(module_sha256);
}

std::unique_ptr<Engine> make_native_engine(const EngineConfig &config, NativeConfig native) {
  const auto &tc = native.toolchain;
  for (const auto *tool : {&tc.cc, &tc.wasm2c})
    if (access(tool->c_str(), X_OK) != 0)
      throw EngineError("the native engine needs " + *tool + ", which is not there");
  if (!native::toolchain_available(tc))
    throw EngineError("the native engine needs wasm2c's runtime in " + tc.runtime_dir);
  return std::make_unique<native::NativeEngine>(config, std::move(native));
}

}  // namespace pgwasm::engine
