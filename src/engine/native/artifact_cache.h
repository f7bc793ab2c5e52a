// Where the native engine keeps what it built, shared by every process
// that uses the same cache directory:
//
//   <cache>/<module>/<variant>-<key>.so    the shared object
//   <cache>/<module>/<variant>-<key>.lock  held while it is built
//   <cache>/<module>/<variant>-<key>.err   why its last build failed
//   <cache>/<module>/removed               the module's builds were removed
//                                          while some were in flight
//
// Every build of a module holds a shared lock on its directory for as long
// as it runs; a removal takes it exclusively, or leaves the mark for the
// last build in flight, which removes the directory when it ends.
//
// The key hashes what was translated (the module as instrumented) and the
// toolchain; the variant names the instrumentation (plain, fuel...), so that
// a build for a new toolchain replaces the old one of its variant. One
// directory per module makes removing a dropped module's builds one call,
// and one that waits for no build. Names are hashes cut short (<module>: 96 bits of the module's
// sha256, <key>: 128 bits): pg_basebackup's tar format takes paths of at most 99 bytes below the
// data directory.
//
// A shared object ends with a trailer holding the sha256 of everything
// before it: a truncated or damaged file is found before dlopen maps it
// (mapping a file cut short faults when its missing pages are touched).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "toolkit/sha256.h"

namespace pgwasm::engine::native {

// Digests of code and of what it was built with.
using toolkit::sha256_hex;

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
  const std::string &removed() const { return removed_; }
  // Other builds of this module and variant (for another toolchain): gone.
  void remove_stale() const;

 private:
  std::string dir_, stem_, object_, lock_, failed_, removed_;
};

// A lock on a file, shared or exclusive (flock: it dies with its holder, so
// a killed builder leaves no stale lock).
class FileLock {
 public:
  enum class Mode { Shared, Exclusive };
  // Waits for the lock, polling `should_stop` (then throws Interrupted).
  FileLock(const std::string &path, Mode mode, const std::function<bool()> &should_stop);
  // The lock, if it can be had now.
  static std::optional<FileLock> try_lock(const std::string &path, Mode mode);
  ~FileLock();
  FileLock(FileLock &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock &operator=(FileLock &&) = delete;
  FileLock(const FileLock &) = delete;
  FileLock &operator=(const FileLock &) = delete;

  // Whether another process holds an exclusive lock at `path` now.
  static bool held_elsewhere(const std::string &path);

  // A shared lock on the module's directory, made if need be, for a build
  // of it (waits while a removal holds it, polling `should_stop`).
  static FileLock building(const ArtifactPaths &paths, const std::function<bool()> &should_stop);

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// One of `count` build slots in `slots_dir`: every process that builds with
// that directory holds one while it builds, so at most `count` builds run
// at once (a build's memory and time are bounded, and so is their sum).
// Waits for a free one, polling `should_stop` (then throws Interrupted).
FileLock take_build_slot(const std::string &slots_dir, unsigned count,
                         const std::function<bool()> &should_stop);

// The bytes of every file under `dir` (what the builds there take on disk).
uint64_t bytes_under(const std::string &dir);

// Appends the checksum trailer to a freshly built shared object.
void seal(const std::string &path);
// Whether the file is a sealed shared object whose bytes match its trailer.
bool intact(const std::string &path);
// Its bytes without the trailer, if it is.
std::optional<std::string> sealed_contents(const std::string &path);

// The reason the last build failed, if one did; recorded and cleared.
std::optional<std::string> read_failure(const ArtifactPaths &paths);
void record_failure(const ArtifactPaths &paths, std::string_view why);
void clear_failure(const ArtifactPaths &paths);

// The directory name of a module's builds.
std::string module_dir_name(std::string_view module_sha256);

// Removes every build of a module: at once when none is in flight, else
// when the last one ends (finish_removal). Marks the module removed either
// way, which builds asked to (CompileOptions::stop_when_removed) heed.
void remove_module_builds(const std::string &cache_dir, std::string_view module_sha256);
// Whether the module's builds were removed since it was last marked in use.
bool builds_removed(const ArtifactPaths &paths);
// The module's code is in use again: builds of it stay.
void mark_in_use(const std::string &cache_dir, std::string_view module_sha256);
// After a build, with no lock of it held: the removal it delayed.
void finish_removal(const ArtifactPaths &paths);

// Removes the builds in `cache_dir` of modules not in `in_use` (sha256s)
// that nothing has touched for `idle` and no build holds: what a process
// that died before it could remove them left.
void remove_unused_builds(const std::string &cache_dir, const std::vector<std::string> &in_use,
                          std::chrono::seconds idle);

}  // namespace pgwasm::engine::native
