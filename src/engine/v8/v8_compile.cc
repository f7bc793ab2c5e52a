// Compiling a module with V8: the module as V8 compiles it (instrumented,
// imports renamed, start function exported), the tier it is compiled
// with, and the trampoline that calls its exports.
#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include "engine/v8/traps.h"
#include "engine/v8/v8_engine.h"
#include "engine/v8/v8_instance.h"
#include "toolkit/binary.h"
#include "toolkit/binary_edit.h"
#include "toolkit/instrument.h"
#include "toolkit/module_facts.h"
#include "toolkit/sha256.h"
#include "toolkit/trampoline.h"

// Names this build's prepared and compiled entries: its version and the
// sources of what it keeps (src/CMakeLists.txt).
#ifndef PGWASM_V8_CACHE_ID
#error "PGWASM_V8_CACHE_ID must be defined"
#endif

namespace pgwasm::engine::v8impl {

using toolkit::CallTrampoline;

static constexpr std::string_view kCacheId = PGWASM_V8_CACHE_ID;
// The prepared entry's layout.
static constexpr uint32_t kPrepFormat = 1;

v8::Local<v8::WasmModuleObject> compile_v8(v8::Isolate *iso, std::span<const uint8_t> wasm) {
  v8::TryCatch tc(iso);
  auto mod =
      v8::WasmModuleObject::Compile(iso, v8::MemorySpan<const uint8_t>(wasm.data(), wasm.size()));
  if (mod.IsEmpty()) throw CompileError(exception_message(iso, tc));
  return mod.ToLocalChecked();
}

std::optional<std::string> V8Engine::validate(std::span<const uint8_t> wasm) {
  v8::HandleScope scope(isolate_);
  try {
    compile_v8(isolate_, wasm);
  } catch (const CompileError &e) {
    return e.what();
  }
  return std::nullopt;
}

// TurboFan's time and memory grow with the square of a function's branches
// and with branches times locals (measured in V8 10.2: one 45 KB function of
// 5,000 br_if took 2.4 s and 1.5 GB; 1,000 br_if over 40,000 locals, 0.5 s
// and 0.6 GB), and nothing can stop it while it compiles. Within these
// bounds a function takes it about 0.1 s and 60 MB at most. Liftoff is
// linear (1.4 MB of branches in 0.1 s).
static constexpr uint64_t kTurbofanBranches = 1'000;
static constexpr uint64_t kTurbofanBranchLocals = 4'000'000;

static bool fits_turbofan(const toolkit::ModuleShape &shape) {
  return std::all_of(shape.defined.begin(), shape.defined.end(), [](const auto &f) {
    return f.branches <= kTurbofanBranches &&
           uint64_t{f.branches} * f.locals <= kTurbofanBranchLocals;
  });
}

// V8 10.2 compiles a function at its first call with the tier --liftoff
// names at that moment, whatever it was when the module was compiled.
void V8Engine::use_liftoff(bool on) {
  v8::V8::SetFlagsFromString(on ? "--liftoff" : "--no-liftoff");
  liftoff_now_ = on;
}

// The flags as the engine set them, for V8's serialized code (whose header
// has a digest of the flags) and for compiling, restored when it leaves.
class V8Engine::NormalFlags {
 public:
  explicit NormalFlags(V8Engine &engine) : engine_(engine), was_(engine.liftoff_now_) {
    if (was_) engine_.use_liftoff(false);
  }
  ~NormalFlags() {
    if (was_) engine_.use_liftoff(true);
  }
  NormalFlags(const NormalFlags &) = delete;
  NormalFlags &operator=(const NormalFlags &) = delete;

 private:
  V8Engine &engine_;
  bool was_;
};

// What compile() makes of a module before V8 sees it, which depends only on
// its code and the options: kept in the store under prep_key() (layout in
// docs/engines.md, "Shared caches").
struct Prepared {
  // The original's description, with the shape of what V8 compiles.
  toolkit::ModuleScan scan;
  toolkit::TrampolineControls controls;
  // What V8 compiles when it is not the caller's code, in `storage` (the
  // edit, or the whole entry it was read from).
  std::optional<std::span<const uint8_t>> edited;
  std::vector<uint8_t> storage;
};

// The (module, name) each import is given under (V8Module::import_keys_);
// true if any is renamed.
static bool import_keys_of(const ModuleInfo &info,
                           std::vector<std::pair<std::string, std::string>> &keys) {
  std::map<std::pair<std::string, std::string>, int> uses;
  for (const auto &imp : info.imports) uses[{imp.module, imp.name}]++;
  bool renamed = false;
  keys.clear();
  for (size_t i = 0; i < info.imports.size(); i++) {
    const auto &imp = info.imports[i];
    bool shared = uses[{imp.module, imp.name}] > 1;
    renamed = renamed || shared;
    keys.emplace_back(imp.module, shared ? imp.name + "\x01" + std::to_string(i) : imp.name);
  }
  return renamed;
}

static Prepared prepare(std::span<const uint8_t> wasm, const CompileOptions &options) {
  Prepared prep;
  // The module as V8 compiles it: instrumented, imports renamed, start
  // function exported, as need be. The description is the original's.
  std::span<const uint8_t> code = wasm;
  auto edit = [&](std::vector<uint8_t> bytes) {
    prep.storage = std::move(bytes);
    code = *(prep.edited = prep.storage);
  };
  try {
    // V8 validates the functions itself: describing the module costs little
    // per function.
    prep.scan = toolkit::describe_module(wasm);
    prep.controls.fuel = options.fuel;
    prep.controls.max_pages = options.limit_memory && prep.scan.shape.grows_memory;
    if (prep.controls.fuel) {
      // Fuel rewrites functions (through wabt's IR), memory.grow with them.
      edit(toolkit::instrument(wasm, {.fuel = true, .memory_limit = prep.controls.max_pages}));
      prep.scan.shape = toolkit::describe_module(code).shape;  // what TurboFan would take
    } else if (prep.controls.max_pages) {
      // Only memory.grow: an edit of the bytes, which costs a copy.
      edit(toolkit::bound_memory_grow(wasm, prep.scan.shape, toolkit::kMaxPagesExport));
    }
    std::vector<std::pair<std::string, std::string>> keys;
    if (import_keys_of(prep.scan.info, keys)) edit(toolkit::rename_imports(code, keys));
    // The start function becomes an export the engine calls once the
    // instance exists: run inside instantiation, host functions it calls
    // could not reach the instance's memory.
    if (prep.scan.shape.start_function) edit(toolkit::export_start_function(code, kStartExport));
  } catch (const toolkit::BinaryError &e) {
    throw CompileError(e.what());
  }
  return prep;
}

// The prepared entry: kPrepMagic, a flags byte (bit 0 fuel, bit 1
// max_pages, bit 2 edited), the sha256 of the caller's code, of what V8
// compiles and of the facts, the facts' size (u32 LE) and the facts, then
// the edited bytes to the end. Another process wrote it: every part is
// checked against its digest before it is used.
static constexpr char kPrepMagic[4] = {'p', 'g', 'v', 'p'};
static constexpr size_t kDigest = 32;

static std::string digest_of(std::span<const uint8_t> bytes) {
  return toolkit::Sha256().update(bytes).digest();
}

static std::string prep_key(const CompileOptions &options) {
  // Everything else the entry depends on: its layout (kPrepFormat), the
  // facts' (kModuleFactsFormat), and the edits this build makes
  // (PGWASM_V8_CACHE_ID: its version and the sources of the edits).
  return "v8prep-" + std::to_string(kPrepFormat) + "-" +
         std::to_string(toolkit::kModuleFactsFormat) + "-" + (options.fuel ? "f" : "n") +
         (options.limit_memory ? "m" : "n") + "-" + std::string(kCacheId).substr(0, 16);
}

static void put_u32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

static std::vector<uint8_t> encode_prepared(const Prepared &prep, const std::string &source,
                                            const std::string &wire) {
  std::vector<uint8_t> facts = toolkit::encode_module_facts(prep.scan);
  const std::string facts_digest = digest_of(facts);
  std::vector<uint8_t> out(kPrepMagic, kPrepMagic + 4);
  out.push_back(static_cast<uint8_t>((prep.controls.fuel ? 1 : 0) |
                                     (prep.controls.max_pages ? 2 : 0) | (prep.edited ? 4 : 0)));
  for (const std::string *d : {&source, &wire, &facts_digest})
    out.insert(out.end(), d->begin(), d->end());
  put_u32(out, static_cast<uint32_t>(facts.size()));
  out.insert(out.end(), facts.begin(), facts.end());
  if (prep.edited) out.insert(out.end(), prep.edited->begin(), prep.edited->end());
  return out;
}

// The prepared entry's content if it is one for the code whose digest is
// `source`, made with `options`, else nothing; `wire` is set to the digest
// of what V8 is to compile.
static std::optional<Prepared> decode_prepared(std::vector<uint8_t> &&entry,
                                               const std::string &source,
                                               const CompileOptions &options, std::string &wire) {
  std::span<const uint8_t> bytes = entry;
  constexpr size_t kFixed = 4 + 1 + 3 * kDigest + 4;
  if (bytes.size() < kFixed || std::memcmp(bytes.data(), kPrepMagic, 4) != 0) return {};
  uint8_t flags = bytes[4];
  if (flags > 7 || ((flags & 1) != 0) != options.fuel) return {};
  if ((flags & 2) && !options.limit_memory) return {};
  const uint8_t *digests = bytes.data() + 5;
  if (std::memcmp(digests, source.data(), kDigest) != 0) return {};
  const uint8_t *p = digests + 3 * kDigest;
  uint32_t facts_size =
      uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  if (facts_size > bytes.size() - kFixed) return {};
  auto facts = bytes.subspan(kFixed, facts_size);
  auto rest = bytes.subspan(kFixed + facts_size);
  if (std::memcmp(digests + 2 * kDigest, digest_of(facts).data(), kDigest) != 0) return {};
  wire.assign(reinterpret_cast<const char *>(digests + kDigest), kDigest);
  Prepared prep;
  try {
    prep.scan = toolkit::decode_module_facts(facts);
  } catch (const toolkit::BinaryError &) {
    return {};
  }
  prep.controls.fuel = flags & 1;
  prep.controls.max_pages = flags & 2;
  // compile() reads a constant per export.
  if (prep.scan.constant_globals.size() != prep.scan.info.exports.size()) return {};
  if (flags & 4) {
    if (digest_of(rest) != wire) return {};
    prep.edited = rest;
    prep.storage = std::move(entry);
  } else if (!rest.empty() || wire != source) {
    return {};
  }
  return prep;
}

// The compiled-code entry: kCodeMagic, the sha256 of the wire bytes it was
// compiled from, the sha256 of V8's bytes, then V8's bytes
// (CompiledWasmModule::Serialize). V8 trusts what it deserializes: the
// digests make sure a damaged entry, or one of other wire bytes, never
// reaches it.
static constexpr char kCodeMagic[4] = {'p', 'g', 'v', 'c'};

static std::optional<std::span<const uint8_t>> decode_code(std::span<const uint8_t> bytes,
                                                           const std::string &wire) {
  constexpr size_t kFixed = 4 + 2 * kDigest;
  if (bytes.size() <= kFixed || std::memcmp(bytes.data(), kCodeMagic, 4) != 0) return {};
  if (std::memcmp(bytes.data() + 4, wire.data(), kDigest) != 0) return {};
  auto v8_bytes = bytes.subspan(kFixed);
  std::string digest = digest_of(v8_bytes);
  if (std::memcmp(bytes.data() + 4 + kDigest, digest.data(), kDigest) != 0) return {};
  return v8_bytes;
}

std::string V8Engine::code_key(const CompileOptions &options) const {
  // V8 checks its own version, flags and CPU features when it deserializes;
  // the key holds them too (as this engine sets them), so that processes
  // configured differently keep entries of their own.
  std::string id = std::string(v8::V8::GetVersion()) + "|" + flags_ + "|" +
                   (options.fuel ? "f" : "n") + (options.limit_memory ? "m" : "n") + "|" +
                   std::string(kCacheId);
  return "v8code-" + toolkit::Sha256().update(id).hex().substr(0, 32);
}

size_t V8Engine::compiled_code_size(const Module &module) {
  v8::HandleScope scope(isolate_);
  NormalFlags flags(*this);
  return static_cast<const V8Module &>(module)
      .module_.Get(isolate_)
      ->GetCompiledModule()
      .Serialize()
      .size;
}

void V8Engine::save_compiled(const Module &module_base, ArtifactStore &store) {
  const auto &module = static_cast<const V8Module &>(module_base);
  if (module.code_key_.empty()) return;
  v8::HandleScope scope(isolate_);
  NormalFlags flags(*this);
  v8::OwnedBuffer compiled = module.module_.Get(isolate_)->GetCompiledModule().Serialize();
  // V8 10.2 serializes TurboFan code only, and nothing at all before some
  // function has been compiled with it.
  if (compiled.size == 0 || compiled.size == module.saved_code_size_) return;
  std::span<const uint8_t> v8_bytes(compiled.buffer.get(), compiled.size);
  std::vector<uint8_t> entry(kCodeMagic, kCodeMagic + 4);
  entry.insert(entry.end(), module.wire_digest_.begin(), module.wire_digest_.end());
  std::string digest = digest_of(v8_bytes);
  entry.insert(entry.end(), digest.begin(), digest.end());
  entry.insert(entry.end(), v8_bytes.begin(), v8_bytes.end());
  store.save(module.code_key_, entry);
  module.saved_code_size_ = compiled.size;
  counters_.code_saves++;
}

// WebAssembly.compileStreaming is the only way V8 10.2 offers back from
// serialized code: on_wasm_streaming gives V8 the bytes of stream_.
void V8Engine::on_wasm_streaming(const v8::FunctionCallbackInfo<v8::Value> &info) {
  auto *engine = static_cast<V8Engine *>(info.GetIsolate()->GetData(kEngineSlot));
  std::shared_ptr<v8::WasmStreaming> streaming =
      v8::WasmStreaming::Unpack(info.GetIsolate(), info.Data());
  StreamedCompile *job = engine->stream_;
  if (!job) {
    // Only compile_with_code calls WebAssembly.compileStreaming.
    streaming->Abort(v8::MaybeLocal<v8::Value>());
    return;
  }
  // Nothing here allocates on our side or throws: V8 is on the stack.
  streaming->SetClient(job->client);
  job->accepted = streaming->SetCompiledModuleBytes(job->code.data(), job->code.size());
  streaming->OnBytesReceived(job->wire.data(), job->wire.size());
  streaming->Finish();
}

// The module from V8's serialized code, or, when V8 refuses that code
// (another version, flags or CPU), compiled from the wire bytes.
v8::Local<v8::WasmModuleObject> V8Engine::compile_with_code(std::span<const uint8_t> wire,
                                                            std::span<const uint8_t> code,
                                                            bool &deserialized) {
  v8::TryCatch tc(isolate_);
  auto ctx = context();
  struct Client final : v8::WasmStreaming::Client {
    explicit Client(StreamedCompile &job) : job(job) {}
    // Called when V8 compiled the wire bytes rather than deserialize.
    void OnModuleCompiled(v8::CompiledWasmModule) override { job.compiled = true; }
    StreamedCompile &job;
  };
  StreamedCompile job{wire, code};
  job.client = std::make_shared<Client>(job);
  stream_ = &job;
  v8::Local<v8::Value> arg = v8::Undefined(isolate_);
  v8::MaybeLocal<v8::Value> called =
      compile_streaming_.Get(isolate_)->Call(ctx, wasm_namespace_.Get(isolate_), 1, &arg);
  // With synchronous compilation (platform.cc) the callback runs in the
  // promise's reaction and settles the promise before it returns.
  if (!called.IsEmpty()) isolate_->PerformMicrotaskCheckpoint();
  stream_ = nullptr;
  if (called.IsEmpty() || tc.HasCaught()) throw CompileError(exception_message(isolate_, tc));
  auto promise = called.ToLocalChecked().As<v8::Promise>();
  if (promise->State() == v8::Promise::kRejected) {
    v8::String::Utf8Value reason(isolate_, promise->Result());
    throw CompileError(*reason ? *reason : "the module did not compile");
  }
  if (promise->State() != v8::Promise::kFulfilled || !promise->Result()->IsWasmModuleObject())
    throw CompileError("V8 did not finish compiling the module");
  deserialized = job.accepted && !job.compiled;
  return promise->Result().As<v8::WasmModuleObject>();
}

std::shared_ptr<const Module> V8Engine::compile(std::span<const uint8_t> wasm,
                                                const CompileOptions &options) {
  need_room(kWorkRoom + kCodeRoomPerByte * wasm.size(), "compiling the module");
  v8::HandleScope scope(isolate_);
  NormalFlags flags(*this);
  auto module = std::make_shared<V8Module>();
  ArtifactStore *store = options.store;
  std::string source, wire;
  std::optional<Prepared> prep;
  if (store) {
    source = digest_of(wasm);
    if (auto bytes = store->load(prep_key(options)))
      prep = decode_prepared(std::move(*bytes), source, options, wire);
    if (prep) counters_.prep_hits++;
  }
  if (!prep) {
    prep = prepare(wasm, options);
    counters_.prepares++;
    if (store) {
      wire = prep->edited ? digest_of(*prep->edited) : source;
      store->save(prep_key(options), encode_prepared(*prep, source, wire));
    }
  }
  toolkit::ModuleScan &scan = prep->scan;
  std::span<const uint8_t> code = prep->edited.value_or(wasm);
  module->controls_ = prep->controls;
  module->info_ = std::move(scan.info);
  for (const auto &t : module->info_.tables) {
    uint64_t entry = t.element == ValType::FuncRef ? kFuncrefEntryRoom : kExternrefEntryRoom;
    uint64_t most =
        std::min<uint64_t>(t.limits.max.value_or(max_table_entries_), max_table_entries_);
    module->table_room_ += t.limits.min * entry;
    if (scan.shape.grows_tables && most > t.limits.min)
      module->table_growth_room_ += (most - t.limits.min) * entry;
  }
  import_keys_of(module->info_, module->import_keys_);
  module->has_start_ = scan.shape.start_function.has_value();
  // Functions are compiled at their first call with TurboFan; those of a
  // module with a function TurboFan could take too long on, with Liftoff
  // (run_guest sets the flag for them).
  bool baseline = tiering_ == Tiering::Optimizing && !fits_turbofan(scan.shape);
  // V8 10.2 keeps no Liftoff code (save_compiled): only modules compiled
  // with TurboFan have code to keep.
  bool keeps_code = store && tiering_ == Tiering::Optimizing && !baseline;
  std::optional<std::vector<uint8_t>> code_entry;
  std::optional<std::span<const uint8_t>> compiled;
  if (keeps_code) {
    module->code_key_ = code_key(options);
    module->wire_digest_ = wire;
    if ((code_entry = store->load(module->code_key_))) compiled = decode_code(*code_entry, wire);
  }
  if (compiled) {
    bool deserialized = false;
    module->module_.Reset(isolate_, compile_with_code(code, *compiled, deserialized));
    if (deserialized) {
      counters_.code_hits++;
      module->saved_code_size_ = compiled->size();
    } else {
      counters_.compiles++;
    }
  } else {
    module->module_.Reset(isolate_, compile_v8(isolate_, code));
    counters_.compiles++;
  }
  module->baseline_only_ = baseline;

  std::vector<FuncType> targets;
  std::vector<GlobalType> globals;
  module->constant_globals_.resize(module->info_.exports.size());
  for (size_t i = 0; i < module->info_.exports.size(); i++) {
    const ExternType &type = module->info_.exports[i].type;
    const auto *ft = std::get_if<FuncType>(&type);
    const auto *gt = std::get_if<GlobalType>(&type);
    if (gt && v8_cannot_import(*gt)) {
      // The trampoline cannot read it, but its value is known: a valid
      // module defines an immutable v128 global with v128.const, or imports
      // it (which is refused, see instantiate).
      if (const auto &constant = scan.constant_globals[i]) {
        Value v;
        v.type = ValType::V128;
        std::memcpy(v.bits.v128, constant->data(), 16);
        module->constant_globals_[i] = v;
      }
      gt = nullptr;
    }
    module->func_types_.push_back(ft);
    module->has_refs_.push_back(ft &&
                                (std::any_of(ft->params.begin(), ft->params.end(), is_ref) ||
                                 std::any_of(ft->results.begin(), ft->results.end(), is_ref)));
    if (ft) {
      module->trampoline_index_.push_back(static_cast<int32_t>(targets.size()));
      targets.push_back(*ft);
    } else if (gt) {
      module->trampoline_index_.push_back(static_cast<int32_t>(globals.size()));
      globals.push_back(*gt);
    } else {
      module->trampoline_index_.push_back(-1);
    }
  }
  // The start function is called through the trampoline too, which sets
  // the bounds an instrumented module reads.
  if (module->has_start_) {
    module->start_trampoline_ = static_cast<int32_t>(targets.size());
    targets.push_back(FuncType{});
  }
  CallTrampoline trampoline = toolkit::make_call_trampoline(targets, globals, module->controls_);
  module->control_offset_ = trampoline.control_offset();
  module->trampoline_.Reset(isolate_, compile_v8(isolate_, trampoline.wasm));
  return module;
}

}  // namespace pgwasm::engine::v8impl
