// The layout, all integers little-endian and fixed-width (so that one scan
// has exactly one encoding, and decoding is a bounds check and a load):
//
//   u32 format (kModuleFactsFormat)
//   info:   u32 n, n imports (str module, str name, extern)
//           u32 n, n exports (str name, extern)
//           u32 n, n tables (table); u32 n, n memories (memory)
//   shape:  u32 functions, u32 max_nesting
//           u32 n, n defined (u32 body_offset, body_bytes, locals, branches, table_targets)
//           u8 has_start, u32 start_function (0 without one)
//           u8 grows_memory, u8 grows_tables, u8 uses_simd, u64 data_bytes
//           u32 n, n memory_grow_sites (u32)
//           u32 types, u32 imported_functions, u32 globals
//   constant_globals: one per export, u8 present, then 16 bytes if present
//
//   str:    u32 length, UTF-8 bytes
//   extern: u8 kind (ExternKind), then func: u32 n, n valtypes (u8), u32 n, n
//           valtypes; table: u8 valtype, limits; memory: limits, u8 shared;
//           global: u8 valtype, u8 mutable
//   limits: u64 min, u8 has_max, u64 max (0 without one)
//   bool:   u8 0 or 1, nothing else
//
// The decoder reads bytes another process wrote: it checks every count
// against the bytes left and limits.h before it reserves anything, and what
// scan_module would never produce (an export's constant that is not a
// global's, sites outside every body, bodies out of order...) is an error,
// so what it returns can be used as if this process had scanned the module.
#include "toolkit/module_facts.h"

#include <string>
#include <string_view>

#include "toolkit/limits.h"
#include "toolkit/utf8.h"

namespace pgwasm::toolkit {

namespace {

class Writer {
 public:
  std::vector<uint8_t> out;

  void u8(uint8_t v) { out.push_back(v); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void count(size_t n) { u32(static_cast<uint32_t>(n)); }
  void str(const std::string &s) {
    count(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void limits(const Limits &l) {
    u64(l.min);
    boolean(l.max.has_value());
    u64(l.max.value_or(0));
  }
  void valtypes(const std::vector<ValType> &types) {
    count(types.size());
    for (ValType t : types) u8(static_cast<uint8_t>(t));
  }
  void extern_type(const ExternType &type) {
    u8(static_cast<uint8_t>(kind_of(type)));
    if (const auto *f = std::get_if<FuncType>(&type)) {
      valtypes(f->params);
      valtypes(f->results);
    } else if (const auto *t = std::get_if<TableType>(&type)) {
      table(*t);
    } else if (const auto *m = std::get_if<MemoryType>(&type)) {
      memory(*m);
    } else {
      const auto &g = std::get<GlobalType>(type);
      u8(static_cast<uint8_t>(g.type));
      boolean(g.is_mutable);
    }
  }
  void table(const TableType &t) {
    u8(static_cast<uint8_t>(t.element));
    limits(t.limits);
  }
  void memory(const MemoryType &m) {
    limits(m.limits);
    boolean(m.shared);
  }
};

// The fewest bytes each item of a counted list takes, so that a count the
// bytes left cannot hold is refused before anything is reserved for it.
constexpr size_t kMinExtern = 1 + 1 + 1;  // a global
constexpr size_t kMinImport = 4 + 4 + kMinExtern;
constexpr size_t kMinExport = 4 + kMinExtern;
constexpr size_t kLimitsBytes = 8 + 1 + 8;
constexpr size_t kTableBytes = 1 + kLimitsBytes;
constexpr size_t kMemoryBytes = kLimitsBytes + 1;
constexpr size_t kFunctionShapeBytes = 5 * 4;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  [[noreturn]] void fail(const std::string &what) const { fail_at(pos_, what); }
  [[noreturn]] static void fail_at(size_t offset, const std::string &what) {
    throw BinaryError(BinaryError::Kind::Malformed, offset, "module facts: " + what);
  }

  size_t offset() const { return pos_; }
  size_t left() const { return bytes_.size() - pos_; }

  uint8_t u8() { return take(1)[0]; }
  bool boolean(const char *what) {
    uint8_t v = u8();
    if (v > 1) fail_at(pos_ - 1, std::string(what) + " is " + std::to_string(v) + ", not 0 or 1");
    return v == 1;
  }
  uint32_t u32() {
    const uint8_t *p = take(4);
    return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  }
  uint64_t u64() {
    const uint8_t *p = take(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= uint64_t{p[i]} << (8 * i);
    return v;
  }
  // A value at most `limit`, named in the error.
  uint32_t bounded(uint64_t limit, const char *what) {
    size_t at = pos_;
    uint32_t v = u32();
    if (v > limit)
      fail_at(at, std::string(what) + " is " + std::to_string(v) + "; at most " +
                      std::to_string(limit) + " are allowed");
    return v;
  }
  // A count of items of at least `item_bytes` each: at most `limit`, and
  // no more than the bytes left can hold.
  uint32_t count(uint64_t limit, size_t item_bytes, const char *what) {
    size_t at = pos_;
    uint32_t n = bounded(limit, what);
    if (uint64_t{n} * item_bytes > left())
      fail_at(at, std::string(what) + " is " + std::to_string(n) + ", more than the " +
                      std::to_string(left()) + " bytes left can hold");
    return n;
  }
  std::string str(const char *what) {
    size_t at = pos_;
    uint32_t n = count(limits::kModuleBytes, 1, what);
    const uint8_t *p = take(n);
    std::string s(reinterpret_cast<const char *>(p), n);
    if (!utf8_valid(s)) fail_at(at, std::string(what) + " is not UTF-8");
    return s;
  }
  ValType valtype() {
    uint8_t v = u8();
    if (v > static_cast<uint8_t>(ValType::ExternRef))
      fail_at(pos_ - 1, "value type " + std::to_string(v) + " does not exist");
    return static_cast<ValType>(v);
  }
  Limits limits() {
    Limits l;
    l.min = u64();
    bool has_max = boolean("a limit's has-maximum flag");
    uint64_t max = u64();
    if (has_max)
      l.max = max;
    else if (max != 0)
      fail_at(pos_ - 8, "a limit without a maximum has one");
    return l;
  }
  std::vector<ValType> valtypes(const char *what) {
    uint32_t n = count(limits::kModuleBytes, 1, what);
    std::vector<ValType> types;
    types.reserve(n);
    for (uint32_t i = 0; i < n; i++) types.push_back(valtype());
    return types;
  }
  TableType table() {
    TableType t;
    size_t at = pos_;
    t.element = valtype();
    if (!is_ref(t.element)) fail_at(at, "a table of " + std::string(to_string(t.element)));
    t.limits = limits();
    return t;
  }
  MemoryType memory() {
    MemoryType m;
    m.limits = limits();
    m.shared = boolean("a memory's shared flag");
    return m;
  }
  ExternType extern_type() {
    uint8_t kind = u8();
    switch (kind) {
      case static_cast<uint8_t>(ExternKind::Func): {
        FuncType f;
        f.params = valtypes("a function's parameter count");
        f.results = valtypes("a function's result count");
        return f;
      }
      case static_cast<uint8_t>(ExternKind::Table): return table();
      case static_cast<uint8_t>(ExternKind::Memory): return memory();
      case static_cast<uint8_t>(ExternKind::Global): {
        GlobalType g;
        g.type = valtype();
        g.is_mutable = boolean("a global's mutable flag");
        return g;
      }
      default: fail_at(pos_ - 1, "extern kind " + std::to_string(kind) + " does not exist");
    }
  }

 private:
  const uint8_t *take(size_t n) {
    if (n > left())
      fail("cut short: " + std::to_string(n) + " bytes needed, " + std::to_string(left()) +
           " left");
    const uint8_t *p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

// The imported items of one kind, in order, are the first of that kind's
// index space.
template <typename T>
void check_imported_first(const Reader &in, size_t at, const std::vector<ImportDesc> &imports,
                          const std::vector<T> &space, const char *what) {
  size_t i = 0;
  for (const ImportDesc &import : imports) {
    const T *type = std::get_if<T>(&import.type);
    if (!type) continue;
    if (i >= space.size() || !(space[i] == *type))
      in.fail_at(at, std::string("the ") + what + " do not start with the imported ones");
    i++;
  }
}

ModuleInfo read_info(Reader &in) {
  ModuleInfo info;
  uint32_t n = in.count(limits::kImports, kMinImport, "the import count");
  info.imports.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    ImportDesc d;
    d.module = in.str("an import's module name");
    d.name = in.str("an import's name");
    d.type = in.extern_type();
    info.imports.push_back(std::move(d));
  }
  n = in.count(limits::kExports, kMinExport, "the export count");
  info.exports.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    ExportDesc d;
    d.name = in.str("an export's name");
    d.type = in.extern_type();
    info.exports.push_back(std::move(d));
  }
  size_t at = in.offset();
  n = in.count(limits::kModuleBytes, kTableBytes, "the table count");
  info.tables.reserve(n);
  for (uint32_t i = 0; i < n; i++) info.tables.push_back(in.table());
  check_imported_first(in, at, info.imports, info.tables, "tables");
  at = in.offset();
  n = in.count(limits::kModuleBytes, kMemoryBytes, "the memory count");
  info.memories.reserve(n);
  for (uint32_t i = 0; i < n; i++) info.memories.push_back(in.memory());
  check_imported_first(in, at, info.imports, info.memories, "memories");
  return info;
}

ModuleShape read_shape(Reader &in, const ModuleInfo &info) {
  ModuleShape s;
  s.functions = in.bounded(limits::kFunctions, "the function count");
  s.max_nesting = in.bounded(limits::kNestingDepth, "the nesting depth");

  size_t at = in.offset();
  uint32_t n = in.count(limits::kFunctions, kFunctionShapeBytes, "the defined function count");
  s.defined.reserve(n);
  uint64_t end = 0;  // of the previous body
  for (uint32_t i = 0; i < n; i++) {
    size_t item = in.offset();
    FunctionShape f;
    f.body_offset = in.u32();
    f.body_bytes = in.bounded(limits::kFunctionBodyBytes, "a function's body size");
    f.locals = in.u32();
    f.branches = in.u32();
    f.table_targets = in.u32();
    if (f.body_offset < end)
      in.fail_at(item, "function body " + std::to_string(i) + " starts before the one before ends");
    end = uint64_t{f.body_offset} + f.body_bytes;
    if (end > limits::kModuleBytes)
      in.fail_at(item, "function body " + std::to_string(i) + " ends beyond the largest module");
    if (f.table_targets > f.branches)
      in.fail_at(item, "function body " + std::to_string(i) + " has more br_table targets (" +
                           std::to_string(f.table_targets) + ") than branches (" +
                           std::to_string(f.branches) + ")");
    s.defined.push_back(f);
  }

  at = in.offset();
  bool has_start = in.boolean("the has-start flag");
  uint32_t start = in.u32();
  if (has_start) {
    if (start >= s.functions)
      in.fail_at(at, "the start function " + std::to_string(start) + " does not exist");
    s.start_function = start;
  } else if (start != 0) {
    in.fail_at(at, "a module without a start function has one");
  }
  s.grows_memory = in.boolean("the grows-memory flag");
  s.grows_tables = in.boolean("the grows-tables flag");
  s.uses_simd = in.boolean("the uses-SIMD flag");
  at = in.offset();
  s.data_bytes = in.u64();
  if (s.data_bytes > limits::kModuleBytes)
    in.fail_at(at, "the data segments' size is beyond the largest module");

  // Each site is in a body, after the one before: one walk over both.
  at = in.offset();
  n = in.count(limits::kModuleBytes, 4, "the memory.grow site count");
  if (s.grows_memory != (n > 0))
    in.fail_at(at, "the grows-memory flag does not match the memory.grow sites");
  s.memory_grow_sites.reserve(n);
  size_t body = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t item = in.offset();
    uint32_t site = in.u32();
    if (i > 0 && site <= s.memory_grow_sites.back())
      in.fail_at(item, "the memory.grow sites are not in order");
    while (body < s.defined.size() &&
           uint64_t{s.defined[body].body_offset} + s.defined[body].body_bytes <= site)
      body++;
    if (body == s.defined.size() || site < s.defined[body].body_offset)
      in.fail_at(item, "memory.grow site " + std::to_string(site) + " is in no function body");
    s.memory_grow_sites.push_back(site);
  }

  at = in.offset();
  s.types = in.bounded(limits::kModuleBytes, "the type count");
  s.imported_functions = in.u32();
  s.globals = in.bounded(limits::kModuleBytes, "the global count");
  uint32_t func_imports = 0, global_imports = 0;
  for (const ImportDesc &import : info.imports) {
    func_imports += std::holds_alternative<FuncType>(import.type);
    global_imports += std::holds_alternative<GlobalType>(import.type);
  }
  if (s.imported_functions != func_imports || s.imported_functions > s.functions)
    in.fail_at(at + 4, "the imported function count does not match the imports");
  if (s.globals < global_imports) in.fail_at(at + 8, "fewer globals than imported globals");
  if (s.defined.size() > s.functions - s.imported_functions)
    in.fail_at(at + 4, "more function bodies than defined functions");
  return s;
}

}  // namespace

std::vector<uint8_t> encode_module_facts(const ModuleScan &scan) {
  Writer w;
  const ModuleInfo &info = scan.info;
  const ModuleShape &s = scan.shape;
  w.out.reserve(256 + s.defined.size() * kFunctionShapeBytes + s.memory_grow_sites.size() * 4);
  w.u32(kModuleFactsFormat);

  w.count(info.imports.size());
  for (const ImportDesc &d : info.imports) {
    w.str(d.module);
    w.str(d.name);
    w.extern_type(d.type);
  }
  w.count(info.exports.size());
  for (const ExportDesc &d : info.exports) {
    w.str(d.name);
    w.extern_type(d.type);
  }
  w.count(info.tables.size());
  for (const TableType &t : info.tables) w.table(t);
  w.count(info.memories.size());
  for (const MemoryType &m : info.memories) w.memory(m);

  w.u32(s.functions);
  w.u32(s.max_nesting);
  w.count(s.defined.size());
  for (const FunctionShape &f : s.defined) {
    w.u32(f.body_offset);
    w.u32(f.body_bytes);
    w.u32(f.locals);
    w.u32(f.branches);
    w.u32(f.table_targets);
  }
  w.boolean(s.start_function.has_value());
  w.u32(s.start_function.value_or(0));
  w.boolean(s.grows_memory);
  w.boolean(s.grows_tables);
  w.boolean(s.uses_simd);
  w.u64(s.data_bytes);
  w.count(s.memory_grow_sites.size());
  for (uint32_t site : s.memory_grow_sites) w.u32(site);
  w.u32(s.types);
  w.u32(s.imported_functions);
  w.u32(s.globals);

  for (const std::optional<ValueBits> &c : scan.constant_globals) {
    w.boolean(c.has_value());
    if (c) w.out.insert(w.out.end(), c->begin(), c->end());
  }
  return std::move(w.out);
}

ModuleScan decode_module_facts(std::span<const uint8_t> bytes) {
  Reader in(bytes);
  uint32_t format = in.u32();
  if (format != kModuleFactsFormat)
    Reader::fail_at(
        0, "format " + std::to_string(format) + ", not " + std::to_string(kModuleFactsFormat));
  ModuleScan scan;
  scan.info = read_info(in);
  scan.shape = read_shape(in, scan.info);

  // One per export: its count is the exports', and each takes a byte.
  if (scan.info.exports.size() > in.left()) in.fail("cut short in the exports' constants");
  scan.constant_globals.reserve(scan.info.exports.size());
  for (const ExportDesc &e : scan.info.exports) {
    size_t at = in.offset();
    if (!in.boolean("an export's has-constant flag")) {
      scan.constant_globals.emplace_back();
      continue;
    }
    if (!std::holds_alternative<GlobalType>(e.type))
      Reader::fail_at(at, "export \"" + e.name + "\" has a constant but is no global");
    ValueBits v;
    for (uint8_t &b : v) b = in.u8();
    scan.constant_globals.emplace_back(v);
  }
  if (in.left() != 0) in.fail(std::to_string(in.left()) + " bytes left over");
  return scan;
}

}  // namespace pgwasm::toolkit
