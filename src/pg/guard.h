// The two guards between PostgreSQL and C++, which keep the promise of
// docs/safety.md that no exception or longjmp crosses the wrong frames.
//
// PostgreSQL reports errors with longjmp, which must never cross a C++ frame
// that owns resources, nor a V8 frame; C++ reports errors with exceptions,
// which must never reach PostgreSQL's C frames. So:
//
//  * pg_guard(fn) runs PostgreSQL code from C++. An ereport(ERROR) inside
//    becomes a PgError exception carrying the ErrorData. `fn` itself must
//    own nothing with a destructor (the longjmp skips its frame); it may
//    write into objects of its caller.
//
//  * PG_WASM_FUNCTION(name) defines a SQL-callable entry point whose body is
//    C++. Exceptions are caught at the boundary, and the error is raised in
//    PostgreSQL only after every C++ scope has been left.
//
// A PgError must always travel up to the boundary to be re-raised: the
// transaction abort that follows is what cleans up PostgreSQL's state.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "pg/pg_headers.h"

namespace pgwasm::pg {

// A PostgreSQL error in flight through C++ frames.
class PgError : public std::exception {
 public:
  explicit PgError(ErrorData *edata) : edata_(edata) {}
  const char *what() const noexcept override {
    return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
  }
  ErrorData *edata() const { return edata_; }

 private:
  ErrorData *edata_;  // palloc'd in the memory context current at pg_guard
};

// An error our own code raises: it becomes ereport(ERROR) at the boundary.
class SqlError : public std::exception {
 public:
  SqlError(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
      : sqlstate(sqlstate),
        message(std::move(message)),
        detail(std::move(detail)),
        hint(std::move(hint)) {}
  const char *what() const noexcept override { return message.c_str(); }
  int sqlstate;
  std::string message;
  std::string detail;
  std::string hint;
};

[[noreturn]] void throw_pg_error(MemoryContext context);

// Runs fn(arg) inside PG_TRY; true if PostgreSQL raised an error. The
// setjmp frame is this small C-like function, with nothing to clobber.
bool run_pg_try(void (*fn)(void *), void *arg);

template <typename Fn>
auto pg_guard(Fn &&fn) -> decltype(fn()) {
  using R = decltype(fn());
  struct Call {
    Fn *fn;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result;
    // A C++ exception must not leave PG_TRY either (it would leave
    // PG_exception_stack pointing into a dead frame): carry it across.
    std::exception_ptr cpp_error;
  } call{&fn, {}, nullptr};
  auto thunk = [](void *p) {
    auto *c = static_cast<Call *>(p);
    try {
      if constexpr (std::is_void_v<R>)
        (*c->fn)();
      else
        c->result.emplace((*c->fn)());
    } catch (...) {
      c->cpp_error = std::current_exception();
    }
  };
  MemoryContext context = CurrentMemoryContext;
  if (run_pg_try(thunk, &call)) throw_pg_error(context);
  if (call.cpp_error) std::rethrow_exception(call.cpp_error);
  if constexpr (!std::is_void_v<R>) return std::move(*call.result);
}

// Switches to a memory context for a C++ scope, and back however the scope
// is left.
class MemoryContextScope {
 public:
  explicit MemoryContextScope(MemoryContext context) : old_(MemoryContextSwitchTo(context)) {}
  ~MemoryContextScope() { MemoryContextSwitchTo(old_); }
  MemoryContextScope(const MemoryContextScope &) = delete;
  MemoryContextScope &operator=(const MemoryContextScope &) = delete;

 private:
  MemoryContext old_;
};

// What the boundary raises once the C++ scopes are gone. Plain data only.
struct PendingError {
  ErrorData *pg = nullptr;   // a PostgreSQL error to re-raise as it was
  bool interrupted = false;  // work stopped for PostgreSQL's cancel or terminate flags
  int sqlstate = 0;
  char *message = nullptr;
  char *detail = nullptr;
  char *hint = nullptr;
};

// Fills `pending` from the exception being handled (call inside catch).
void capture_current_exception(PendingError &pending) noexcept;

[[noreturn]] void raise_pending(const PendingError &pending);

// Runs a C++ body for PostgreSQL and returns what it returns (a Datum, a
// pointer, nothing: FDW callbacks return all kinds), or raises its error.
template <typename Fn>
auto cpp_entry(Fn &&body) -> decltype(body()) {
  PendingError pending;
  try {
    return body();
  } catch (...) {
    capture_current_exception(pending);
  }
  raise_pending(pending);
}

}  // namespace pgwasm::pg

// Defines the SQL-callable C function `name` with a C++ body:
//   PG_WASM_FUNCTION(pg_wasm_foo) { ... return Datum; }
#define PG_WASM_FUNCTION(name)                                                           \
  static Datum name##_body(FunctionCallInfo fcinfo);                                     \
  extern "C" {                                                                           \
  PG_FUNCTION_INFO_V1(name);                                                             \
  }                                                                                      \
  Datum name(PG_FUNCTION_ARGS) {                                                         \
    check_stack_depth(); /* SQL may recurse through us; no C++ frame is live yet */      \
    return ::pgwasm::pg::cpp_entry([fcinfo]() -> Datum { return name##_body(fcinfo); }); \
  }                                                                                      \
  static Datum name##_body(FunctionCallInfo fcinfo)
