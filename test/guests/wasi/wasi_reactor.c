// A WASI reactor for the tests (test/regress/sql/wasi.sql): ordinary C with
// wasi-libc, whose exports use stdio, clocks, randomness, the environment,
// files and exit the way any C program does. Built with
//   clang --target=wasm32-wasi -mexec-model=reactor -O2
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// Runs from _initialize, once per instance.
__attribute__((constructor)) static void init(void) {
  puts("reactor initialized");
}

// --- stdout and stderr ------------------------------------------------------

EXPORT(greet) int greet(int n) {
  printf("hello %d\n", n);
  printf("two lines\nin one printf\n");
  return n * 2;
}

EXPORT(warn) void warn(int n) {
  fprintf(stderr, "warning number %d\n", n);
}

// Unfinished lines: stdout's is flushed from libc's buffer to the host, and
// stderr is unbuffered; the host logs both when the call ends.
EXPORT(unfinished) void unfinished(void) {
  printf("stdout without newline");
  fflush(stdout);
  fputs("stderr ", stderr);
  fputs("in two writes", stderr);
}

// A line completed over several writes, and an empty line.
EXPORT(pieces) void pieces(void) {
  fputs("begun, ", stderr);
  fputs("continued, ", stderr);
  fputs("ended\n\nafter an empty line\n", stderr);
}

// n bytes of 'x', then a two-byte character and "!": longer than the host's
// 4096-byte line limit, it is logged in pieces, never cutting a character.
EXPORT(long_line) void long_line(int n) {
  for (int i = 0; i < n; i++) putchar('x');
  puts("\xc3\xa9!");
}

// A NUL and a byte that is not UTF-8: they become '?'.
EXPORT(bad_bytes) void bad_bytes(void) {
  static const char bytes[] = {'a', 0, 'b', (char)0xff, 'c', '\n'};
  fwrite(bytes, 1, sizeof bytes, stdout);
}

// The three streams look like terminals: 1 for each, 0 (EBADF) beyond.
EXPORT(is_terminal) int is_terminal(int fd) {
  return isatty(fd);
}

// stdin is empty: the first read is at its end.
EXPORT(stdin_at_end) int stdin_at_end(void) {
  char line[16];
  return fgets(line, sizeof line, stdin) == NULL && feof(stdin);
}

// State kept in the instance between calls.
static int calls;
EXPORT(count_calls) int count_calls(void) {
  return ++calls;
}

// --- clocks and randomness ---------------------------------------------------

static int64_t nanos(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -errno;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

EXPORT(realtime_ns) int64_t realtime_ns(void) {
  return nanos(CLOCK_REALTIME);
}
EXPORT(monotonic_ns) int64_t monotonic_ns(void) {
  return nanos(CLOCK_MONOTONIC);
}
EXPORT(process_cpu_ns) int64_t process_cpu_ns(void) {
  return nanos(CLOCK_PROCESS_CPUTIME_ID);
}

EXPORT(monotonic_resolution_ns) int64_t monotonic_resolution_ns(void) {
  struct timespec ts;
  if (clock_getres(CLOCK_MONOTONIC, &ts) != 0) return -errno;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Sleeps ms milliseconds with nanosleep; returns how long it took.
EXPORT(sleep_ms) int64_t sleep_ms(int ms) {
  int64_t start = monotonic_ns();
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  if (nanosleep(&ts, NULL) != 0) return -errno;
  return (monotonic_ns() - start) / 1000000;
}

// Sleeps until ms milliseconds from now on the realtime clock (an absolute
// deadline); returns how long it took.
EXPORT(sleep_until_ms) int64_t sleep_until_ms(int ms) {
  int64_t start = monotonic_ns();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000;
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000;
  }
  int err = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
  if (err) return -err;
  return (monotonic_ns() - start) / 1000000;
}

// How many of 256 bytes from getentropy are not zero.
EXPORT(entropy_nonzero) int entropy_nonzero(void) {
  unsigned char buf[256];
  if (getentropy(buf, sizeof buf) != 0) return -errno;
  int n = 0;
  for (size_t i = 0; i < sizeof buf; i++) n += buf[i] != 0;
  return n;
}

EXPORT(random_u32) int64_t random_u32(void) {
  return arc4random();
}

// Fills n bytes of a heap buffer straight from random_get; returns how many
// distinct byte values it saw.
EXPORT(random_distinct) int random_distinct(int n) {
  unsigned char *buf = malloc(n);
  if (!buf || __wasi_random_get(buf, n) != 0) return -1;
  int seen[256] = {0}, distinct = 0;
  for (int i = 0; i < n; i++) distinct += !seen[buf[i]]++;
  free(buf);
  return distinct;
}

// --- arguments, environment, files -------------------------------------------

EXPORT(arg_count) int arg_count(void) {
  __wasi_size_t argc, size;
  return __wasi_args_sizes_get(&argc, &size) == 0 ? (int)(argc + size) : -1;
}

extern char **environ;
EXPORT(env_count) int env_count(void) {
  int n = 0;
  while (environ && environ[n]) n++;
  return n + (getenv("PATH") != NULL) + (getenv("HOME") != NULL);
}

// fopen fails as in a sandbox without directories: the errno it sets.
EXPORT(open_errno) int open_errno(void) {
  FILE *f = fopen("/etc/passwd", "r");
  if (f) return 0;
  return errno;
}

EXPORT(write_file_errno) int write_file_errno(void) {
  FILE *f = fopen("out.txt", "w");
  if (f) return 0;
  return errno;
}

// The errno of WASI calls made directly, as wasi-libc or Rust's std would.
EXPORT(path_open_errno) int path_open_errno(int dirfd) {
  __wasi_fd_t fd;
  return __wasi_path_open(dirfd, 0, "file", 0, 0, 0, 0, &fd);
}
EXPORT(prestat_errno) int prestat_errno(int fd) {
  __wasi_prestat_t p;
  return __wasi_fd_prestat_get(fd, &p);
}
EXPORT(write_errno) int write_errno(int fd) {
  __wasi_ciovec_t iov = {(const uint8_t *)"x\n", 2};
  __wasi_size_t n;
  return __wasi_fd_write(fd, &iov, 1, &n);
}
EXPORT(seek_errno) int seek_errno(int fd) {
  __wasi_filesize_t pos;
  return __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos);
}
EXPORT(close_errno) int close_errno(int fd) {
  return __wasi_fd_close(fd);
}
EXPORT(sock_errno) int sock_errno(int fd) {
  return __wasi_sock_shutdown(fd, __WASI_SDFLAGS_WR);
}
// proc_raise is in preview 1 but no longer in wasi-libc's headers.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t
proc_raise(int32_t signal);
EXPORT(raise_errno) int raise_errno(void) {
  return proc_raise(15);
}
EXPORT(yield_errno) int yield_errno(void) {
  return __wasi_sched_yield();
}

EXPORT(clock_errno) int clock_errno(int id) {
  __wasi_timestamp_t t;
  return __wasi_clock_time_get(id, 1, &t);
}

// fd_write's count of bytes written, over three buffers.
EXPORT(gather_write) int gather_write(void) {
  __wasi_ciovec_t iov[3] = {
      {(const uint8_t *)"gath", 4}, {(const uint8_t *)"", 0}, {(const uint8_t *)"ered\n", 5}};
  __wasi_size_t n = 0;
  int err = __wasi_fd_write(1, iov, 3, &n);
  return err ? -err : (int)n;
}

// poll_oneoff on stdin (at its end), stdout and a descriptor that does not
// exist: each event as a line, "userdata type error flags".
EXPORT(poll_streams) int poll_streams(void) {
  __wasi_subscription_t subs[3] = {0};
  subs[0].userdata = 10;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = 0;
  subs[1].userdata = 11;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  subs[1].u.u.fd_write.file_descriptor = 1;
  subs[2].userdata = 12;
  subs[2].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[2].u.u.fd_read.file_descriptor = 7;
  __wasi_event_t events[3];
  __wasi_size_t n = 0;
  int err = __wasi_poll_oneoff(subs, events, 3, &n);
  if (err) return -err;
  for (__wasi_size_t i = 0; i < n; i++)
    printf("event %d: type %d, error %d, flags %d\n", (int)events[i].userdata, events[i].type,
           events[i].error, events[i].fd_readwrite.flags);
  return (int)n;
}

// poll_oneoff without subscriptions, and with one on a CPU-time clock,
// which cannot be slept on: the errno, or the event's error.
EXPORT(poll_nothing_errno) int poll_nothing_errno(void) {
  __wasi_subscription_t sub = {0};
  __wasi_event_t event;
  __wasi_size_t n;
  return __wasi_poll_oneoff(&sub, &event, 0, &n);
}
EXPORT(poll_cpu_clock_error) int poll_cpu_clock_error(void) {
  __wasi_subscription_t sub = {0};
  sub.u.tag = __WASI_EVENTTYPE_CLOCK;
  sub.u.u.clock.id = __WASI_CLOCKID_PROCESS_CPUTIME_ID;
  sub.u.u.clock.timeout = 1000000;
  __wasi_event_t event;
  __wasi_size_t n;
  int err = __wasi_poll_oneoff(&sub, &event, 1, &n);
  return err ? -err : event.error;
}

// --- bad pointers: the call fails with an error naming the function -----------

EXPORT(write_bad_iovec) int write_bad_iovec(void) {
  __wasi_size_t n;
  return __wasi_fd_write(1, (const __wasi_ciovec_t *)0xfffffff0u, 4, &n);
}
EXPORT(write_too_many) int write_too_many(void) {
  __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
  __wasi_size_t n;
  return __wasi_fd_write(1, &iov, 0x20000000, &n);
}
EXPORT(write_bad_buffer) int write_bad_buffer(void) {
  __wasi_ciovec_t iov = {(const uint8_t *)0x7ffffff0u, 64};
  __wasi_size_t n;
  return __wasi_fd_write(2, &iov, 1, &n);
}
EXPORT(random_bad_buffer) int random_bad_buffer(void) {
  return __wasi_random_get((uint8_t *)0xffff0000u, 0x10000);
}
EXPORT(clock_bad_result) int clock_bad_result(void) {
  return __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t *)0xfffffffcu);
}

// --- exit ----------------------------------------------------------------------

// Writes, then exits with `code`: libc flushes stdout first.
EXPORT(exit_with) int exit_with(int code) {
  printf("exiting with %d", code);
  exit(code);
}

EXPORT(exit_void) void exit_void(int code) {
  puts("leaving");
  exit(code);
}
