#include "pg/artifact_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pg/engines.h"
#include "pg/guard.h"
#include "toolkit/sha256.h"

#include <openssl/crypto.h>

extern "C" {
#include "common/file_perm.h"
#include "miscadmin.h"
}

namespace pgwasm::pg {

namespace {

// An entry: magic, the module's sha256, the key's length and the key, the
// payload's length and the payload, then the HMAC of all that.
constexpr char kMagic[8] = {'P', 'G', 'W', 'A', 'S', 'M', 'C', '1'};
constexpr size_t kMacBytes = 32;
constexpr size_t kSecretBytes = 32;
constexpr uint64_t kMaxEntryBytes = uint64_t{1} << 30;
constexpr const char *kSuffix = ".entry";

ArtifactCounts g_counts;

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 40) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return false;
  return key != "." && key != "..";
}

void log_message(const std::string &message) {
  pg_guard([&] { ereport(LOG, (errmsg("%s", message.c_str()))); });
}

// The whole of a regular file the server's user owns and nobody else may
// write, of at most `max` bytes; nothing otherwise.
std::optional<std::string> read_own_file(const std::string &path, uint64_t max, mode_t forbidden) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::optional<std::string> out;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
      (st.st_mode & forbidden) == 0 && static_cast<uint64_t>(st.st_size) <= max) {
    std::string bytes(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = read(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (done == bytes.size()) out = std::move(bytes);
  }
  close(fd);
  return out;
}

bool write_all(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

// The cluster's secret: made once, by whichever backend needs it first
// (written aside and linked into place, so that no backend reads half of
// it). Empty when it cannot be had: nothing is then cached.
const std::string &cluster_secret() {
  static std::string secret;
  static bool tried = false;
  if (tried) return secret;
  tried = true;
  std::string top = std::string(DataDir) + "/pg_wasm_native";
  std::string path = top + "/secret";
  auto current = read_own_file(path, kSecretBytes, S_IRWXG | S_IRWXO);
  if (!current) {
    std::string made(kSecretBytes, '\0');
    bool random = pg_guard([&] { return pg_strong_random(made.data(), made.size()); });
    std::string tmp = top + "/secret.tmp" + std::to_string(getpid());
    int fd = random ? open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (fd >= 0) {
      bool ok = write_all(fd, as_bytes(made)) && fsync(fd) == 0;
      close(fd);
      // link() does not replace: a secret another backend made first stays.
      if (ok) (void)link(tmp.c_str(), path.c_str());
      unlink(tmp.c_str());
    }
    current = read_own_file(path, kSecretBytes, S_IRWXG | S_IRWXO);
  }
  if (current && current->size() == kSecretBytes) {
    secret = std::move(*current);
  } else {
    log_message("pg_wasm keeps no shared cache of compiled modules: \"" + path +
                "\" is missing, unreadable, or readable by others than the server's user");
  }
  return secret;
}

void put_u64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t get_u64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}

}  // namespace

const ArtifactCounts &artifact_counts() {
  return g_counts;
}

ModuleArtifactStore::ModuleArtifactStore(std::string_view module_sha256) {
  // A cache: where its directory cannot be made, nothing is kept, and calls
  // go on (the native engine, which needs it, says so itself).
  try {
    dir_ = native_cache_dir() + "/" + engine::native_build_dir_name(module_sha256);
  } catch (const std::exception &) {
    dir_.clear();
  }
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < module_sha256.size(); i += 2)
    module_digest_.push_back(
        static_cast<char>(nibble(module_sha256[i]) << 4 | nibble(module_sha256[i + 1])));
}

std::optional<std::vector<uint8_t>> ModuleArtifactStore::read_entry(const std::string &key,
                                                                    bool quiet) const {
  if (dir_.empty()) return std::nullopt;
  const std::string &secret = cluster_secret();
  if (secret.empty() || !valid_key(key)) return std::nullopt;
  std::string path = dir_ + "/" + key + kSuffix;
  if (access(path.c_str(), F_OK) != 0) {
    if (!quiet) g_counts.misses++;
    return std::nullopt;
  }
  auto file = read_own_file(path, kMaxEntryBytes, S_IWGRP | S_IWOTH);
  std::string_view f = file ? std::string_view(*file) : std::string_view();
  size_t head = sizeof kMagic + 32 + 8;
  bool intact = false;
  std::vector<uint8_t> payload;
  if (f.size() >= head + 8 + kMacBytes &&
      f.substr(0, sizeof kMagic) == std::string_view(kMagic, 8) &&
      f.substr(sizeof kMagic, 32) == module_digest_) {
    uint64_t key_len = get_u64(f.substr(sizeof kMagic + 32));
    if (key_len == key.size() && f.size() >= head + key_len + 8 + kMacBytes &&
        f.substr(head, key_len) == key) {
      uint64_t len = get_u64(f.substr(head + key_len));
      size_t body = head + key_len + 8;
      if (len == f.size() - body - kMacBytes) {
        std::string mac = toolkit::hmac_sha256(secret, {as_bytes(f.substr(0, body + len))});
        // Compared in full whatever the first difference: no timing to learn from.
        intact = CRYPTO_memcmp(mac.data(), f.data() + body + len, kMacBytes) == 0;
        if (intact) payload.assign(f.begin() + body, f.begin() + body + len);
      }
    }
  }
  if (!intact) {
    if (!quiet) {
      g_counts.rejected++;
      log_message("pg_wasm's cache entry \"" + path +
                  "\" is damaged or was not made by this server; it is made again");
    }
    return std::nullopt;
  }
  if (!quiet) g_counts.hits++;
  return payload;
}

std::optional<std::vector<uint8_t>> ModuleArtifactStore::load(std::string_view key) {
  return read_entry(std::string(key), /*quiet=*/false);
}

void ModuleArtifactStore::save(std::string_view key, std::span<const uint8_t> bytes) {
  if (dir_.empty()) return;
  const std::string &secret = cluster_secret();
  if (secret.empty() || !valid_key(key) || bytes.size() > kMaxEntryBytes / 2) return;
  std::string head(kMagic, sizeof kMagic);
  head += module_digest_;
  put_u64(head, key.size());
  head += key;
  put_u64(head, bytes.size());
  std::string mac;
  try {
    mac = toolkit::hmac_sha256(secret, {as_bytes(head), bytes});
  } catch (const std::exception &) {
    return;
  }
  if (mkdir(dir_.c_str(), pg_dir_create_mode) != 0 && errno != EEXIST) return;
  // Written aside and renamed into place: a reader sees the old entry or
  // the new one, whole. A short name: pg_basebackup's tar format takes
  // paths of at most 99 bytes.
  std::string tmp = dir_ + "/tmp" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  bool ok = write_all(fd, as_bytes(head)) && write_all(fd, bytes) && write_all(fd, as_bytes(mac));
  close(fd);
  if (ok && rename(tmp.c_str(), (dir_ + "/" + std::string(key) + kSuffix).c_str()) == 0) {
    g_counts.saved++;
    return;
  }
  unlink(tmp.c_str());
}

std::vector<ModuleArtifactStore::Entry> ModuleArtifactStore::entries() const {
  std::vector<Entry> out;
  DIR *d = dir_.empty() ? nullptr : opendir(dir_.c_str());
  if (!d) return out;
  std::string_view suffix(kSuffix);
  while (struct dirent *e = readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
      continue;
    Entry entry;
    entry.key = std::string(name.substr(0, name.size() - suffix.size()));
    struct stat st;
    if (stat((dir_ + "/" + std::string(name)).c_str(), &st) == 0)
      entry.bytes = static_cast<uint64_t>(st.st_size);
    entry.intact = read_entry(entry.key, /*quiet=*/true).has_value();
    out.push_back(std::move(entry));
  }
  closedir(d);
  return out;
}

}  // namespace pgwasm::pg
