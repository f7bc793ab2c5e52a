#include "engine/native/artifact_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "engine/errors.h"

namespace pgwasm::engine::native {

namespace {

namespace fs = std::filesystem;

constexpr char kTrailerMagic[8] = {'P', 'G', 'W', 'A', 'S', 'M', 'S', 'O'};
constexpr size_t kDigestBytes = 32;
constexpr size_t kTrailerBytes = sizeof kTrailerMagic + kDigestBytes;
// Failure reasons are the tools' last words: bounded when read back.
constexpr size_t kMaxFailureBytes = 8192;

std::optional<std::string> read_all(const std::string &path, size_t max_bytes = SIZE_MAX) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s;
  char buf[65536];
  while (in && s.size() < max_bytes) {
    in.read(buf, sizeof buf);
    s.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (s.size() > max_bytes) s.resize(max_bytes);
  return s;
}

// Writes beside `path`, then renames: readers see all of it or nothing.
void write_atomically(const std::string &path, std::string_view data) {
  std::string tmp = fs::path(path).parent_path().string() + "/.tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
}

}  // namespace

constexpr size_t kModuleNameChars = 24;
constexpr size_t kKeyChars = 32;

std::string module_dir_name(std::string_view module_sha256) {
  return std::string(module_sha256.substr(0, kModuleNameChars));
}

ArtifactPaths::ArtifactPaths(const std::string &cache_dir, std::string_view module_sha256,
                             std::string_view variant, std::string_view key)
    : dir_(cache_dir + "/" + module_dir_name(module_sha256)),
      stem_(std::string(variant) + "-"),
      object_(dir_ + "/" + stem_ + std::string(key.substr(0, kKeyChars)) + ".so"),
      lock_(dir_ + "/" + stem_ + std::string(key.substr(0, kKeyChars)) + ".lock"),
      failed_(dir_ + "/" + stem_ + std::string(key.substr(0, kKeyChars)) + ".err"),
      removed_(dir_ + "/removed") {}

ArtifactPaths::ArtifactPaths(const std::string &object) : object_(object) {
  fs::path path(object);
  dir_ = path.parent_path().string();
  std::string name = path.stem().string();  // "<variant>-<key>"
  stem_ = name.substr(0, name.find('-') + 1);
  lock_ = dir_ + "/" + name + ".lock";
  failed_ = dir_ + "/" + name + ".err";
  removed_ = dir_ + "/removed";
}

void ArtifactPaths::remove_stale() const {
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(dir_, ec)) {
    std::string path = e.path().string();
    std::string name = e.path().filename().string();
    if (name.rfind(stem_, 0) != 0 || path == object_ || path == lock_ || path == failed_) continue;
    // Variant names have no '-': "fuel-" is no prefix of "fuel_mem-".
    std::error_code ignored;
    fs::remove(e.path(), ignored);
  }
}

namespace {

int flock_operation(FileLock::Mode mode) {
  return mode == FileLock::Mode::Shared ? LOCK_SH : LOCK_EX;
}

int open_lock_file(const std::string &path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw EngineError("cannot open the lock " + path + ": " + strerror(errno));
  return fd;
}

}  // namespace

FileLock::FileLock(const std::string &path, Mode mode, const std::function<bool()> &should_stop)
    : fd_(open_lock_file(path)) {
  // Polled rather than blocking: a wait must stay cancellable.
  while (flock(fd_, flock_operation(mode) | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int err = errno;
      close(fd_);
      throw EngineError("cannot lock " + path + ": " + strerror(err));
    }
    if (should_stop && should_stop()) {
      close(fd_);
      throw Interrupted();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::optional<FileLock> FileLock::try_lock(const std::string &path, Mode mode) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return std::nullopt;
  if (flock(fd, flock_operation(mode) | LOCK_NB) != 0) {
    close(fd);
    return std::nullopt;
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // releases the lock
}

bool FileLock::held_elsewhere(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

FileLock FileLock::building(const ArtifactPaths &paths, const std::function<bool()> &should_stop) {
  for (;;) {
    std::error_code ec;
    fs::create_directories(paths.dir(), ec);
    int fd = open(paths.dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // removed just now: made again
      throw EngineError("cannot open " + paths.dir() + ": " + strerror(errno));
    }
    FileLock lock(fd);
    while (flock(fd, LOCK_SH | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR)
        throw EngineError("cannot lock " + paths.dir() + ": " + strerror(errno));
      if (should_stop && should_stop()) throw Interrupted();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // The directory a removal took away before the lock was had is not
    // the one at the path any more: the build goes in a new one.
    struct stat held, now;
    if (fstat(fd, &held) == 0 && stat(paths.dir().c_str(), &now) == 0 &&
        held.st_ino == now.st_ino && held.st_dev == now.st_dev)
      return lock;
  }
}

FileLock take_build_slot(const std::string &slots_dir, unsigned count,
                         const std::function<bool()> &should_stop) {
  std::error_code ec;
  fs::create_directories(slots_dir, ec);
  for (;;) {
    for (unsigned i = 0; i < count; i++)
      if (auto slot = FileLock::try_lock(slots_dir + "/slot-" + std::to_string(i) + ".lock",
                                         FileLock::Mode::Exclusive))
        return std::move(*slot);
    if (should_stop && should_stop()) throw Interrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

uint64_t bytes_under(const std::string &dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      uint64_t n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

void seal(const std::string &path) {
  auto bytes = read_all(path);
  if (!bytes) throw EngineError("cannot read " + path);
  std::string digest = toolkit::Sha256().update(*bytes).digest();
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(kTrailerMagic, sizeof kTrailerMagic);
  out.write(digest.data(), static_cast<std::streamsize>(digest.size()));
  if (!out) throw EngineError("cannot write " + path);
}

std::optional<std::string> sealed_contents(const std::string &path) {
  auto bytes = read_all(path);
  if (!bytes || bytes->size() < kTrailerBytes) return std::nullopt;
  size_t body = bytes->size() - kTrailerBytes;
  if (std::memcmp(bytes->data() + body, kTrailerMagic, sizeof kTrailerMagic) != 0)
    return std::nullopt;
  if (toolkit::Sha256().update(std::string_view(*bytes).substr(0, body)).digest() !=
      std::string_view(bytes->data() + body + sizeof kTrailerMagic, kDigestBytes))
    return std::nullopt;
  bytes->resize(body);
  return bytes;
}

bool intact(const std::string &path) {
  return sealed_contents(path).has_value();
}

std::optional<std::string> read_failure(const ArtifactPaths &paths) {
  return read_all(paths.failed(), kMaxFailureBytes);
}

void record_failure(const ArtifactPaths &paths, std::string_view why) {
  write_atomically(paths.failed(), why.substr(0, kMaxFailureBytes));
}

void clear_failure(const ArtifactPaths &paths) {
  std::error_code ec;
  fs::remove(paths.failed(), ec);
}

namespace {

// A sha256 in hex (or the start of one), never a path of its own.
bool is_module_sha256(std::string_view s) {
  return s.size() >= kModuleNameChars && s.find_first_not_of("0123456789abcdef") == s.npos;
}

// Removes the module's directory if no build of it is in flight; else
// marks it, for the last build to remove when it ends.
void remove_unless_building(const std::string &dir, bool mark) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  } else if (mark) {
    std::ofstream(dir + "/removed");
  }
  close(fd);
}

}  // namespace

void remove_module_builds(const std::string &cache_dir, std::string_view module_sha256) {
  if (!is_module_sha256(module_sha256)) return;
  remove_unless_building(cache_dir + "/" + module_dir_name(module_sha256), true);
}

bool builds_removed(const ArtifactPaths &paths) {
  return access(paths.removed().c_str(), F_OK) == 0;
}

void mark_in_use(const std::string &cache_dir, std::string_view module_sha256) {
  if (!is_module_sha256(module_sha256)) return;
  std::error_code ec;
  fs::remove(cache_dir + "/" + module_dir_name(module_sha256) + "/removed", ec);
}

void finish_removal(const ArtifactPaths &paths) {
  if (builds_removed(paths)) remove_unless_building(paths.dir(), false);
}

void remove_unused_builds(const std::string &cache_dir, const std::vector<std::string> &in_use,
                          std::chrono::seconds idle) {
  std::set<std::string> used;
  for (const auto &sha : in_use) used.insert(module_dir_name(sha));
  auto now = fs::file_time_type::clock::now();
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(cache_dir, ec)) {
    std::string name = e.path().filename().string();
    std::error_code ignored;
    if (name.size() != kModuleNameChars || !is_module_sha256(name) || used.count(name) ||
        !e.is_directory(ignored))
      continue;
    auto touched = fs::last_write_time(e.path(), ignored);
    if (ignored || now - touched < idle) continue;
    remove_unless_building(e.path().string(), false);
  }
}

}  // namespace pgwasm::engine::native
