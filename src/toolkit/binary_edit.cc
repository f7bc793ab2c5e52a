#include "toolkit/binary_edit.h"

#include <optional>
#include <stdexcept>

namespace pgwasm::toolkit {

namespace {

struct Reader {
  std::span<const uint8_t> bytes;
  size_t pos = 0;

  uint8_t byte() {
    if (pos >= bytes.size()) throw std::invalid_argument("unexpected end of module");
    return bytes[pos++];
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t b = byte();
      v |= static_cast<uint32_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  }
  void skip(size_t n) {
    if (pos + n > bytes.size()) throw std::invalid_argument("unexpected end of module");
    pos += n;
  }
  void skip_limits() {
    uint8_t flags = byte();
    u32();
    if (flags & 1) u32();
  }
};

void put_u32(std::vector<uint8_t> &out, uint32_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? b | 0x80 : b);
  } while (v);
}

void put_name(std::vector<uint8_t> &out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

constexpr uint8_t kImportSection = 2;
constexpr uint8_t kExportSection = 7;
constexpr uint8_t kStartSection = 8;

void put_section(std::vector<uint8_t> &out, uint8_t id, const std::vector<uint8_t> &body) {
  out.push_back(id);
  put_u32(out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

// One section of a module: its id, where it starts (at the id) and ends,
// and its content.
struct Section {
  uint8_t id;
  size_t start, end;
  std::span<const uint8_t> content;
  size_t content_offset;
};

// A valid module's sections, in order.
std::vector<Section> sections_of(std::span<const uint8_t> wasm) {
  Reader r{wasm};
  r.skip(8);  // magic and version
  std::vector<Section> out;
  while (r.pos < wasm.size()) {
    size_t start = r.pos;
    uint8_t id = r.byte();
    uint32_t size = r.u32();
    size_t content = r.pos;
    r.skip(size);
    out.push_back({id, start, r.pos, wasm.subspan(content, size), content});
  }
  return out;
}

// The module's first 8 bytes (magic and version), to which edited sections
// are appended.
std::vector<uint8_t> header_of(std::span<const uint8_t> wasm) {
  return std::vector<uint8_t>(wasm.begin(), wasm.begin() + 8);
}

void copy_section(std::vector<uint8_t> &out, std::span<const uint8_t> wasm, const Section &s) {
  out.insert(out.end(), wasm.begin() + s.start, wasm.begin() + s.end);
}

// A vector section's content with `count` more entries appended (an empty
// content: a section of those entries alone).
std::vector<uint8_t> append_entries(std::span<const uint8_t> content, uint32_t count,
                                    const std::vector<uint8_t> &entries) {
  Reader r{content};
  uint32_t had = content.empty() ? 0 : r.u32();
  std::vector<uint8_t> out;
  put_u32(out, had + count);
  out.insert(out.end(), content.begin() + r.pos, content.end());
  out.insert(out.end(), entries.begin(), entries.end());
  return out;
}

}  // namespace

namespace {

constexpr uint8_t kCustomSection = 0;

// The import section's content with import i named names[i].
std::vector<uint8_t> renamed_imports(
    std::span<const uint8_t> content,
    const std::vector<std::pair<std::string, std::string>> &names) {
  Reader s{content};
  uint32_t count = s.u32();
  if (count != names.size()) throw std::invalid_argument("import count mismatch");
  std::vector<uint8_t> body;
  put_u32(body, count);
  for (uint32_t i = 0; i < count; i++) {
    s.skip(s.u32());  // module name
    s.skip(s.u32());  // field name
    size_t desc = s.pos;
    switch (s.byte()) {
      case 0x00: s.u32(); break;  // function: type index
      case 0x01:
        s.byte();
        s.skip_limits();
        break;                            // table: reference type, limits
      case 0x02: s.skip_limits(); break;  // memory
      case 0x03: s.skip(2); break;        // global: value type, mutability
      default: throw std::invalid_argument("unknown import kind");
    }
    put_name(body, names[i].first);
    put_name(body, names[i].second);
    body.insert(body.end(), s.bytes.begin() + desc, s.bytes.begin() + s.pos);
  }
  return body;
}

// The export section's content with export e named names[e].
std::vector<uint8_t> renamed_exports(std::span<const uint8_t> content,
                                     const std::vector<std::string> &names) {
  Reader s{content};
  uint32_t count = s.u32();
  if (count != names.size()) throw std::invalid_argument("export count mismatch");
  std::vector<uint8_t> body;
  put_u32(body, count);
  for (uint32_t e = 0; e < count; e++) {
    s.skip(s.u32());  // name
    size_t desc = s.pos;
    s.byte();  // kind
    s.u32();   // index
    put_name(body, names[e]);
    body.insert(body.end(), s.bytes.begin() + desc, s.bytes.begin() + s.pos);
  }
  return body;
}

}  // namespace

std::vector<uint8_t> rename_imports(std::span<const uint8_t> wasm,
                                    const std::vector<std::pair<std::string, std::string>> &names) {
  std::vector<uint8_t> out = header_of(wasm);
  for (const Section &section : sections_of(wasm)) {
    if (section.id == kImportSection)
      put_section(out, kImportSection, renamed_imports(section.content, names));
    else
      copy_section(out, wasm, section);
  }
  return out;
}

std::vector<uint8_t> replace_names(std::span<const uint8_t> wasm, const ModuleNames &names) {
  std::vector<uint8_t> out = header_of(wasm);
  bool had_imports = false, had_exports = false;
  for (const Section &section : sections_of(wasm)) {
    switch (section.id) {
      case kCustomSection: break;
      case kImportSection:
        had_imports = true;
        put_section(out, kImportSection, renamed_imports(section.content, names.imports));
        break;
      case kExportSection:
        had_exports = true;
        put_section(out, kExportSection, renamed_exports(section.content, names.exports));
        break;
      default: copy_section(out, wasm, section);
    }
  }
  if ((!had_imports && !names.imports.empty()) || (!had_exports && !names.exports.empty()))
    throw std::invalid_argument("names for imports or exports the module does not have");
  return out;
}

std::vector<uint8_t> export_start_function(std::span<const uint8_t> wasm, std::string_view name) {
  std::vector<Section> sections = sections_of(wasm);
  std::optional<uint32_t> start_function;
  bool has_exports = false;
  for (const auto &s : sections) {
    if (s.id == kStartSection) start_function = Reader{s.content}.u32();
    has_exports = has_exports || s.id == kExportSection;
  }
  if (!start_function) throw std::invalid_argument("the module has no start section");
  // The new export entry, appended to the export section, or in a section
  // of its own where the start section was (exports come just before it).
  std::vector<uint8_t> entry;
  put_name(entry, name);
  entry.push_back(0x00);  // a function
  put_u32(entry, *start_function);
  std::vector<uint8_t> out = header_of(wasm);
  for (const auto &s : sections) {
    if (s.id == kExportSection) {
      put_section(out, kExportSection, append_entries(s.content, 1, entry));
    } else if (s.id == kStartSection) {
      if (!has_exports)
        put_section(out, kExportSection, append_entries(std::span<const uint8_t>(), 1, entry));
    } else {
      copy_section(out, wasm, s);
    }
  }
  return out;
}

namespace {

// Section ids in the order a module has them (custom sections, id 0, may
// come anywhere).
constexpr uint8_t kSectionOrder[] = {1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11};

int section_rank(uint8_t id) {
  for (int i = 0; i < static_cast<int>(sizeof kSectionOrder); i++)
    if (kSectionOrder[i] == id) return i;
  return -1;
}

constexpr uint8_t kTypeSection = 1;
constexpr uint8_t kFunctionSection = 3;
constexpr uint8_t kGlobalSection = 6;
constexpr uint8_t kCodeSection = 10;

}  // namespace

std::vector<uint8_t> bound_memory_grow(std::span<const uint8_t> wasm, const ModuleShape &shape,
                                       std::string_view max_pages_export) {
  const uint32_t hook_type = shape.types;
  const uint32_t hook_function =
      shape.imported_functions + static_cast<uint32_t>(shape.defined.size());
  const uint32_t max_pages_global = shape.globals;

  // What each section gets.
  std::vector<uint8_t> type_entry = {0x60, 0x01, 0x7f, 0x01, 0x7f};  // (i32) -> i32
  std::vector<uint8_t> function_entry;
  put_u32(function_entry, hook_type);
  // mut i32, i32.const 65536 (a signed LEB128), end
  std::vector<uint8_t> global_entry = {0x7f, 0x01, 0x41, 0x80, 0x80, 0x04, 0x0b};
  std::vector<uint8_t> export_entry;
  put_name(export_entry, max_pages_export);
  export_entry.push_back(0x03);  // a global
  put_u32(export_entry, max_pages_global);
  // (func (param $delta i32) (result i32)
  //   (if (result i32) (i64.gt_u (i64.add (i64.extend_i32_u (memory.size))
  //                                       (i64.extend_i32_u (local.get $delta)))
  //                              (i64.extend_i32_u (global.get $max_pages)))
  //     (then (i32.const -1)) (else (memory.grow (local.get $delta)))))
  std::vector<uint8_t> hook = {0x00, 0x3f, 0x00, 0xad, 0x20, 0x00, 0xad, 0x7c, 0x23};
  put_u32(hook, max_pages_global);
  hook.insert(hook.end(),
              {0xad, 0x56, 0x04, 0x7f, 0x41, 0x7f, 0x05, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x0b});
  std::vector<uint8_t> hook_entry;
  put_u32(hook_entry, static_cast<uint32_t>(hook.size()));
  hook_entry.insert(hook_entry.end(), hook.begin(), hook.end());
  std::vector<uint8_t> call = {0x10};
  put_u32(call, hook_function);

  // The code section: each body copied, its memory.grow sites replaced.
  auto code_body = [&](size_t content, size_t end) {
    std::vector<uint8_t> out;
    put_u32(out, static_cast<uint32_t>(shape.defined.size() + 1));
    auto site = shape.memory_grow_sites.begin();
    for (const auto &f : shape.defined) {
      size_t from = f.body_offset, to = size_t{f.body_offset} + f.body_bytes;
      if (from < content || to > end) throw std::invalid_argument("function body outside code");
      std::vector<uint8_t> body;
      for (; site != shape.memory_grow_sites.end() && *site < to; ++site) {
        if (*site < from || wasm[*site] != 0x40 || wasm[*site + 1] != 0x00)
          throw std::invalid_argument("not a memory.grow instruction");
        body.insert(body.end(), wasm.begin() + from, wasm.begin() + *site);
        body.insert(body.end(), call.begin(), call.end());
        from = *site + 2;
      }
      body.insert(body.end(), wasm.begin() + from, wasm.begin() + to);
      put_u32(out, static_cast<uint32_t>(body.size()));
      out.insert(out.end(), body.begin(), body.end());
    }
    out.insert(out.end(), hook_entry.begin(), hook_entry.end());
    return out;
  };

  std::vector<uint8_t> out = header_of(wasm);
  bool have_globals = false, have_exports = false;
  // Sections this edit adds when the module has none, before the first
  // section that must follow them.
  auto add_missing = [&](int rank_of_next) {
    if (!have_globals && rank_of_next > section_rank(kGlobalSection)) {
      put_section(out, kGlobalSection, append_entries({}, 1, global_entry));
      have_globals = true;
    }
    if (!have_exports && rank_of_next > section_rank(kExportSection)) {
      put_section(out, kExportSection, append_entries({}, 1, export_entry));
      have_exports = true;
    }
  };
  for (const Section &section : sections_of(wasm)) {
    if (section.id != 0) add_missing(section_rank(section.id));
    switch (section.id) {
      case kTypeSection:
      case kFunctionSection:
        put_section(out, section.id,
                    append_entries(section.content, 1,
                                   section.id == kTypeSection ? type_entry : function_entry));
        break;
      case kGlobalSection:
        put_section(out, section.id, append_entries(section.content, 1, global_entry));
        have_globals = true;
        break;
      case kExportSection:
        put_section(out, section.id, append_entries(section.content, 1, export_entry));
        have_exports = true;
        break;
      case kCodeSection:
        put_section(
            out, section.id,
            code_body(section.content_offset, section.content_offset + section.content.size()));
        break;
      default: copy_section(out, wasm, section);
    }
  }
  return out;
}

}  // namespace pgwasm::toolkit
