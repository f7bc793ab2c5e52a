// The "wasi_snapshot_preview1" import module: a WASI preview 1 subset
// (docs/wasi.md), so that modules built for wasm32-wasi run.
//
// Every preview 1 function is offered with its exact type, so any such
// module instantiates. What the host does: stdout and stderr become lines
// in the server log, clocks, strong random bytes, empty arguments and
// environment, exit, and sleeping on a clock. Everything else answers with
// an errno, never a trap: there is no file system, no network, and the only
// file descriptors are 0 (stdin, always at its end), 1 and 2.
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_actions.h"
#include "pg/host/host_functions.h"
#include "pg/host/wasi_common.h"

extern "C" {
#include "mb/pg_wchar.h"
#include "storage/latch.h"
#include "utils/wait_event.h"
}

namespace pgwasm::pg::host {

namespace {

// WASI's errno values (witx typenames: errno).
enum Errno : int32_t {
  kSuccess = 0,
  kBadf = 8,
  kInval = 28,
  kNosys = 52,
  kNotdir = 54,
  kNotsock = 57,
  kNotsup = 58,
  kSpipe = 70,
};

constexpr std::string_view kModule = "wasi_snapshot_preview1";

// A guest's output line longer than this is logged in pieces of this size,
// which bounds what the host keeps of an unfinished line.
constexpr size_t kMaxLine = 4096;
// The most buffers one fd_write takes, as writev's IOV_MAX on Linux.
constexpr uint32_t kMaxIovecs = 1024;

std::string function_name(std::string_view name) {
  return std::string(kModule) + "." + std::string(name);
}

// Guest memory as little-endian integers, bounds-checked.
template <typename T>
void store(HostCall &call, uint32_t ptr, T value, std::string_view fn) {
  std::memcpy(guest_bytes(call, ptr, sizeof(T), function_name(fn)).data(), &value, sizeof(T));
}

template <typename T>
T load(std::span<const uint8_t> bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// `count` records of `size` bytes at `ptr`.
std::span<uint8_t> guest_array(HostCall &call, uint32_t ptr, uint32_t count, uint32_t size,
                               std::string_view fn) {
  uint64_t len = uint64_t{count} * size;
  if (len > std::numeric_limits<uint32_t>::max())
    throw SqlError(
        ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
        "wasm " + current_call_description() + " passed a bad pointer to " + function_name(fn),
        "An array of " + std::to_string(count) + " records of " + std::to_string(size) +
            " bytes does not fit in any memory.");
  return guest_bytes(call, ptr, static_cast<uint32_t>(len), function_name(fn));
}

bool is_stdio(const Value &fd) {
  return fd.bits.i32 <= 2;
}

Value ret(int32_t err) {
  return Value::make_i32(err);
}

int32_t fd_write(HostCall &call, std::span<const Value> args) {
  uint32_t fd = args[0].bits.i32;
  if (fd != 1 && fd != 2) return kBadf;
  if (args[2].bits.i32 > kMaxIovecs) return kInval;
  auto iovs = guest_array(call, args[1].bits.i32, args[2].bits.i32, 8, "fd_write");
  std::vector<std::string_view> pieces;
  uint64_t total = 0;
  for (size_t off = 0; off < iovs.size(); off += 8) {
    auto bytes = guest_bytes(call, load<uint32_t>(iovs, off), load<uint32_t>(iovs, off + 4),
                             function_name("fd_write"));
    pieces.emplace_back(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    total += bytes.size();
  }
  // Like writev: the count written must be representable.
  if (total > std::numeric_limits<uint32_t>::max()) return kInval;
  guest_bytes(call, args[3].bits.i32, 4, function_name("fd_write"));  // before any output
  GuestCall *gc = current_guest_call();
  if (!gc) return kBadf;  // no SQL call to log for (cannot happen from SQL)
  for (auto piece : pieces) append_output(*gc, static_cast<int>(fd), piece);
  store<uint32_t>(call, args[3].bits.i32, static_cast<uint32_t>(total), "fd_write");
  return kSuccess;
}

// stdin is empty: every read is at its end.
int32_t fd_read(HostCall &call, std::span<const Value> args) {
  if (args[0].bits.i32 != 0) return kBadf;
  guest_array(call, args[1].bits.i32, args[2].bits.i32, 8, "fd_read");
  store<uint32_t>(call, args[3].bits.i32, 0, "fd_read");
  return kSuccess;
}

// The three streams are character devices without seek or tell, which is
// how wasi-libc recognises a terminal: stdout is then line-buffered, so a
// line reaches the log when it is written, not when a buffer fills.
constexpr uint8_t kCharacterDevice = 2;
constexpr uint64_t kRightRead = 1 << 1, kRightWrite = 1 << 6, kRightFilestatGet = 1 << 21,
                   kRightPoll = 1 << 27;

int32_t fd_fdstat_get(HostCall &call, std::span<const Value> args) {
  uint32_t fd = args[0].bits.i32;
  if (fd > 2) return kBadf;
  uint8_t stat[24] = {};  // filetype u8 @0, flags u16 @2, rights u64 @8, inheriting u64 @16
  stat[0] = kCharacterDevice;
  uint64_t rights = (fd == 0 ? kRightRead : kRightWrite) | kRightFilestatGet | kRightPoll;
  std::memcpy(stat + 8, &rights, 8);
  auto out = guest_bytes(call, args[1].bits.i32, sizeof stat, function_name("fd_fdstat_get"));
  std::memcpy(out.data(), stat, sizeof stat);
  return kSuccess;
}

int32_t fd_filestat_get(HostCall &call, std::span<const Value> args) {
  if (!is_stdio(args[0])) return kBadf;
  uint8_t stat[64] = {};  // dev, ino, filetype u8 @16, nlink @24, size, atim, mtim, ctim
  stat[16] = kCharacterDevice;
  uint64_t nlink = 1;
  std::memcpy(stat + 24, &nlink, 8);
  auto out = guest_bytes(call, args[1].bits.i32, sizeof stat, function_name("fd_filestat_get"));
  std::memcpy(out.data(), stat, sizeof stat);
  return kSuccess;
}

// ---------------------------------------------------------------------------
// Clocks, in nanoseconds: realtime (since 1970), monotonic, and the CPU time
// of the backend process and thread.

bool clock_for(uint32_t id, clockid_t &clock) {
  static constexpr clockid_t kClocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                          CLOCK_THREAD_CPUTIME_ID};
  if (id >= std::size(kClocks)) return false;
  clock = kClocks[id];
  return true;
}

uint64_t nanoseconds(const timespec &ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t now(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return nanoseconds(ts);
}

int32_t clock_res_get(HostCall &call, std::span<const Value> args) {
  clockid_t clock;
  if (!clock_for(args[0].bits.i32, clock)) return kInval;
  timespec ts{};
  clock_getres(clock, &ts);
  store<uint64_t>(call, args[1].bits.i32, std::max<uint64_t>(nanoseconds(ts), 1), "clock_res_get");
  return kSuccess;
}

int32_t clock_time_get(HostCall &call, std::span<const Value> args) {
  clockid_t clock;
  if (!clock_for(args[0].bits.i32, clock)) return kInval;
  store<uint64_t>(call, args[2].bits.i32, now(clock), "clock_time_get");
  return kSuccess;
}

// ---------------------------------------------------------------------------
// poll_oneoff: clock subscriptions sleep (this is how nanosleep, sleep and
// Rust's thread::sleep reach the host); the standard streams are always
// ready (stdin at its end). The sleep wakes for cancel, statement_timeout
// and termination, which then stop the call like any interrupted guest.

constexpr uint8_t kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2;
constexpr uint16_t kAbstime = 1, kHangup = 1;

struct Event {
  uint64_t userdata;
  uint16_t error;
  uint8_t type;
  uint16_t flags;
};

int32_t poll_oneoff(HostCall &call, std::span<const Value> args) {
  uint32_t count = args[2].bits.i32;
  if (count == 0) return kInval;
  // No guest code runs, so its memory cannot move, until this returns.
  auto in = guest_array(call, args[0].bits.i32, count, 48, "poll_oneoff");
  guest_array(call, args[1].bits.i32, count, 32, "poll_oneoff");
  guest_bytes(call, args[3].bits.i32, 4, function_name("poll_oneoff"));

  std::vector<Event> ready;
  uint64_t deadline = std::numeric_limits<uint64_t>::max();
  std::vector<std::pair<uint64_t, uint64_t>> timers;  // userdata, monotonic deadline
  for (uint32_t i = 0; i < count; i++) {
    std::span<const uint8_t> sub = in.subspan(i * 48, 48);
    uint64_t userdata = load<uint64_t>(sub, 0);
    uint8_t tag = sub[8];
    if (tag == kEventClock) {
      uint32_t id = load<uint32_t>(sub, 16);
      uint64_t timeout = load<uint64_t>(sub, 24);
      bool absolute = load<uint16_t>(sub, 40) & kAbstime;
      uint64_t mono = now(CLOCK_MONOTONIC), at;
      if (id == 1) {
        at = absolute ? timeout : mono + std::min(timeout, ~mono);
      } else if (id == 0) {
        uint64_t real = now(CLOCK_REALTIME);
        uint64_t wait = absolute ? (timeout > real ? timeout - real : 0) : timeout;
        at = mono + std::min(wait, ~mono);
      } else {
        ready.push_back({userdata, kInval, kEventClock, 0});  // CPU clocks cannot be slept on
        continue;
      }
      timers.emplace_back(userdata, at);
      deadline = std::min(deadline, at);
    } else if (tag == kEventFdRead || tag == kEventFdWrite) {
      uint32_t fd = load<uint32_t>(sub, 16);
      bool ok = tag == kEventFdRead ? fd == 0 : fd == 1 || fd == 2;
      ready.push_back({userdata, static_cast<uint16_t>(ok ? kSuccess : kBadf), tag,
                       static_cast<uint16_t>(ok && tag == kEventFdRead ? kHangup : 0)});
    } else {
      return kInval;
    }
  }
  // Sleep only when nothing is ready; then report every timer that is due.
  if (ready.empty()) sleep_until(deadline);
  uint64_t t = now(CLOCK_MONOTONIC);
  for (auto [userdata, at] : timers)
    if (at <= t) ready.push_back({userdata, kSuccess, kEventClock, 0});

  auto out =
      guest_array(call, args[1].bits.i32, static_cast<uint32_t>(ready.size()), 32, "poll_oneoff");
  std::fill(out.begin(), out.end(), 0);
  for (size_t i = 0; i < ready.size(); i++) {
    uint8_t *e = out.data() + i * 32;  // userdata @0, error @8, type @10, nbytes @16, flags @24
    std::memcpy(e, &ready[i].userdata, 8);
    std::memcpy(e + 8, &ready[i].error, 2);
    e[10] = ready[i].type;
    std::memcpy(e + 24, &ready[i].flags, 2);
  }
  store<uint32_t>(call, args[3].bits.i32, static_cast<uint32_t>(ready.size()), "poll_oneoff");
  return kSuccess;
}

// ---------------------------------------------------------------------------
// The rest of the process: no arguments, no environment, exit, randomness.

// argc/environ count and buffer size: both 0.
int32_t sizes_get(HostCall &call, std::span<const Value> args, std::string_view fn) {
  store<uint32_t>(call, args[0].bits.i32, 0, fn);
  store<uint32_t>(call, args[1].bits.i32, 0, fn);
  return kSuccess;
}

int32_t random_get(HostCall &call, std::span<const Value> args) {
  guest_random(guest_bytes(call, args[0].bits.i32, args[1].bits.i32, function_name("random_get")));
  return kSuccess;
}

// ---------------------------------------------------------------------------
// Registration.

using Impl = int32_t (*)(HostCall &, std::span<const Value>);

HostFunction errno_function(std::string_view name, FuncType type, Impl impl) {
  return {std::string(kModule), std::string(name), std::move(type),
          [impl](HostCall &call, std::span<const Value> args, std::span<Value> results) {
            results[0] = ret(impl(call, args));
          }};
}

// A function that does nothing here: `on_stdio` for the standard streams,
// EBADF for any other descriptor (none exist), for each descriptor argument.
HostFunction refused(std::string_view name, FuncType type, std::vector<size_t> fd_args,
                     int32_t on_stdio) {
  return {std::string(kModule), std::string(name), std::move(type),
          [fd_args = std::move(fd_args), on_stdio](HostCall &, std::span<const Value> args,
                                                   std::span<Value> results) {
            bool all_stdio = std::all_of(fd_args.begin(), fd_args.end(),
                                         [&](size_t i) { return is_stdio(args[i]); });
            results[0] = ret(fd_args.empty() || all_stdio ? on_stdio : kBadf);
          }};
}

FuncType i32s(size_t n) {
  return {std::vector<ValType>(n, I32), {I32}};
}

}  // namespace

// ---------------------------------------------------------------------------
// stdout and stderr: lines in the server log.

// A line reaching kMaxLine is taken as a piece, cut before a UTF-8
// character that would straddle the cut.
void append_output(GuestCall &gc, int fd, std::string_view data) {
  std::string &tail = gc.output[fd - 1];
  while (!data.empty()) {
    // Past a call's share of the log, output is only counted (flush_output
    // says how much): a guest cannot flood the log, or spend the host's time
    // on it.
    if (!output_goes_to_log(gc, tail.size() + data.size())) {
      tail.clear();
      return;
    }
    size_t room = kMaxLine - tail.size();
    size_t newline = data.substr(0, room + 1).find('\n');  // not past the line's end
    if (newline != std::string_view::npos && newline <= room) {
      tail.append(data.substr(0, newline));
      data.remove_prefix(newline + 1);
      log_output_line(gc, fd, tail, tail.size() + 1);
      tail.clear();
    } else if (data.size() <= room) {
      tail.append(data);
      break;
    } else {
      tail.append(data.substr(0, room));
      data.remove_prefix(room);
      size_t cut = tail.size();
      auto continuation = [](char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; };
      if (continuation(data.front())) {
        size_t lead = cut;
        while (lead > 0 && cut - lead < 3 && continuation(tail[lead - 1])) lead--;
        if (lead > 0 && static_cast<uint8_t>(tail[lead - 1]) >= 0xC0) cut = lead - 1;
      }
      log_output_line(gc, fd, std::string_view(tail).substr(0, cut), cut);
      tail.erase(0, cut);
    }
  }
}

void sleep_until(uint64_t deadline) {
  for (;;) {
    if (QueryCancelPending || ProcDiePending) throw engine::Interrupted();
    uint64_t t = now(CLOCK_MONOTONIC);
    if (t >= deadline) return;
    // Round up, so that the wait never ends before the deadline.
    long ms = static_cast<long>(std::min<uint64_t>((deadline - t + 999'999) / 1'000'000, 60'000));
    pg_guard([&] {
      int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
                         PG_WAIT_EXTENSION);
      if (rc & WL_LATCH_SET) ResetLatch(MyLatch);
    });
  }
}

uint64_t monotonic_now() {
  return now(CLOCK_MONOTONIC);
}

std::vector<HostFunction> wasi_functions() {
  return {
      // Arguments and environment: none.
      errno_function("args_sizes_get", i32s(2),
                     [](HostCall &c, auto a) { return sizes_get(c, a, "args_sizes_get"); }),
      errno_function("args_get", i32s(2), [](HostCall &, auto) { return int32_t{kSuccess}; }),
      errno_function("environ_sizes_get", i32s(2),
                     [](HostCall &c, auto a) { return sizes_get(c, a, "environ_sizes_get"); }),
      errno_function("environ_get", i32s(2), [](HostCall &, auto) { return int32_t{kSuccess}; }),

      errno_function("clock_res_get", i32s(2), clock_res_get),
      errno_function("clock_time_get", {{I32, I64, I32}, {I32}}, clock_time_get),
      errno_function("random_get", i32s(2), random_get),
      errno_function("poll_oneoff", i32s(4), poll_oneoff),
      errno_function("sched_yield", i32s(0), [](HostCall &, auto) { return int32_t{kSuccess}; }),
      {std::string(kModule),
       "proc_exit",
       {{I32}, {}},
       [](HostCall &, std::span<const Value> args, std::span<Value>) {
         throw GuestExit(args[0].as_i32());
       }},
      refused("proc_raise", i32s(1), {}, kNosys),

      // The standard streams.
      errno_function("fd_write", i32s(4), fd_write),
      errno_function("fd_read", i32s(4), fd_read),
      errno_function("fd_fdstat_get", i32s(2), fd_fdstat_get),
      errno_function("fd_filestat_get", i32s(2), fd_filestat_get),
      refused("fd_close", i32s(1), {0}, kNotsup),
      refused("fd_seek", {{I32, I64, I32, I32}, {I32}}, {0}, kSpipe),
      refused("fd_tell", i32s(2), {0}, kSpipe),
      refused("fd_pread", {{I32, I32, I32, I64, I32}, {I32}}, {0}, kSpipe),
      refused("fd_pwrite", {{I32, I32, I32, I64, I32}, {I32}}, {0}, kSpipe),
      refused("fd_advise", {{I32, I64, I64, I32}, {I32}}, {0}, kSpipe),
      refused("fd_allocate", {{I32, I64, I64}, {I32}}, {0}, kSpipe),
      refused("fd_datasync", i32s(1), {0}, kInval),
      refused("fd_sync", i32s(1), {0}, kInval),
      refused("fd_fdstat_set_flags", i32s(2), {0}, kNotsup),
      refused("fd_fdstat_set_rights", {{I32, I64, I64}, {I32}}, {0}, kNotsup),
      refused("fd_filestat_set_size", {{I32, I64}, {I32}}, {0}, kInval),
      refused("fd_filestat_set_times", {{I32, I64, I64, I32}, {I32}}, {0}, kNotsup),
      refused("fd_renumber", i32s(2), {0, 1}, kNotsup),
      refused("fd_readdir", {{I32, I32, I32, I64, I32}, {I32}}, {0}, kNotdir),

      // No preopened directories: wasi-libc and Rust's std find no file
      // system, and every path operation has no directory to start from.
      refused("fd_prestat_get", i32s(2), {}, kBadf),
      refused("fd_prestat_dir_name", i32s(3), {}, kBadf),
      refused("path_create_directory", i32s(3), {0}, kNotdir),
      refused("path_filestat_get", i32s(5), {0}, kNotdir),
      refused("path_filestat_set_times", {{I32, I32, I32, I32, I64, I64, I32}, {I32}}, {0},
              kNotdir),
      refused("path_link", i32s(7), {0, 4}, kNotdir),
      refused("path_open", {{I32, I32, I32, I32, I32, I64, I64, I32, I32}, {I32}}, {0}, kNotdir),
      refused("path_readlink", i32s(6), {0}, kNotdir),
      refused("path_remove_directory", i32s(3), {0}, kNotdir),
      refused("path_rename", i32s(6), {0, 3}, kNotdir),
      refused("path_symlink", i32s(5), {2}, kNotdir),
      refused("path_unlink_file", i32s(3), {0}, kNotdir),

      // No network: the streams are not sockets.
      refused("sock_accept", i32s(3), {0}, kNotsock),
      refused("sock_recv", i32s(6), {0}, kNotsock),
      refused("sock_send", i32s(5), {0}, kNotsock),
      refused("sock_shutdown", i32s(2), {0}, kNotsock),
  };
}

}  // namespace pgwasm::pg::host
