#include "engine/native/object_check.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace pgwasm::engine::native {

namespace {

#if defined(__x86_64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr uint16_t kHostMachine = EM_AARCH64;
#else
// No machine the native engine builds for: every object is refused.
constexpr uint16_t kHostMachine = EM_NONE;
#endif

// Bounds on what one object may hold, far above what a module's needs
// (about twenty dynamic entries, two libraries with versions), so that a
// crafted count cannot make the check itself slow.
constexpr uint64_t kMaxDynamicEntries = 4096;
constexpr uint64_t kMaxVersionEntries = 256;

struct Refused {
  std::string why;
};

[[noreturn]] void refuse(std::string why) {
  throw Refused{std::move(why)};
}

std::string hex(uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

// Names for the messages of the tags refused by name.
const char *dynamic_tag_name(int64_t tag) {
  switch (tag) {
    case DT_INIT: return "DT_INIT";
    case DT_FINI: return "DT_FINI";
    case DT_INIT_ARRAY: return "DT_INIT_ARRAY";
    case DT_FINI_ARRAY: return "DT_FINI_ARRAY";
    case DT_PREINIT_ARRAY: return "DT_PREINIT_ARRAY";
    case DT_INIT_ARRAYSZ: return "DT_INIT_ARRAYSZ";
    case DT_FINI_ARRAYSZ: return "DT_FINI_ARRAYSZ";
    case DT_PREINIT_ARRAYSZ: return "DT_PREINIT_ARRAYSZ";
    case DT_AUDIT: return "DT_AUDIT";
    case DT_DEPAUDIT: return "DT_DEPAUDIT";
    case DT_AUXILIARY: return "DT_AUXILIARY";
    case DT_FILTER: return "DT_FILTER";
    case DT_TEXTREL: return "DT_TEXTREL";
    case DT_SONAME: return "DT_SONAME";
    case DT_SYMBOLIC: return "DT_SYMBOLIC";
    case DT_REL: return "DT_REL";
    case DT_DEBUG: return "DT_DEBUG";
    case DT_VERDEF: return "DT_VERDEF";
    default: return nullptr;
  }
}

class Checker {
 public:
  Checker(std::span<const uint8_t> bytes, const ObjectRules &rules)
      : bytes_(bytes), rules_(rules) {}

  void check() {
    header();
    program_headers();
    section_headers();
    dynamic_section();
    symbols();
    hash_tables();
    versions();
    relocations(rela_, relasz_, "DT_RELA");
    relocations(jmprel_, pltrelsz_, "DT_JMPREL");
    relocation_sections();
  }

 private:
  // Whether `count` items of `size` bytes from `offset` lie in the file.
  bool fits(uint64_t offset, uint64_t count, uint64_t size) const {
    if (offset > bytes_.size()) return false;
    uint64_t room = bytes_.size() - offset;
    return size == 0 || count <= room / size;
  }

  template <class T>
  T read(uint64_t offset, const char *what) const {
    if (!fits(offset, 1, sizeof(T))) refuse(std::string(what) + " lies beyond the end of the file");
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof(T));
    return v;
  }

  void header() {
    if (bytes_.size() < EI_NIDENT || std::memcmp(bytes_.data(), ELFMAG, SELFMAG) != 0)
      refuse("it is not an ELF file");
    if (bytes_[EI_CLASS] != ELFCLASS64) refuse("it is not a 64-bit ELF file");
    if (bytes_[EI_DATA] != ELFDATA2LSB) refuse("it is not a little-endian ELF file");
    if (bytes_[EI_VERSION] != EV_CURRENT) refuse("its ELF version is unknown");
    eh_ = read<Elf64_Ehdr>(0, "the ELF header");
    if (eh_.e_type != ET_DYN) refuse("it is not a shared object (e_type " + hex(eh_.e_type) + ")");
    if (kHostMachine == EM_NONE || eh_.e_machine != kHostMachine)
      refuse("it is not for this machine (e_machine " + hex(eh_.e_machine) + ")");
    if (eh_.e_version != EV_CURRENT) refuse("its ELF version is unknown");
    if (eh_.e_ehsize != sizeof(Elf64_Ehdr)) refuse("its ELF header has an unexpected size");
  }

  // Where the file bytes of [vaddr, vaddr + size) are, as the loader maps
  // them: inside one PT_LOAD's file-backed part.
  uint64_t file_offset(uint64_t vaddr, uint64_t size, const char *what) const {
    for (const auto &p : loads_) {
      if (vaddr < p.p_vaddr) continue;
      uint64_t into = vaddr - p.p_vaddr;
      if (into > p.p_filesz || size > p.p_filesz - into) continue;
      return p.p_offset + into;  // p_offset + p_filesz was checked to fit
    }
    refuse(std::string(what) + " is not in a loaded segment of the file");
  }

  // The bytes from `vaddr` to the end of its PT_LOAD's file-backed part.
  uint64_t room_at(uint64_t vaddr) const {
    for (const auto &p : loads_)
      if (vaddr >= p.p_vaddr && vaddr - p.p_vaddr < p.p_filesz)
        return p.p_filesz - (vaddr - p.p_vaddr);
    return 0;
  }

  // Whether [vaddr, vaddr + size) is in the memory of a writable PT_LOAD.
  bool writable(uint64_t vaddr, uint64_t size) const {
    for (const auto &p : loads_) {
      if (!(p.p_flags & PF_W) || vaddr < p.p_vaddr) continue;
      uint64_t into = vaddr - p.p_vaddr;
      if (into <= p.p_memsz && size <= p.p_memsz - into) return true;
    }
    return false;
  }

  void program_headers() {
    if (eh_.e_phentsize != sizeof(Elf64_Phdr))
      refuse("its program headers have an unexpected size");
    if (eh_.e_phnum == 0 || eh_.e_phnum == PN_XNUM) refuse("it has no program headers");
    if (!fits(eh_.e_phoff, eh_.e_phnum, sizeof(Elf64_Phdr)))
      refuse("its program headers lie beyond the end of the file");
    bool stack = false;
    std::optional<Elf64_Phdr> dynamic;
    for (uint16_t i = 0; i < eh_.e_phnum; i++) {
      auto p = read<Elf64_Phdr>(eh_.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr), "a program header");
      switch (p.p_type) {
        case PT_LOAD:
          if ((p.p_flags & PF_W) && (p.p_flags & PF_X))
            refuse("it has a segment both writable and executable");
          if (!fits(p.p_offset, 1, p.p_filesz) || p.p_filesz > p.p_memsz ||
              p.p_memsz > std::numeric_limits<uint64_t>::max() - p.p_vaddr)
            refuse("a loaded segment lies beyond the end of the file");
          loads_.push_back(p);
          break;
        case PT_INTERP: refuse("it names a program interpreter (PT_INTERP)");
        case PT_GNU_STACK:
          if (p.p_flags & PF_X) refuse("it asks for an executable stack (PT_GNU_STACK)");
          stack = true;
          break;
        case PT_DYNAMIC:
          if (dynamic) refuse("it has two dynamic segments");
          dynamic = p;
          break;
        // What ld writes for a shared object beside those, none of which
        // runs anything: notes (the build id, GNU properties), the unwind
        // table's index, the range made read-only after relocation, and the
        // thread-local storage template.
        case PT_NOTE:
        case PT_GNU_PROPERTY:
        case PT_GNU_EH_FRAME:
        case PT_GNU_RELRO:
        case PT_TLS:
        case PT_PHDR:
        case PT_NULL: break;
        default: refuse("it has a program header of unexpected type " + hex(p.p_type));
      }
    }
    if (!stack) refuse("it does not say that its stack is not executable (no PT_GNU_STACK)");
    if (!dynamic) refuse("it has no dynamic segment");
    // The loader reads the dynamic section from memory: the file's bytes
    // there must be the ones read here.
    if (dynamic->p_filesz == 0 || dynamic->p_filesz % sizeof(Elf64_Dyn) != 0 ||
        file_offset(dynamic->p_vaddr, dynamic->p_filesz, "the dynamic segment") !=
            dynamic->p_offset)
      refuse("its dynamic segment is not where its loaded segments put it");
    dynamic_ = *dynamic;
  }

  void section_headers() {
    if (eh_.e_shnum == 0 || eh_.e_shoff == 0) refuse("it has no section headers");
    if (eh_.e_shentsize != sizeof(Elf64_Shdr))
      refuse("its section headers have an unexpected size");
    if (!fits(eh_.e_shoff, eh_.e_shnum, sizeof(Elf64_Shdr)))
      refuse("its section headers lie beyond the end of the file");
    for (uint16_t i = 0; i < eh_.e_shnum; i++) {
      auto s = read<Elf64_Shdr>(eh_.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), "a section header");
      if (s.sh_type != SHT_NOBITS && s.sh_type != SHT_NULL && !fits(s.sh_offset, 1, s.sh_size))
        refuse("section " + std::to_string(i) + " lies beyond the end of the file");
      sections_.push_back(s);
    }
  }

  // The string at `offset` in the dynamic string table.
  std::string_view dynamic_string(uint64_t offset, const char *what) const {
    if (offset >= strsz_) refuse(std::string(what) + " is not in the dynamic string table");
    const char *start = reinterpret_cast<const char *>(bytes_.data() + strtab_offset_ + offset);
    const void *end = std::memchr(start, '\0', strsz_ - offset);
    if (!end) refuse(std::string(what) + " does not end in the dynamic string table");
    return std::string_view(start, static_cast<const char *>(end) - start);
  }

  void dynamic_section() {
    uint64_t count = dynamic_.p_filesz / sizeof(Elf64_Dyn);
    if (count > kMaxDynamicEntries) refuse("its dynamic section is too long");
    std::vector<Elf64_Dyn> entries;
    bool ended = false;
    std::optional<uint64_t> strtab, strsz, symtab, syment, relaent, pltrel;
    for (uint64_t i = 0; i < count && !ended; i++) {
      auto d = read<Elf64_Dyn>(dynamic_.p_offset + i * sizeof(Elf64_Dyn), "a dynamic entry");
      uint64_t v = d.d_un.d_val;
      auto once = [&](std::optional<uint64_t> &slot) {
        if (slot) refuse("its dynamic section has a tag twice (" + hex(d.d_tag) + ")");
        slot = v;
      };
      switch (d.d_tag) {
        case DT_NULL: ended = true; break;
        // Code the loader runs when it maps or unmaps the object, and other
        // libraries it would load first or instead: refused whatever their
        // value. So are relocations of read-only code.
        case DT_INIT:
        case DT_FINI:
        case DT_INIT_ARRAY:
        case DT_FINI_ARRAY:
        case DT_PREINIT_ARRAY:
        case DT_AUDIT:
        case DT_DEPAUDIT:
        case DT_AUXILIARY:
        case DT_FILTER:
          refuse(std::string("its dynamic section has ") + dynamic_tag_name(d.d_tag) +
                 " (code or libraries the loader would run or map)");
        case DT_TEXTREL: refuse("its dynamic section has DT_TEXTREL (relocations of its code)");
        case DT_INIT_ARRAYSZ:
        case DT_FINI_ARRAYSZ:
        case DT_PREINIT_ARRAYSZ:
          if (v != 0)
            refuse(std::string("its dynamic section has ") + dynamic_tag_name(d.d_tag) +
                   " (constructors or destructors the loader would run)");
          break;
        // The libraries it needs and where to find them: checked below,
        // once the string table is known.
        case DT_NEEDED:
        case DT_RUNPATH:
        case DT_RPATH: entries.push_back(d); break;
        // The symbol table, its hash tables and strings: what lets the
        // loader bind the imports and dlsym find the entry point.
        case DT_STRTAB: once(strtab); break;
        case DT_STRSZ: once(strsz); break;
        case DT_SYMTAB: once(symtab); break;
        case DT_SYMENT: once(syment); break;
        case DT_GNU_HASH: once(gnu_hash_); break;
        case DT_HASH: once(hash_); break;
        // The relocations (checked one by one below) and the PLT's GOT.
        case DT_RELA: once(rela_); break;
        case DT_RELASZ: once(relasz_); break;
        case DT_RELAENT: once(relaent); break;
        case DT_JMPREL: once(jmprel_); break;
        case DT_PLTRELSZ: once(pltrelsz_); break;
        case DT_PLTREL: once(pltrel); break;
        case DT_RELACOUNT:  // how many of DT_RELA are relative: a hint
        case DT_PLTGOT:     // the GOT the PLT stubs use
          break;
        // Symbol versions of the imports (libc's GLIBC_2.x): checked below.
        case DT_VERSYM: once(versym_); break;
        case DT_VERNEED: once(verneed_); break;
        case DT_VERNEEDNUM: once(verneednum_); break;
        // How to bind: eagerly with -z now (a host's hardening flags) and
        // $ORIGIN in the run path; flags that run nothing.
        case DT_BIND_NOW: break;
        case DT_FLAGS:
          if (v & DF_TEXTREL)
            refuse("its dynamic section has DF_TEXTREL (relocations of its code)");
          if (v & ~uint64_t{DF_ORIGIN | DF_BIND_NOW | DF_STATIC_TLS})
            refuse("its dynamic section has unexpected DT_FLAGS " + hex(v));
          break;
        case DT_FLAGS_1:
          if (v & ~uint64_t{DF_1_NOW | DF_1_ORIGIN | DF_1_NODELETE})
            refuse("its dynamic section has unexpected DT_FLAGS_1 " + hex(v));
          break;
#if defined(__aarch64__)
        // The PLT's stubs use branch target identification or pointer
        // authentication, or a function called through it takes vector
        // arguments (-mbranch-protection, SVE): how the loader lays out
        // the PLT, nothing it runs.
        case DT_AARCH64_BTI_PLT:
        case DT_AARCH64_PAC_PLT:
        case DT_AARCH64_VARIANT_PCS: break;
#endif
        default: {
          const char *name = dynamic_tag_name(d.d_tag);
          refuse("its dynamic section has a tag not allowed: " +
                 (name ? std::string(name) : hex(static_cast<uint64_t>(d.d_tag))));
        }
      }
    }
    if (!ended) refuse("its dynamic section does not end (no DT_NULL)");
    if (!strtab || !strsz || !symtab) refuse("its dynamic section has no symbol table");
    if (syment && *syment != sizeof(Elf64_Sym)) refuse("its DT_SYMENT is unexpected");
    if (relaent && *relaent != sizeof(Elf64_Rela)) refuse("its DT_RELAENT is unexpected");
    if (pltrel && *pltrel != DT_RELA) refuse("its DT_PLTREL is not DT_RELA");
    if (rela_.has_value() != relasz_.has_value()) refuse("its DT_RELA has no size or no address");
    if (jmprel_.has_value() != pltrelsz_.has_value())
      refuse("its DT_JMPREL has no size or no address");
    if (jmprel_ && !pltrel) refuse("its DT_JMPREL has no DT_PLTREL");
    if (!gnu_hash_ && !hash_) refuse("it has no symbol hash table");
    strsz_ = *strsz;
    strtab_offset_ = file_offset(*strtab, strsz_, "the dynamic string table");
    symtab_ = *symtab;
    needed_.clear();
    for (const auto &d : entries) {
      if (d.d_tag == DT_NEEDED) {
        std::string_view name = dynamic_string(d.d_un.d_val, "a DT_NEEDED name");
        if (std::find(rules_.allowed_needed.begin(), rules_.allowed_needed.end(), name) ==
            rules_.allowed_needed.end())
          refuse("it needs a library not allowed: " + std::string(name));
        needed_.emplace_back(name);
      } else {
        std::string_view path = dynamic_string(d.d_un.d_val, "its run path");
        if (std::find(rules_.allowed_runpaths.begin(), rules_.allowed_runpaths.end(), path) ==
            rules_.allowed_runpaths.end())
          refuse("its run path is not allowed: " + std::string(path));
      }
    }
  }

  // The dynamic symbol table: the loader has no count of it but the hash
  // tables, so its section header gives it, checked to be where
  // DT_SYMTAB says.
  void symbols() {
    const Elf64_Shdr *dynsym = nullptr;
    for (const auto &s : sections_)
      if (s.sh_type == SHT_DYNSYM) {
        if (dynsym) refuse("it has two dynamic symbol tables");
        dynsym = &s;
      }
    if (!dynsym) refuse("it has no dynamic symbol table section");
    if (dynsym->sh_entsize != sizeof(Elf64_Sym) || dynsym->sh_size % sizeof(Elf64_Sym) != 0 ||
        dynsym->sh_size == 0)
      refuse("its dynamic symbol table has an unexpected entry size");
    nsyms_ = dynsym->sh_size / sizeof(Elf64_Sym);
    if (dynsym->sh_addr != symtab_ ||
        file_offset(symtab_, dynsym->sh_size, "the dynamic symbol table") != dynsym->sh_offset)
      refuse("its dynamic symbol table section is not where DT_SYMTAB says");
    for (uint64_t i = 1; i < nsyms_; i++) {
      auto sym = read<Elf64_Sym>(dynsym->sh_offset + i * sizeof(Elf64_Sym), "a dynamic symbol");
      std::string_view name = dynamic_string(sym.st_name, "a dynamic symbol's name");
      unsigned type = ELF64_ST_TYPE(sym.st_info), bind = ELF64_ST_BIND(sym.st_info);
      if (type == STT_GNU_IFUNC)
        refuse("its symbol " + std::string(name) +
               " is an indirect function (STT_GNU_IFUNC: its resolver runs at load)");
      if (bind == STB_LOCAL) continue;
      if (sym.st_shndx == SHN_UNDEF) {
        bool allowed = std::find(rules_.allowed_imports.begin(), rules_.allowed_imports.end(),
                                 name) != rules_.allowed_imports.end();
        for (const auto &prefix : rules_.allowed_import_prefixes)
          allowed = allowed || (name.size() > prefix.size() && name.starts_with(prefix));
        if (!allowed) refuse("it imports a symbol not allowed: " + std::string(name));
        continue;
      }
      unsigned visibility = ELF64_ST_VISIBILITY(sym.st_other);
      // Default and protected symbols are both found by others.
      if (visibility != STV_DEFAULT && visibility != STV_PROTECTED) continue;
      if (std::find(rules_.allowed_exports.begin(), rules_.allowed_exports.end(), name) ==
          rules_.allowed_exports.end())
        refuse("it exports a symbol not allowed: " + std::string(name));
    }
  }

  uint32_t word(uint64_t &offset, uint64_t &room, const char *what) const {
    if (room < 4) refuse(std::string(what) + " runs past its segment");
    auto v = read<uint32_t>(offset, what);
    offset += 4;
    room -= 4;
    return v;
  }

  // The hash tables are how the loader and dlsym find a symbol by name:
  // every symbol they can reach must be one checked above.
  void hash_tables() {
    if (gnu_hash_) {
      uint64_t room = room_at(*gnu_hash_);
      uint64_t at = file_offset(*gnu_hash_, std::min<uint64_t>(room, 16), "DT_GNU_HASH");
      uint32_t nbuckets = word(at, room, "DT_GNU_HASH");
      uint32_t symoffset = word(at, room, "DT_GNU_HASH");
      uint32_t bloom_size = word(at, room, "DT_GNU_HASH");
      uint32_t bloom_shift = word(at, room, "DT_GNU_HASH");
      if (nbuckets == 0 || bloom_size == 0) refuse("its DT_GNU_HASH is empty");
      if (bloom_shift >= 32) refuse("its DT_GNU_HASH has a bloom filter shift out of range");
      if (symoffset > nsyms_) refuse("its DT_GNU_HASH starts past the symbol table");
      if (uint64_t{bloom_size} * 8 > room) refuse("DT_GNU_HASH runs past its segment");
      at += uint64_t{bloom_size} * 8;
      room -= uint64_t{bloom_size} * 8;
      uint64_t last_start = 0;
      for (uint32_t b = 0; b < nbuckets; b++) {
        uint32_t start = word(at, room, "DT_GNU_HASH");
        if (start == 0) continue;
        if (start < symoffset || start >= nsyms_)
          refuse("its DT_GNU_HASH names a symbol outside the symbol table");
        last_start = std::max<uint64_t>(last_start, start);
      }
      // Chains are runs of symbols, each ended by a set low bit: the one
      // from the last start goes farthest.
      if (last_start != 0) {
        uint64_t chain_at = at, chain_room = room;
        uint64_t skip = (last_start - symoffset) * 4;
        if (skip > chain_room) refuse("DT_GNU_HASH runs past its segment");
        chain_at += skip;
        chain_room -= skip;
        for (uint64_t i = last_start;; i++) {
          if (i >= nsyms_) refuse("its DT_GNU_HASH names a symbol outside the symbol table");
          if (word(chain_at, chain_room, "DT_GNU_HASH") & 1) break;
        }
      }
    }
    if (hash_) {
      uint64_t room = room_at(*hash_);
      uint64_t at = file_offset(*hash_, std::min<uint64_t>(room, 8), "DT_HASH");
      uint32_t nbucket = word(at, room, "DT_HASH");
      uint32_t nchain = word(at, room, "DT_HASH");
      if (nbucket == 0) refuse("its DT_HASH is empty");
      if (nchain > nsyms_) refuse("its DT_HASH names more symbols than its symbol table has");
      for (uint64_t i = 0; i < uint64_t{nbucket} + nchain; i++)
        if (word(at, room, "DT_HASH") >= nchain)
          refuse("its DT_HASH names a symbol outside the symbol table");
    }
  }

  // The loader reads the versions each needed library must define (and
  // asserts that the library is one of the object's DT_NEEDED), then a
  // version index per symbol, into a table as long as the largest index
  // the versions gave.
  void versions() {
    if (verneed_.has_value() != verneednum_.has_value())
      refuse("its DT_VERNEED has no count or no address");
    uint16_t max_index = 1;  // 0 and 1: local and global, no version
    if (verneed_) max_index = std::max(max_index, needed_versions());
    if (!versym_) return;
    uint64_t at = file_offset(*versym_, nsyms_ * sizeof(Elf64_Half), "DT_VERSYM");
    for (uint64_t i = 0; i < nsyms_; i++)
      if ((read<Elf64_Half>(at + i * sizeof(Elf64_Half), "DT_VERSYM") & 0x7fff) > max_index)
        refuse("its DT_VERSYM names a version it does not define or need");
  }

  // The largest version index DT_VERNEED gives.
  uint16_t needed_versions() {
    uint16_t max_index = 0;
    if (*verneednum_ > kMaxVersionEntries) refuse("its DT_VERNEEDNUM is too large");
    uint64_t addr = *verneed_;
    for (uint64_t n = 0; n < *verneednum_; n++) {
      auto need =
          read<Elf64_Verneed>(file_offset(addr, sizeof(Elf64_Verneed), "DT_VERNEED"), "DT_VERNEED");
      if (need.vn_version != VER_NEED_CURRENT) refuse("its DT_VERNEED has an unknown version");
      std::string_view file = dynamic_string(need.vn_file, "a DT_VERNEED file name");
      if (std::find(needed_.begin(), needed_.end(), file) == needed_.end())
        refuse("its DT_VERNEED names a library it does not need: " + std::string(file));
      if (need.vn_cnt > kMaxVersionEntries) refuse("its DT_VERNEED has too many versions");
      uint64_t aux = addr + need.vn_aux;
      for (uint16_t k = 0; k < need.vn_cnt; k++) {
        if (aux < addr) refuse("its DT_VERNEED is out of bounds");
        auto a = read<Elf64_Vernaux>(file_offset(aux, sizeof(Elf64_Vernaux), "DT_VERNEED"),
                                     "DT_VERNEED");
        dynamic_string(a.vna_name, "a version name");
        max_index = std::max<uint16_t>(max_index, a.vna_other & 0x7fff);
        aux += a.vna_next;
      }
      if (need.vn_next == 0) {
        if (n + 1 != *verneednum_) refuse("its DT_VERNEED has fewer entries than DT_VERNEEDNUM");
        break;
      }
      if (addr + need.vn_next < addr) refuse("its DT_VERNEED is out of bounds");
      addr += need.vn_next;
    }
    return max_index;
  }

  // Every relocation the loader applies: of a type that runs nothing, to a
  // symbol of the table, into writable memory of the object.
  void relocations(std::optional<uint64_t> addr, std::optional<uint64_t> size, const char *what) {
    if (!addr) return;
    if (*size % sizeof(Elf64_Rela) != 0) refuse(std::string(what) + " has a partial entry");
    uint64_t at = file_offset(*addr, *size, what);
    for (uint64_t i = 0; i < *size / sizeof(Elf64_Rela); i++) {
      auto r = read<Elf64_Rela>(at + i * sizeof(Elf64_Rela), what);
      relocation(r, what);
      if (ELF64_R_SYM(r.r_info) >= nsyms_)
        refuse(std::string(what) + " names a symbol outside the symbol table");
      // (Type 0, R_*_NONE, writes nothing.)
      if (ELF64_R_TYPE(r.r_info) != 0 && !writable(r.r_offset, 8))
        refuse(std::string(what) + " relocates memory that is not writable data of the object");
    }
  }

  static void relocation(const Elf64_Rela &r, const std::string &what) {
    uint32_t type = ELF64_R_TYPE(r.r_info);
#if defined(__x86_64__)
    if (type == R_X86_64_IRELATIVE)
      refuse(what + " has an R_X86_64_IRELATIVE relocation (its resolver runs at load)");
    // Addresses, GOT and PLT slots, and thread-local offsets: values the
    // loader computes itself.
    switch (type) {
      case R_X86_64_NONE:
      case R_X86_64_64:
      case R_X86_64_GLOB_DAT:
      case R_X86_64_JUMP_SLOT:
      case R_X86_64_RELATIVE:
      case R_X86_64_DTPMOD64:
      case R_X86_64_DTPOFF64:
      case R_X86_64_TPOFF64: return;
    }
#elif defined(__aarch64__)
    if (type == R_AARCH64_IRELATIVE)
      refuse(what + " has an R_AARCH64_IRELATIVE relocation (its resolver runs at load)");
    switch (type) {
      case R_AARCH64_NONE:
      case R_AARCH64_ABS64:
      case R_AARCH64_GLOB_DAT:
      case R_AARCH64_JUMP_SLOT:
      case R_AARCH64_RELATIVE:
      case R_AARCH64_TLS_DTPMOD:
      case R_AARCH64_TLS_DTPREL:
      case R_AARCH64_TLS_TPREL:
      case R_AARCH64_TLSDESC: return;
    }
#endif
    refuse(what + " has a relocation of unexpected type " + std::to_string(type));
  }

  // The relocation sections (.rela.dyn, .rela.plt) are what DT_RELA and
  // DT_JMPREL point to; any other is looked at too. Array sections of
  // constructors are refused even where no dynamic tag points to them.
  void relocation_sections() {
    for (const auto &s : sections_) {
      if (s.sh_type == SHT_INIT_ARRAY || s.sh_type == SHT_FINI_ARRAY ||
          s.sh_type == SHT_PREINIT_ARRAY) {
        if (s.sh_size != 0) refuse("it has a section of constructors or destructors");
        continue;
      }
      if (s.sh_type == SHT_REL) refuse("it has a REL relocation section");
      if (s.sh_type != SHT_RELA) continue;
      if (s.sh_entsize != sizeof(Elf64_Rela) || s.sh_size % sizeof(Elf64_Rela) != 0)
        refuse("a relocation section has an unexpected entry size");
      for (uint64_t i = 0; i < s.sh_size / sizeof(Elf64_Rela); i++)
        relocation(read<Elf64_Rela>(s.sh_offset + i * sizeof(Elf64_Rela), "a relocation"),
                   "a relocation section");
    }
  }

  std::span<const uint8_t> bytes_;
  const ObjectRules &rules_;
  Elf64_Ehdr eh_{};
  std::vector<Elf64_Phdr> loads_;
  Elf64_Phdr dynamic_{};
  std::vector<Elf64_Shdr> sections_;
  std::vector<std::string> needed_;
  uint64_t strtab_offset_ = 0, strsz_ = 0, symtab_ = 0, nsyms_ = 0;
  std::optional<uint64_t> gnu_hash_, hash_, rela_, relasz_, jmprel_, pltrelsz_, versym_, verneed_,
      verneednum_;
};

}  // namespace

ObjectRules module_object_rules(std::string_view runtime_file_name) {
  ObjectRules rules;
  rules.allowed_needed = {"libc.so.6", "libm.so.6", std::string(runtime_file_name)};
  rules.allowed_runpaths = {"$ORIGIN/.."};
  // What wasm2c 1.0.32's code and the glue (c_glue.cc) call outside the
  // runtime, compiled as build.cc does (collected over the spec suite's
  // modules; gcc inlines some at -O2 or on AArch64 and calls others):
  rules.allowed_imports = {// memory.copy, memory.fill, data segments, the glue's copies.
                           "memcpy", "memmove", "memset",
                           // The float operators (canonical NaNs first, then libm), rounding
                           // and square roots; -fsignaling-nans makes glibc's isnan a call.
                           "__isnan", "__isnanf", "floor", "floorf", "ceil", "ceilf", "trunc",
                           "truncf", "nearbyint", "nearbyintf", "fabs", "fabsf", "sqrt", "sqrtf",
                           // The asserts of the module's initialisation.
                           "__assert_fail",
                           // wasm_rt_try (setjmp, not sigsetjmp: WASM_RT_MEMCHECK_SIGNAL_HANDLER
                           // is 0), where a trap lands.
                           "_setjmp"};
  // The runtime's functions and its wasm_rt_jmp_buf.
  rules.allowed_import_prefixes = {"wasm_rt_"};
  rules.allowed_exports = {"pgw_native_module_v1"};
  return rules;
}

std::optional<std::string> object_refusal(std::span<const uint8_t> elf_bytes,
                                          const ObjectRules &rules) {
  try {
    Checker(elf_bytes, rules).check();
    return std::nullopt;
  } catch (const Refused &r) {
    return r.why;
  }
}

}  // namespace pgwasm::engine::native
