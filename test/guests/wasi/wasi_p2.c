// A guest of WASI 0.2 (docs/wasi.md, "WASI 0.2"), written against the
// canonical ABI by hand: it imports the WASI 0.2 functions under their core
// names (several 0.2.N and the cm32p2 form, which all find the host's one
// function) and exports functions of pg_wasm's ABI that call them, so the
// SQL suite component_wasi can see what each gives. No libc.
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

// ---- cabi_realloc: a bump allocator over pages grown for it ----

static u32 heap_next, heap_end;

EXPORT("cabi_realloc") void *cabi_realloc(void *old, u32 old_size, u32 align, u32 size) {
  (void)old;
  (void)old_size;
  u32 p = (heap_next + align - 1) & ~(align - 1);
  if (p + size > heap_end || heap_end == 0) {
    u32 pages = (size + align + 65535) / 65536;
    s32 at = __builtin_wasm_memory_grow(0, pages);
    if (at < 0) __builtin_trap();
    heap_next = (u32)at * 65536;
    heap_end = heap_next + pages * 65536;
    p = (heap_next + align - 1) & ~(align - 1);
  }
  heap_next = p + size;
  return (void *)p;
}

// ---- the imports: (core signature) per the canonical ABI ----

IMPORT("wasi:clocks/monotonic-clock@0.2.10", "now") u64 mono_now(void);
IMPORT("wasi:clocks/monotonic-clock@0.2.10", "subscribe-duration") u32 subscribe_duration(u64 ns);
IMPORT("wasi:clocks/wall-clock@0.2.0", "now") void wall_now(void *ret);
IMPORT("wasi:random/random@0.2.10", "get-random-bytes") void random_bytes(u64 len, void *ret);
IMPORT("wasi:random/random@0.2.10", "get-random-u64") u64 random_u64(void);
IMPORT("cm32p2|wasi:cli/stdout@0.2", "get-stdout") u32 get_stdout(void);
IMPORT("wasi:cli/stderr@0.2.3", "get-stderr") u32 get_stderr(void);
IMPORT("wasi:cli/stdin@0.2.3", "get-stdin") u32 get_stdin(void);
IMPORT("wasi:cli/exit@0.2.3", "exit") void cli_exit(u32 is_err);
IMPORT("wasi:cli/environment@0.2.3", "get-environment") void get_environment(void *ret);
IMPORT("wasi:cli/environment@0.2.3", "get-arguments") void get_arguments(void *ret);
IMPORT("wasi:io/streams@0.2.10", "[method]output-stream.check-write")
void check_write(u32 self, void *ret);
IMPORT("wasi:io/streams@0.2.10", "[method]output-stream.blocking-write-and-flush")
void write_and_flush(u32 self, const void *ptr, u32 len, void *ret);
IMPORT("wasi:io/streams@0.2.10", "[resource-drop]output-stream") void drop_output(u32 self);
IMPORT("wasi:io/streams@0.2.10", "[method]input-stream.read")
void input_read(u32 self, u64 len, void *ret);
IMPORT("wasi:io/poll@0.2.10", "poll") void poll(const u32 *ptr, u32 len, void *ret);
IMPORT("wasi:io/poll@0.2.10", "[method]pollable.block") void block(u32 self);
IMPORT("wasi:io/poll@0.2.10", "[resource-drop]pollable") void drop_pollable(u32 self);
IMPORT("wasi:filesystem/preopens@0.2.0", "get-directories") void get_directories(void *ret);
IMPORT("wasi:filesystem/types@0.2.0", "[method]descriptor.stat")
void descriptor_stat(u32 self, void *ret);
IMPORT("wasi:sockets/tcp-create-socket@0.2.0", "create-tcp-socket")
void create_tcp_socket(u32 family, void *ret);
// start-connect(self, network, ip-socket-address): the address flattens to
// its case and the ipv6 record's 11 values; the result comes back through
// a return pointer.
IMPORT("wasi:sockets/tcp@0.2.0", "[method]tcp-socket.start-connect")
void tcp_start_connect(u32 self, u32 network, u32 tag, u32 port, u32 a1, u32 a2, u32 a3, u32 a4,
                       u32 a5, u32 a6, u32 a7, u32 a8, u32 a9, u32 a10, void *ret);

IMPORT("wasi:http/types@0.2.10", "[constructor]fields") u32 fields_new(void);
IMPORT("wasi:http/types@0.2.10", "[method]fields.append")
void fields_append(u32 self, const char *name, u32 name_len, const char *value, u32 value_len,
                   void *ret);
IMPORT("wasi:http/types@0.2.10", "[resource-drop]fields") void drop_fields(u32 self);
IMPORT("wasi:http/types@0.2.10", "[constructor]outgoing-request") u32 request_new(u32 headers);
IMPORT("wasi:http/types@0.2.10", "[method]outgoing-request.set-authority")
u32 set_authority(u32 self, u32 is_some, const char *ptr, u32 len);
IMPORT("wasi:http/outgoing-handler@0.2.10", "handle")
void http_handle(u32 request, u32 has_options, u32 options, void *ret);

// A result or list in a return area: (case or pointer, payload or length).
typedef struct {
  u32 a, b, c;
} ret3;

// ---- clocks ----

// The monotonic clock does not go back, and has started.
EXPORT("mono_ok") s32 mono_ok(void) {
  u64 a = mono_now(), b = mono_now();
  return a > 0 && b >= a;
}

// The wall clock: a datetime of seconds since 1970 (after 2024) and
// nanoseconds below one second.
EXPORT("wall_ok") s32 wall_ok(void) {
  struct {
    u64 seconds;
    u32 nanoseconds;
  } __attribute__((aligned(8))) t;
  wall_now(&t);
  return t.seconds > 1704067200u && t.nanoseconds < 1000000000u;
}

// ---- random ----

// get-random-bytes(n): the length of the list the host gives.
EXPORT("random_len") s64 random_len(s64 n) {
  ret3 r;
  random_bytes((u64)n, &r);
  return r.b;
}

// Two u64 in a row differ (they are equal once in 2^64).
EXPORT("random_differs") s32 random_differs(void) {
  return random_u64() != random_u64();
}

// ---- the standard streams ----

static s32 write_text(u32 stream, const char *s) {
  u32 len = 0;
  while (s[len]) len++;
  ret3 r = {9, 9, 9};
  write_and_flush(stream, s, len, &r);
  return (s32)(r.a & 0xff);  // result<_, stream-error>: 0 is ok
}

// Writes a line to stdout and one to stderr: each a line in the log.
EXPORT("say") s32 say(void) {
  u32 out = get_stdout(), err = get_stderr();
  s32 rc = write_text(out, "hello from WASI 0.2\n") + write_text(err, "a warning, on stderr\n");
  // A line in two writes is one line; one without its newline is logged
  // when the call ends.
  rc += write_text(out, "in two ");
  rc += write_text(out, "pieces\nunfinished");
  drop_output(out);
  drop_output(err);
  return rc;
}

// check-write: how much one write may take.
EXPORT("write_permit") s64 write_permit(void) {
  struct {
    u8 tag;
    u64 value;
  } r;
  u32 out = get_stdout();
  check_write(out, &r);
  drop_output(out);
  return r.tag == 0 ? (s64)r.value : -1;
}

// A write of n bytes of 'x', more than check-write permits when n > 65536.
EXPORT("write_n") s32 write_n(s32 n) {
  char *buf = cabi_realloc(0, 0, 1, (u32)n);
  for (s32 i = 0; i < n; i++) buf[i] = i % 80 == 79 ? '\n' : 'x';
  ret3 r;
  write_and_flush(get_stdout(), buf, (u32)n, &r);
  return (s32)(r.a & 0xff);
}

// stdin is at its end: read gives the error `closed` (case 1 of
// stream-error, in the error case of the result).
EXPORT("stdin_closed") s32 stdin_closed(void) {
  struct {
    u8 tag;
    u8 pad[3];
    u8 error_case;
    u8 pad2[3];
    u32 payload;
  } r;
  input_read(get_stdin(), 100, &r);
  return r.tag == 1 && r.error_case == 1;
}

// exit(ok) or exit(err): the call ends.
EXPORT("exit_with") s32 exit_with(s32 is_err) {
  write_text(get_stdout(), "exiting\n");
  cli_exit(is_err != 0);
  return 42;  // never reached
}

// ---- the environment, the file system, the network ----

EXPORT("environment_size") s32 environment_size(void) {
  ret3 env, args;
  get_environment(&env);
  get_arguments(&args);
  return (s32)(env.b + args.b);
}

EXPORT("preopens") s32 preopens(void) {
  ret3 r;
  get_directories(&r);
  return (s32)r.b;
}

// create-tcp-socket(ipv4): the error code, access-denied (1), or -1 if
// the host made a socket.
EXPORT("tcp_socket") s32 tcp_socket(void) {
  struct {
    u8 tag;
    u8 pad[3];
    u32 payload;
  } r;
  create_tcp_socket(0, &r);
  return r.tag == 1 ? (s32)(r.payload & 0xff) : -1;
}

// ---- sleeping, polling ----

// Sleeps ms milliseconds on a pollable.
EXPORT("sleep_ms") s32 sleep_ms(s32 ms) {
  u32 p = subscribe_duration((u64)ms * 1000000u);
  block(p);
  drop_pollable(p);
  return 1;
}

// poll over n pollables (the same one n times, due at once): how many the
// host says are ready.
EXPORT("poll_ready") s32 poll_ready(s32 n) {
  u32 p = subscribe_duration(0);
  u32 *list = cabi_realloc(0, 0, 4, (u32)n * 4);
  for (s32 i = 0; i < n; i++) list[i] = p;
  ret3 r;
  poll(list, (u32)n, &r);
  drop_pollable(p);
  return (s32)r.b;
}

// ---- handle misuse: each an ERROR ----

EXPORT("drop_twice") s32 drop_twice(void) {
  u32 out = get_stdout();
  drop_output(out);
  drop_output(out);
  return 0;
}

EXPORT("never_given") s32 never_given(void) {
  ret3 r;
  check_write(12345, &r);
  return 0;
}

// A pollable used as an output stream.
EXPORT("wrong_resource") s32 wrong_resource(void) {
  return write_text(subscribe_duration(0), "never written\n");
}

// A file descriptor: none is ever handed out.
EXPORT("descriptor_stat") s32 descriptor_stat_call(void) {
  u64 r[16];
  descriptor_stat(1, r);
  return 0;
}

// A socket: none is ever made, so connecting one fails on its handle.
EXPORT("tcp_connect") s32 tcp_connect(void) {
  u32 r[2];
  tcp_start_connect(1, 2, 0, 80, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, r);
  return 0;
}

// A return area outside memory.
EXPORT("bad_return_area") s32 bad_return_area(void) {
  wall_now((void *)0xFFFFFFF0u);
  return 0;
}

// ---- wasi:http ----

// fields.append(name, value): 0 (ok), or the header-error's case (0
// invalid-syntax, 2 immutable).
static s32 append(u32 fields, const char *name, const char *value) {
  u32 n = 0, v = 0;
  while (name[n]) n++;
  while (value[v]) v++;
  struct {
    u8 tag;
    u8 error;
  } r;
  fields_append(fields, name, n, value, v, &r);
  return r.tag == 0 ? 0 : 100 + r.error;
}

// Headers: a valid one is kept, a name that is not a token is refused.
EXPORT("header_checks") s32 header_checks(void) {
  u32 f = fields_new();
  s32 rc = append(f, "accept", "application/json") * 1000 + append(f, "bad name", "x");
  drop_fields(f);
  return rc;
}

// A GET to example.com through outgoing-handler.handle: the error-code
// case it fails with (15: HTTP-request-denied), or -1 if it was sent.
EXPORT("http_get") s32 http_get(void) {
  u32 headers = fields_new();
  append(headers, "accept", "text/plain");
  u32 req = request_new(headers);
  set_authority(req, 1, "example.com", 11);
  struct {
    u8 tag;
    u8 pad[7];
    u8 error_case;
    u8 rest[31];
  } __attribute__((aligned(8))) r;
  http_handle(req, 0, 0, &r);
  return r.tag == 1 ? r.error_case : -1;
}

// The headers, given to the request, are no longer the guest's.
EXPORT("fields_given_away") s32 fields_given_away(void) {
  u32 headers = fields_new();
  request_new(headers);
  drop_fields(headers);
  return 0;
}
