// The engine interface: compile, instantiate, call, interrupt.
//
// Everything the PostgreSQL glue and the tests know about an engine is here;
// src/engine/v8 implements it with V8. An Engine and everything it returns
// belong to the thread that created the Engine, except interrupting, which
// the engine's own watchdog does from another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/errors.h"
#include "toolkit/types.h"
#include "toolkit/value.h"

namespace pgwasm::engine {

// Values as every layer passes them (toolkit/value.h).
using pgwasm::Ref;
using pgwasm::Value;

// A compiled module: immutable, shareable between instances.
class Module {
 public:
  virtual ~Module() = default;
  virtual const ModuleInfo &info() const = 0;
  // Compiled ahead of time by the native engine (else by V8).
  virtual bool is_native() const { return false; }
};

// Something an instance exports or a host provides, to be imported.
class Extern {
 public:
  virtual ~Extern() = default;
  virtual ExternType type() const = 0;
};

// What a host keeps for an engine between processes, for one module
// (docs/engines.md, "Shared caches"). The host checks each entry when it is
// read, so a damaged or foreign entry reads as missing; entries are a cache,
// and any may be gone at any time.
class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;
  // Keys are 1 to 40 characters of [a-z0-9_.-]; the engine puts in them all
  // an entry depends on besides the module's code (its version, flags,
  // compile options), so that another build of the engine misses.
  // The bytes kept under `key`, intact, or nothing.
  virtual std::optional<std::vector<uint8_t>> load(std::string_view key) = 0;
  // Keeps `bytes` under `key`, replacing what was there. Never throws: an
  // entry that cannot be kept is not kept.
  virtual void save(std::string_view key, std::span<const uint8_t> bytes) = 0;
};

// How a module is compiled, beyond the engine's configuration.
struct CompileOptions {
  // Meter instructions (toolkit/instrument.h): calls then honour
  // CallBounds::fuel, at some cost.
  bool fuel = false;
  // Bound memory.grow per call (CallBounds::max_pages), for modules that
  // grow their memory at all; it costs nothing on other instructions.
  bool limit_memory = false;
  // The native engine only: a module its cache has no build of is built
  // now, in this process (true), or not (false: compile throws NotBuilt, so
  // that the caller can have it built elsewhere and use V8 meanwhile).
  bool build = true;
  // The native engine only: what names the module's builds in the cache
  // (remove_native_builds takes the same), when the host knows the module
  // by another digest than the sha256 of `wasm` (a component's, whose core
  // module is compiled). Hex; empty: the sha256 of `wasm`.
  std::string cache_name = {};
  // The native engine only: a build stops (Interrupted) when the module's
  // builds are removed meanwhile (remove_native_builds), as a background
  // build of a module dropped during its build should.
  bool stop_when_removed = false;
  // Where the engine keeps what it made of this module for other processes
  // (its compiled code, the module as rewritten), and finds it again; null:
  // nowhere. The store belongs to the caller and outlives the call.
  ArtifactStore *store = nullptr;
};

// The native engine's cache has no build of the module yet, and
// CompileOptions::build said not to make one.
class NotBuilt : public EngineError {
 public:
  enum class State {
    Missing,   // nobody is building it
    Building,  // another process is
    Failed,    // its last build failed, for `failure`
  };
  NotBuilt(State state, std::string artifact, std::string failure)
      : EngineError("the module has no native build yet"),
        state(state),
        artifact(std::move(artifact)),
        failure(std::move(failure)) {}
  State state;
  std::string artifact;  // the build is done when this file exists
  std::string failure;
};

// What the calls of an instance may use, set before calls.
struct CallBounds {
  // Instructions one call may execute, as toolkit/instrument.h counts them;
  // a module compiled without fuel ignores it. A call that runs out traps
  // with Trap::Kind::FuelExhausted.
  int64_t fuel = std::numeric_limits<int64_t>::max();
  // The most 64 KiB pages memory.grow may take a memory to in a call (of a
  // module compiled with limit_memory).
  uint32_t max_pages = 65536;
  bool operator==(const CallBounds &) const = default;
};

class Instance {
 public:
  virtual ~Instance() = default;
  virtual const ModuleInfo &info() const = 0;

  // The bounds of the calls that follow.
  virtual void set_bounds(const CallBounds &bounds) = 0;

  // Calls the function export at `export_index` of info().exports. `args`
  // and `results` have exactly the export's parameter and result counts and
  // types. Throws Trap or Interrupted (and rethrows what a host function
  // threw).
  virtual void call(uint32_t export_index, const Value *args, Value *results) = 0;

  // The export at `export_index`, to import into another instance.
  virtual std::shared_ptr<Extern> get_export(uint32_t export_index) = 0;

  // The current value of the global export at `export_index`, with its
  // exact bits.
  virtual Value get_global(uint32_t export_index) = 0;

  // The instance's exported memory named "memory", empty if it has none.
  // Valid until the guest runs again (memory.grow may move it).
  virtual std::span<uint8_t> memory() = 0;
};

// A host function's view of the call: the calling instance's memory.
class HostCall {
 public:
  virtual ~HostCall() = default;
  virtual std::span<uint8_t> memory() = 0;
};

// A host function. It may throw any exception: the guest is unwound and the
// exception is rethrown from Instance::call.
using HostCallback =
    std::function<void(HostCall &call, std::span<const Value> args, std::span<Value> results)>;

// How V8 compiles WebAssembly: TurboFan only, Liftoff only, or Liftoff
// first with hot functions recompiled by TurboFan in the background.
enum class Tiering { Optimizing, Baseline, Dynamic };

struct EngineConfig {
  // Polled by the watchdog thread while guest code runs; when it returns
  // true the running call is stopped and throws Interrupted. It may only
  // read memory (it runs on another thread).
  bool (*interrupt_requested)() = nullptr;
  // Process-wide, like max_memory_pages: the first engine created in a
  // process decides.
  Tiering tiering = Tiering::Optimizing;
  // The most 64 KiB pages any one linear memory may have: memory.grow
  // beyond it returns -1, and a module asking for more from the start is
  // refused. 0 leaves the engine's own limit (4 GiB).
  uint32_t max_memory_pages = 0;
  // The most entries one table may have (table.grow beyond it returns -1;
  // a table starting larger cannot be instantiated). Process-wide; 0 leaves
  // the engine's own limit.
  uint32_t max_table_entries = 0;
  // The engine's own heap (instances, tables), in bytes; 0 leaves V8's
  // default. When a call would exhaust it the call is stopped with an
  // OutOfMemory trap, where V8 would otherwise abort the process.
  size_t max_heap_bytes = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Compiles a binary module. Throws CompileError.
  virtual std::shared_ptr<const Module> compile(std::span<const uint8_t> wasm,
                                                const CompileOptions &options = {}) = 0;

  // Instantiates a module; `imports` match info().imports one to one. Runs
  // the start function within `bounds`, which stay the instance's until
  // set_bounds. Throws LinkError, Trap or Interrupted.
  virtual std::unique_ptr<Instance> instantiate(std::shared_ptr<const Module> module,
                                                std::span<const std::shared_ptr<Extern>> imports,
                                                const CallBounds &bounds = {}) = 0;

  virtual std::shared_ptr<Extern> host_function(FuncType type, HostCallback callback) = 0;

  // A global, a memory and a table made by the host, to import. The global
  // starts with `initial`'s exact bits (a reference: null, a host value, or
  // a function this engine returned); the memory is zero-filled and the
  // table's entries are null. Throws LinkError if the engine cannot make
  // them (limits too large), an OutOfMemory trap if the system would not
  // give the memory.
  virtual std::shared_ptr<Extern> host_global(GlobalType type, const Value &initial) = 0;
  virtual std::shared_ptr<Extern> host_memory(MemoryType type) = 0;
  virtual std::shared_ptr<Extern> host_table(TableType type) = 0;

  // Checks a binary module with the engine's own decoder and validator only
  // (compile() also has the toolkit read it first): the error it reports, or
  // nothing if it accepts the module. For conformance testing, where the
  // engine is what is under test.
  virtual std::optional<std::string> validate(std::span<const uint8_t> wasm) = 0;

  // Guest code may use the machine stack down to this address.
  virtual void set_stack_limit(uintptr_t lowest_address) = 0;

  // Frees now what instances no longer referenced hold (their memories),
  // rather than at the engine's next collection. Takes milliseconds.
  virtual void collect_garbage() = 0;

  virtual std::string version() const = 0;

  // Keeps in `store` (the one `module` was compiled with) what the engine
  // has compiled of the module since, for other processes' compile() of the
  // same module: V8 compiles functions at their first call, so its code
  // worth keeping exists only once calls ran (docs/engines.md, "Shared
  // caches"). It costs a copy of the module's compiled code, and a write
  // only when that grew: call it after a statement that ran the module for
  // the first time in the process, or every so many. Never throws.
  virtual void save_compiled(const Module & /*module*/, ArtifactStore & /*store*/) {}
};

// The V8 engine (src/engine/v8). pg_wasm.so loads it from pg_wasm_v8.so
// beside it at the first call (src/engine/v8_loader.cc), and throws
// EngineError if it cannot.
std::unique_ptr<Engine> make_v8_engine(const EngineConfig &config);

// Maps pg_wasm_v8.so and libnode, and resolves their symbols, without
// starting V8 (no thread, no isolate): a process that forks others (the
// postmaster) does it once for all of them. Throws EngineError.
void preload_v8_library();

// The tools the native engine builds modules with.
struct NativeToolchain {
  std::string wasm2c = "/usr/bin/wasm2c";
  std::string cc = "/usr/bin/cc";
  std::string runtime_dir = "/usr/share/wabt/wasm2c";  // wasm-rt-impl.c and .h
  std::vector<std::string> cflags = {"-O2"};
  // Each tool's CPU time and wall time, address space, and largest file.
  std::chrono::seconds timeout{120};
  uint64_t memory_bytes = uint64_t{2} << 30;
  uint64_t file_bytes = uint64_t{1} << 30;
};

struct NativeConfig {
  // Where built modules are kept (a directory only the host may write).
  std::string cache_dir{};
  NativeToolchain toolchain{};
  // Builds at once across every process whose slots_dir is this one
  // (empty: the cache directory's); 0 builds nothing (CompileError).
  std::string slots_dir{};
  unsigned max_builds = 2;
  // The most bytes the files under cache_root (empty: the cache directory)
  // may take; 0: no limit. A build that would take more is refused.
  std::string cache_root{};
  uint64_t max_cache_bytes = 0;
  // Off only to measure what the checks cost (bench/native/interrupt_cost):
  // without them a call cannot be stopped from outside.
  bool interrupt_checks = true;
};

// The state of the build a NotBuilt named (its `artifact`), asked again
// without compiling anything: Missing, Building, or Failed with `failure`
// set. (Built: the artifact exists.)
NotBuilt::State native_build_state(const std::string &artifact, std::string &failure);

// Removes what the native engine built, in `cache_dir`, of the module whose
// binary has this sha256 (hex): at once, or, for a build in flight, when it
// ends (its process keeps what it loaded).
void remove_native_builds(const std::string &cache_dir, std::string_view module_sha256);
// The module's code is in use (again): its builds stay, and builds of it go
// on (undoes remove_native_builds' mark).
void keep_native_builds(const std::string &cache_dir, std::string_view module_sha256);
// Removes the builds in `cache_dir` of code not in `in_use` (sha256s) that
// no build holds and nothing changed for `idle`: left by a process that
// died before it could remove them.
void remove_unused_native_builds(const std::string &cache_dir,
                                 const std::vector<std::string> &in_use, std::chrono::seconds idle);
// The name of the module's directory in `cache_dir` (pg_basebackup's tar
// format bounds path lengths: keep what a host adds beside it short).
std::string native_build_dir_name(std::string_view module_sha256);

// The native engine (src/engine/native): modules compiled ahead of time by
// wasm2c and the system C compiler. Throws EngineError when the tools are
// missing. Modules wasm2c cannot translate (SIMD) fail to compile with a
// CompileError saying so. Instances link as V8's do, but an instance that
// may put its functions where others call them (it imports a table or a
// funcref global, or one of those exports or a funcref of it was taken)
// lives until the engine is destroyed (docs/engines.md).
std::unique_ptr<Engine> make_native_engine(const EngineConfig &config, NativeConfig native);

}  // namespace pgwasm::engine
