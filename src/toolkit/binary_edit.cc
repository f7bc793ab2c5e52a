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

}  // namespace pgwasm::toolkit
