// Where the native engine keeps what it built, shared by every process
// that uses the same cache directory:
//
//   <cache>/<module>/<variant>-<key>.so    the shared object
//   <cache>/<module>/<variant>-<key>.lock  held while it is built
//   <cache>/<module>/<variant>-<key>.err   why its last build failed
//
// The key hashes what was translated (the module as instrumented) and the
// toolchain; the variant names the instrumentation (plain, fuel...), so that
// a build for a new toolchain replaces the old one of its variant. One
// directory per module makes removing a dropped module's builds one call.
// Names are hashes cut short (<module>: 96 bits of the module's sha256,
// <key>: 128 bits): pg_basebackup's tar format takes paths of at most 99
// bytes below the data directory.
//
// A shared object ends with a trailer holding the sha256 of everything
// before it: a truncated or damaged file is found before dlopen maps it
// (mapping a file cut short faults when its missing pages are touched).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pgwasm::engine::native {

// The hex sha256 of `a`, or of `a` NUL `b` when `b` is given.
std::string sha256_hex(std::span<const uint8_t> a, std::optional<std::string_view> b = {});

class ArtifactPaths {
 public:
  ArtifactPaths(const std::string &cache_dir, std::string_view module_sha256,
                std::string_view variant, std::string_view key);
  // The paths of the build whose shared object is `object` (object()).
  explicit ArtifactPaths(const std::string &object);
  const std::string &dir() const { return dir_; }
  const std::string &object() const { return object_; }
  const std::string &lock() const { return lock_; }
  const std::string &failed() const { return failed_; }
  // Other builds of this module and variant (for another toolchain): gone.
  void remove_stale() const;

 private:
  std::string dir_, stem_, object_, lock_, failed_;
};

// An exclusive lock on a build, held by one process at a time (flock: it
// dies with its holder, so a killed builder leaves no stale lock).
class BuildLock {
 public:
  // Waits for the lock, polling `should_stop` (then throws Interrupted).
  BuildLock(const std::string &path, const std::function<bool()> &should_stop);
  ~BuildLock();
  BuildLock(const BuildLock &) = delete;
  BuildLock &operator=(const BuildLock &) = delete;

  // Whether another process holds the lock at `path` now.
  static bool held_elsewhere(const std::string &path);

 private:
  int fd_ = -1;
};

// Appends the checksum trailer to a freshly built shared object.
void seal(const std::string &path);
// Whether the file is a sealed shared object whose bytes match its trailer.
bool intact(const std::string &path);

// The reason the last build failed, if one did; recorded and cleared.
std::optional<std::string> read_failure(const ArtifactPaths &paths);
void record_failure(const ArtifactPaths &paths, std::string_view why);
void clear_failure(const ArtifactPaths &paths);

// The directory name of a module's builds.
std::string module_dir_name(std::string_view module_sha256);

// Removes every build of a module (its directory).
void remove_module_builds(const std::string &cache_dir, std::string_view module_sha256);

}  // namespace pgwasm::engine::native
