#include "toolkit/binary_edit.h"

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

}  // namespace

std::vector<uint8_t> rename_imports(std::span<const uint8_t> wasm,
                                    const std::vector<std::pair<std::string, std::string>> &names) {
  Reader r{wasm};
  r.skip(8);  // magic and version
  std::vector<uint8_t> out(wasm.begin(), wasm.begin() + 8);
  while (r.pos < wasm.size()) {
    size_t section_start = r.pos;
    uint8_t id = r.byte();
    uint32_t size = r.u32();
    size_t content = r.pos;
    r.skip(size);
    if (id != kImportSection) {
      out.insert(out.end(), wasm.begin() + section_start, wasm.begin() + r.pos);
      continue;
    }
    Reader s{wasm.subspan(content, size)};
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
    out.push_back(kImportSection);
    put_u32(out, static_cast<uint32_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

std::vector<uint8_t> export_start_function(std::span<const uint8_t> wasm, std::string_view name) {
  Reader r{wasm};
  r.skip(8);  // magic and version
  std::vector<uint8_t> out(wasm.begin(), wasm.begin() + 8);
  struct Section {
    uint8_t id;
    size_t start, content, end;
  };
  std::vector<Section> sections;
  while (r.pos < wasm.size()) {
    size_t start = r.pos;
    uint8_t id = r.byte();
    uint32_t size = r.u32();
    size_t content = r.pos;
    r.skip(size);
    sections.push_back({id, start, content, r.pos});
  }
  uint32_t start_function = 0;
  bool found = false;
  for (const auto &s : sections)
    if (s.id == kStartSection) {
      Reader c{wasm.subspan(s.content, s.end - s.content)};
      start_function = c.u32();
      found = true;
    }
  if (!found) throw std::invalid_argument("the module has no start section");
  // The new export entry, appended to the export section, or in a section
  // of its own where the start section was (exports come just before it).
  std::vector<uint8_t> entry;
  put_name(entry, name);
  entry.push_back(0x00);  // a function
  put_u32(entry, start_function);
  bool has_exports = false;
  for (const auto &s : sections) has_exports = has_exports || s.id == kExportSection;
  for (const auto &s : sections) {
    if (s.id == kExportSection) {
      Reader c{wasm.subspan(s.content, s.end - s.content)};
      uint32_t count = c.u32();
      std::vector<uint8_t> body;
      put_u32(body, count + 1);
      body.insert(body.end(), wasm.begin() + s.content + c.pos, wasm.begin() + s.end);
      body.insert(body.end(), entry.begin(), entry.end());
      put_section(out, kExportSection, body);
    } else if (s.id == kStartSection) {
      if (has_exports) continue;
      std::vector<uint8_t> body;
      put_u32(body, 1);
      body.insert(body.end(), entry.begin(), entry.end());
      put_section(out, kExportSection, body);
    } else {
      out.insert(out.end(), wasm.begin() + s.start, wasm.begin() + s.end);
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

// A vector section's body with `extra` entries appended.
std::vector<uint8_t> append_entries(std::span<const uint8_t> body, uint32_t count,
                                    const std::vector<uint8_t> &entries) {
  Reader r{body};
  uint32_t had = r.u32();
  std::vector<uint8_t> out;
  put_u32(out, had + count);
  out.insert(out.end(), body.begin() + r.pos, body.end());
  out.insert(out.end(), entries.begin(), entries.end());
  return out;
}

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

  Reader r{wasm};
  r.skip(8);
  std::vector<uint8_t> out(wasm.begin(), wasm.begin() + 8);
  bool have_globals = false, have_exports = false;
  // Sections this edit adds when the module has none, before the first
  // section that must follow them.
  auto add_missing = [&](int rank_of_next) {
    if (!have_globals && rank_of_next > section_rank(kGlobalSection)) {
      std::vector<uint8_t> body = {0x01};
      body.insert(body.end(), global_entry.begin(), global_entry.end());
      put_section(out, kGlobalSection, body);
      have_globals = true;
    }
    if (!have_exports && rank_of_next > section_rank(kExportSection)) {
      std::vector<uint8_t> body = {0x01};
      body.insert(body.end(), export_entry.begin(), export_entry.end());
      put_section(out, kExportSection, body);
      have_exports = true;
    }
  };
  while (r.pos < wasm.size()) {
    size_t start = r.pos;
    uint8_t id = r.byte();
    uint32_t size = r.u32();
    size_t content = r.pos;
    r.skip(size);
    auto body = wasm.subspan(content, size);
    if (id != 0) add_missing(section_rank(id));
    switch (id) {
      case kTypeSection: put_section(out, id, append_entries(body, 1, type_entry)); break;
      case kFunctionSection: put_section(out, id, append_entries(body, 1, function_entry)); break;
      case kGlobalSection:
        put_section(out, id, append_entries(body, 1, global_entry));
        have_globals = true;
        break;
      case kExportSection:
        put_section(out, id, append_entries(body, 1, export_entry));
        have_exports = true;
        break;
      case kCodeSection: put_section(out, id, code_body(content, r.pos)); break;
      default: out.insert(out.end(), wasm.begin() + start, wasm.begin() + r.pos);
    }
  }
  return out;
}

}  // namespace pgwasm::toolkit
