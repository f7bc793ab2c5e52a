// What the engines made of a module, kept on disk for every backend of the
// server (docs/engines.md, "Shared caches"): the module's facts as the
// toolkit read and validated them, the module as an engine rewrote it, V8's
// compiled code. One directory per module code in the database's cache
// directory, beside the native engine's builds of the same code, so that
// dropping or replacing a module removes them all.
//
// The files are written only by the server's OS user, and still never
// trusted: each is sealed with an HMAC-SHA-256 under a secret of the
// cluster's (a file only that user can read) over the module's sha256, the
// key and the bytes. An entry that is cut short, damaged, made for another
// module or key, made by another cluster, or not the server's own file
// reads as missing and is made again.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"

namespace pgwasm::pg {

class ModuleArtifactStore final : public engine::ArtifactStore {
 public:
  // The store of the code with this sha256 (hex) in this database's cache
  // directory; one that keeps nothing where that directory cannot be made.
  explicit ModuleArtifactStore(std::string_view module_sha256);

  std::optional<std::vector<uint8_t>> load(std::string_view key) override;
  void save(std::string_view key, std::span<const uint8_t> bytes) override;

  // Every entry there, each checked now (wasm.module_cache()).
  struct Entry {
    std::string key;
    uint64_t bytes = 0;  // of the file
    bool intact = false;
  };
  std::vector<Entry> entries() const;

 private:
  std::optional<std::vector<uint8_t>> read_entry(const std::string &key, bool quiet) const;
  std::string dir_;
  std::string module_digest_;  // the 32 bytes of the module's sha256
};

// What this session's stores found, for tests and wasm.cache_stats().
struct ArtifactCounts {
  uint64_t hits = 0;      // entries read intact
  uint64_t misses = 0;    // no entry
  uint64_t rejected = 0;  // entries there but not intact: made again
  uint64_t saved = 0;
};
const ArtifactCounts &artifact_counts();

}  // namespace pgwasm::pg
