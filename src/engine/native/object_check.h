// The inspection of a module's shared object before it is mapped: a second
// line of defence, independent of what went into the build, that refuses
// any object which could run code of its own when dlopen loads it (init and
// fini functions, ifunc resolvers, an interpreter, an audit library), which
// needs a library or a symbol the build never uses, exports anything but the
// module's entry point, or maps memory both writable and executable.
//
// The bytes are untrusted: every offset, size and count read is checked
// against the file, and a file that is cut short, crafted or of another
// machine is refused, never read out of bounds. The checker reads what the
// dynamic loader reads (the program headers and the dynamic segment) and
// takes from the section headers only what the loader has no count for (the
// number of dynamic symbols), after checking that they agree.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgwasm::engine::native {

struct ObjectRules {
  // What DT_NEEDED may name (exact file names).
  std::vector<std::string> allowed_needed;
  // What DT_RUNPATH and DT_RPATH may say (exact); none when empty.
  std::vector<std::string> allowed_runpaths;
  // The undefined dynamic symbols the object may import: exact names, and
  // names that start with one of the prefixes.
  std::vector<std::string> allowed_imports;
  std::vector<std::string> allowed_import_prefixes;
  // The symbols it may define for others to find (exact names).
  std::vector<std::string> allowed_exports;
};

// The rules for a module's object as build.cc links it: libc, libm and the
// runtime `runtime_file_name` (found through $ORIGIN/..), the functions
// wasm2c's code and the glue call, and the one entry point.
ObjectRules module_object_rules(std::string_view runtime_file_name);

// Why the ELF shared object `elf_bytes` is refused under `rules`, or nothing
// when it may be loaded. Trailing bytes after what the ELF headers describe
// (the seal of artifact_cache.h) are ignored.
std::optional<std::string> object_refusal(std::span<const uint8_t> elf_bytes,
                                          const ObjectRules &rules);

}  // namespace pgwasm::engine::native
