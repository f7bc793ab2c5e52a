#include "toolkit/shape.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "toolkit/limits.h"
#include "toolkit/wabt_convert.h"
#include "wabt/binary-reader-nop.h"
#include "wabt/binary-reader.h"
#include "wabt/feature.h"

namespace pgwasm::toolkit {

namespace {

using wabt::Index;
using wabt::Offset;
using wabt::Result;
using wabt::Type;

std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

// Collects as wabt's reader goes; any callback returning an error stops it.
class Scanner final : public wabt::BinaryReaderNop {
 public:
  ModuleScan scan;
  std::optional<BinaryError> error;

  void finish() {
    scan.info.memories = memories_;
    scan.shape.types = static_cast<uint32_t>(types_.size());
    scan.shape.globals = static_cast<uint32_t>(globals_.size());
  }

  bool OnError(const wabt::Error &e) override {
    if (!error) error = BinaryError(BinaryError::Kind::Malformed, e.loc.offset, e.message);
    return true;
  }

  // Types, imports and definitions: the index spaces exports refer to.
  Result OnFuncType(Index, Index nparams, Type *params, Index nresults, Type *results) override {
    return convert([&] {
      FuncType t;
      for (Index i = 0; i < nparams; i++) t.params.push_back(from_wabt(params[i]));
      for (Index i = 0; i < nresults; i++) t.results.push_back(from_wabt(results[i]));
      for (ValType v : t.params) scan.shape.uses_simd |= v == ValType::V128;
      for (ValType v : t.results) scan.shape.uses_simd |= v == ValType::V128;
      types_.push_back(std::move(t));
    });
  }
  Result OnImportCount(Index count) override { return check(count, limits::kImports, "imports"); }
  Result OnImportFunc(Index, std::string_view module, std::string_view name, Index,
                      Index sig) override {
    const FuncType *type = type_at(sig);
    if (!type) return invalid("an import has a type that does not exist");
    scan.info.imports.push_back({std::string(module), std::string(name), *type});
    funcs_.push_back(*type);
    scan.shape.imported_functions++;
    return count_function();
  }
  Result OnImportTable(Index, std::string_view module, std::string_view name, Index, Type elem,
                       const wabt::Limits *limits) override {
    return convert([&] {
      TableType t{from_wabt(elem), from_wabt(*limits)};
      scan.info.imports.push_back({std::string(module), std::string(name), t});
      scan.info.tables.push_back(t);
    });
  }
  Result OnImportMemory(Index, std::string_view module, std::string_view name, Index,
                        const wabt::Limits *limits) override {
    MemoryType m{from_wabt(*limits), limits->is_shared};
    scan.info.imports.push_back({std::string(module), std::string(name), m});
    memories_.push_back(m);
    return Result::Ok;
  }
  Result OnImportGlobal(Index, std::string_view module, std::string_view name, Index, Type type,
                        bool is_mutable) override {
    return convert([&] {
      GlobalType g{from_wabt(type), is_mutable};
      scan.info.imports.push_back({std::string(module), std::string(name), g});
      globals_.push_back({g, std::nullopt});
    });
  }
  Result OnImportTag(Index, std::string_view, std::string_view, Index, Index) override {
    return invalid("exception tags are not part of WebAssembly 2.0");
  }
  Result OnFunction(Index, Index sig) override {
    const FuncType *type = type_at(sig);
    if (!type) return invalid("a function has a type that does not exist");
    funcs_.push_back(*type);
    return count_function();
  }
  Result OnTable(Index, Type elem, const wabt::Limits *limits) override {
    return convert([&] {
      scan.info.tables.push_back(TableType{from_wabt(elem), from_wabt(*limits)});
    });
  }
  Result OnMemory(Index, const wabt::Limits *limits) override {
    memories_.push_back(MemoryType{from_wabt(*limits), limits->is_shared});
    return Result::Ok;
  }
  Result BeginGlobal(Index, Type type, bool is_mutable) override {
    return convert([&] { globals_.push_back({GlobalType{from_wabt(type), is_mutable}, {}}); });
  }
  Result BeginGlobalInitExpr(Index) override {
    in_global_init_ = in_init_ = true;
    init_items_ = 0;
    return Result::Ok;
  }
  Result EndGlobalInitExpr(Index) override {
    in_global_init_ = in_init_ = false;
    if (init_items_ != 1) globals_.back().constant.reset();
    return Result::Ok;
  }
  // Constant expressions (initial values, segment offsets) may hold only
  // constants, global.get, ref.null and ref.func. Checked here, before
  // wabt's IR builder sees them: it asserts (aborts) on a block left open
  // at the end of one.
  Result BeginElemSegmentInitExpr(Index) override { return begin_init(); }
  Result EndElemSegmentInitExpr(Index) override { return end_init(); }
  Result BeginDataSegmentInitExpr(Index) override { return begin_init(); }
  Result EndDataSegmentInitExpr(Index) override { return end_init(); }
  Result OnOpcode(wabt::Opcode opcode) override {
    if (opcode.GetPrefix() == 0xfd) scan.shape.uses_simd = true;
    if (!in_init_) return Result::Ok;
    switch (opcode) {
      case wabt::Opcode::I32Const:
      case wabt::Opcode::I64Const:
      case wabt::Opcode::F32Const:
      case wabt::Opcode::F64Const:
      case wabt::Opcode::V128Const:
      case wabt::Opcode::GlobalGet:
      case wabt::Opcode::RefNull:
      case wabt::Opcode::RefFunc:
      case wabt::Opcode::End: return Result::Ok;
      default:
        return invalid(std::string("a constant expression holds ") + opcode.GetName() +
                       "; it may hold only constants, global.get, ref.null and ref.func");
    }
  }
  Result OnI32ConstExpr(uint32_t v) override { return constant(v); }
  Result OnI64ConstExpr(uint64_t v) override { return constant(v); }
  Result OnF32ConstExpr(uint32_t bits) override { return constant(bits); }
  Result OnF64ConstExpr(uint64_t bits) override { return constant(bits); }
  Result OnV128ConstExpr(::v128 bits) override { return constant(bits); }
  Result OnGlobalGetExpr(Index) override { return not_constant(); }
  Result OnRefFuncExpr(Index) override { return not_constant(); }
  Result OnRefNullExpr(Type) override { return not_constant(); }

  Result OnExportCount(Index count) override { return check(count, limits::kExports, "exports"); }
  Result OnExport(Index, wabt::ExternalKind kind, Index index, std::string_view name) override {
    std::optional<ExternType> type;
    std::optional<ValueBits> constant;
    switch (kind) {
      case wabt::ExternalKind::Func:
        if (index < funcs_.size()) type = funcs_[index];
        break;
      case wabt::ExternalKind::Table:
        if (index < scan.info.tables.size()) type = scan.info.tables[index];
        break;
      case wabt::ExternalKind::Memory:
        if (index < memories_.size()) type = memories_[index];
        break;
      case wabt::ExternalKind::Global:
        if (index < globals_.size()) {
          type = globals_[index].type;
          constant = globals_[index].constant;
        }
        break;
      default: return invalid("exception tags are not part of WebAssembly 2.0");
    }
    if (!type) return invalid("export \"" + std::string(name) + "\" refers to nothing");
    scan.info.exports.push_back({std::string(name), std::move(*type)});
    scan.constant_globals.push_back(constant);
    return Result::Ok;
  }

  Result OnMemoryGrowExpr(Index) override {
    // WebAssembly 2.0 encodes it as 0x40 and a reserved zero byte, both read
    // by now.
    scan.shape.grows_memory = true;
    scan.shape.memory_grow_sites.push_back(static_cast<uint32_t>(state->offset - 2));
    return Result::Ok;
  }
  Result OnTableGrowExpr(Index) override {
    scan.shape.grows_tables = true;
    return Result::Ok;
  }
  Result OnStartFunction(Index index) override {
    scan.shape.start_function = index;
    return Result::Ok;
  }

  // Function bodies: their size, locals, branches and nesting.
  Result BeginFunctionBody(Index index, Offset size) override {
    if (size > limits::kFunctionBodyBytes)
      return fail("function " + std::to_string(index) + " has a body of " + with_commas(size) +
                  " bytes; at most " + with_commas(limits::kFunctionBodyBytes) + " are allowed");
    FunctionShape f;
    f.body_offset = static_cast<uint32_t>(state->offset);
    f.body_bytes = static_cast<uint32_t>(size);
    if (index < funcs_.size()) f.locals = static_cast<uint32_t>(funcs_[index].params.size());
    scan.shape.defined.push_back(f);
    depth_ = 0;
    return Result::Ok;
  }
  Result OnLocalDecl(Index, Index count, Type type) override {
    if (type == Type::V128) scan.shape.uses_simd = true;
    uint64_t locals = uint64_t{current().locals} + count;
    if (locals > limits::kLocals)
      return fail("a function has " + with_commas(locals) + " locals; at most " +
                  with_commas(limits::kLocals) + " are allowed");
    current().locals = static_cast<uint32_t>(locals);
    return Result::Ok;
  }
  Result OnBlockExpr(Type) override { return open(); }
  Result OnLoopExpr(Type) override { return open(); }
  Result OnTryExpr(Type) override { return open(); }
  Result OnIfExpr(Type) override {
    branch(1);
    return open();
  }
  Result OnElseExpr() override { return branch(1); }
  Result OnEndExpr() override {
    if (depth_ > 0) depth_--;
    return Result::Ok;
  }
  Result OnBrExpr(Index) override { return branch(1); }
  Result OnBrIfExpr(Index) override { return branch(1); }
  Result OnBrTableExpr(Index num_targets, Index *, Index) override {
    if (!scan.shape.defined.empty())
      current().table_targets = static_cast<uint32_t>(
          std::min<uint64_t>(current().table_targets + uint64_t{num_targets} + 1, UINT32_MAX));
    return branch(uint64_t{num_targets} + 1);
  }
  Result OnDataSegmentData(Index, const void *, wabt::Address size) override {
    scan.shape.data_bytes += size;
    return Result::Ok;
  }

 private:
  struct Global {
    GlobalType type;
    std::optional<ValueBits> constant;
  };

  FunctionShape &current() { return scan.shape.defined.back(); }
  const FuncType *type_at(Index i) const { return i < types_.size() ? &types_[i] : nullptr; }

  Result fail(std::string message, BinaryError::Kind kind = BinaryError::Kind::Malformed) {
    if (!error) error = BinaryError(kind, state ? state->offset : 0, std::move(message));
    return Result::Error;
  }
  Result invalid(std::string message) {
    return fail(std::move(message), BinaryError::Kind::Invalid);
  }
  template <typename Fn>
  Result convert(Fn &&fn) {
    try {
      fn();
      return Result::Ok;
    } catch (const std::invalid_argument &e) {
      return invalid(e.what());
    }
  }
  Result check(uint64_t count, uint64_t limit, const char *what) {
    if (count <= limit) return Result::Ok;
    return fail("the module has " + with_commas(count) + " " + what + "; at most " +
                with_commas(limit) + " are allowed");
  }
  Result count_function() { return check(++scan.shape.functions, limits::kFunctions, "functions"); }
  template <typename T>
  Result constant(const T &bits) {
    if (!in_global_init_) return Result::Ok;
    ValueBits v{};
    std::memcpy(v.data(), &bits, sizeof bits);
    globals_.back().constant = v;
    init_items_++;
    return Result::Ok;
  }
  Result not_constant() {
    if (in_global_init_) init_items_ += 2;  // never a constant
    return Result::Ok;
  }
  Result open() {
    if (++depth_ > scan.shape.max_nesting) scan.shape.max_nesting = depth_;
    if (depth_ > limits::kNestingDepth)
      return fail("blocks are nested more than " + with_commas(limits::kNestingDepth) +
                  " deep in a function");
    return Result::Ok;
  }
  Result branch(uint64_t n) {
    if (scan.shape.defined.empty()) return Result::Ok;  // an init expression
    current().branches =
        static_cast<uint32_t>(std::min<uint64_t>(current().branches + n, UINT32_MAX));
    return Result::Ok;
  }

  std::vector<FuncType> types_;
  std::vector<FuncType> funcs_;  // the function index space
  std::vector<MemoryType> memories_;
  std::vector<Global> globals_;
  Result begin_init() {
    in_init_ = true;
    return Result::Ok;
  }
  Result end_init() {
    in_init_ = false;
    return Result::Ok;
  }

  bool in_global_init_ = false;
  bool in_init_ = false;  // in any constant expression
  int init_items_ = 0;
  uint32_t depth_ = 0;
};

}  // namespace

ModuleScan scan_module(std::span<const uint8_t> wasm) {
  if (wasm.size() > limits::kModuleBytes)
    throw BinaryError(BinaryError::Kind::Malformed, 0,
                      "the module has " + with_commas(wasm.size()) + " bytes; at most " +
                          with_commas(limits::kModuleBytes) + " are allowed");
  wabt::Features features;  // WebAssembly 2.0, as everywhere in the toolkit
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  Scanner scanner;
  Result result = wabt::ReadBinary(wasm.data(), wasm.size(), &scanner, options);
  if (scanner.error) throw *scanner.error;
  if (wabt::Failed(result)) throw BinaryError(BinaryError::Kind::Malformed, 0, "unknown error");
  scanner.finish();
  return std::move(scanner.scan);
}

}  // namespace pgwasm::toolkit
