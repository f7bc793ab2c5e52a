#include <cstring>
#include <new>
#include <string>

#include "pg/guard.h"
#include "toolkit/errors.h"

namespace pgwasm::pg {

bool run_pg_try(void (*fn)(void *), void *arg) {
  volatile bool failed = false;
  PG_TRY();
  { fn(arg); }
  PG_CATCH();
  { failed = true; }
  PG_END_TRY();
  return failed;
}

void throw_pg_error(MemoryContext context) {
  // We are in PG_CATCH: copy the error out of ErrorContext, then clear it so
  // that PostgreSQL's error stack is ready for the re-raise.
  MemoryContextSwitchTo(context);
  ErrorData *edata = CopyErrorData();
  FlushErrorState();
  throw PgError(edata);
}

// Copies a string into the current memory context without raising an error
// (we are inside a catch handler, where a longjmp would be fatal).
static char *copy_no_error(const std::string &s) {
  if (s.empty()) return nullptr;
  auto *p = static_cast<char *>(palloc_extended(s.size() + 1, MCXT_ALLOC_NO_OOM));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

void capture_current_exception(PendingError &pending) noexcept {
  try {
    throw;
  } catch (const PgError &e) {
    pending.pg = e.edata();
  } catch (const SqlError &e) {
    pending.sqlstate = e.sqlstate;
    pending.message = copy_no_error(e.message);
    pending.detail = copy_no_error(e.detail);
    pending.hint = copy_no_error(e.hint);
  } catch (const toolkit::Interrupted &) {  // engine::Interrupted too
    pending.interrupted = true;
  } catch (const std::bad_alloc &) {
    pending.sqlstate = ERRCODE_OUT_OF_MEMORY;
  } catch (const std::exception &e) {
    pending.sqlstate = ERRCODE_INTERNAL_ERROR;
    pending.message = copy_no_error(std::string("pg_wasm internal error: ") + e.what());
  } catch (...) {
    pending.sqlstate = ERRCODE_INTERNAL_ERROR;
  }
}

void raise_pending(const PendingError &p) {
  if (p.pg) ReThrowError(p.pg);
  if (p.interrupted) {
    // Stopped because PostgreSQL wants to cancel or terminate: its own
    // error says which.
    CHECK_FOR_INTERRUPTS();
    ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling pg_wasm work")));
  }
  if (p.sqlstate == ERRCODE_OUT_OF_MEMORY && !p.message)
    ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in pg_wasm")));
  ereport(
      ERROR,
      (errcode(p.sqlstate), errmsg_internal("%s", p.message ? p.message : "pg_wasm internal error"),
       p.detail ? errdetail_internal("%s", p.detail) : 0, p.hint ? errhint("%s", p.hint) : 0));
  pg_unreachable();
}

}  // namespace pgwasm::pg
