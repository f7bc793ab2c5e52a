// The benchmark's native baseline: the same workloads as the Wasm guests
// (examples/fib.c, examples/collatz.c, examples/arith.wat), as PostgreSQL C
// functions. Built by bench/CMakeLists.txt, never installed: bench/run.sh
// registers them from an absolute path in its own cluster.
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(c_fib);
PG_FUNCTION_INFO_V1(c_collatz);
PG_FUNCTION_INFO_V1(c_add);
PG_FUNCTION_INFO_V1(c_fibrec);

// Iterative Fibonacci wrapping modulo 2^64, read back as a signed int8:
// unsigned arithmetic, since signed overflow is undefined in C.
Datum c_fib(PG_FUNCTION_ARGS) {
  int32 n = PG_GETARG_INT32(0);
  uint64 a = 0, b = 1;
  for (int32 i = 0; i < n; i++) {
    uint64 t = a + b;
    a = b;
    b = t;
  }
  PG_RETURN_INT64((int64)a);
}

// Collatz steps from n to 1; -1 for n < 1, as the guest does.
Datum c_collatz(PG_FUNCTION_ARGS) {
  int32 n = PG_GETARG_INT32(0);
  if (n < 1) PG_RETURN_INT32(-1);
  int64 x = n;  // the sequence overflows int32 for some n below 10^6
  int32 count = 0;
  while (x != 1) {
    x = (x & 1) ? 3 * x + 1 : x / 2;
    count++;
  }
  PG_RETURN_INT32(count);
}

// i32.add wraps; so does this.
Datum c_add(PG_FUNCTION_ARGS) {
  PG_RETURN_INT32((int32)((uint32)PG_GETARG_INT32(0) + (uint32)PG_GETARG_INT32(1)));
}

// Recursive Fibonacci, as the bench's WAT guest fibrec (bench/setup.sql):
// the calls themselves are the work.
static int64 fibrec(int32 n) {
  return n < 2 ? n : fibrec(n - 1) + fibrec(n - 2);
}

Datum c_fibrec(PG_FUNCTION_ARGS) {
  PG_RETURN_INT64(fibrec(PG_GETARG_INT32(0)));
}

// Text and JSON (docs/benchmarks.md): the same work as examples/text.c's
// slugify, natively, and the json ->> operator's own C function.
PG_FUNCTION_INFO_V1(c_slugify);
PG_FUNCTION_INFO_V1(c_json_get);

Datum c_slugify(PG_FUNCTION_ARGS) {
  text *in = PG_GETARG_TEXT_PP(0);
  const char *s = VARDATA_ANY(in);
  int32 len = VARSIZE_ANY_EXHDR(in);
  text *out = (text *)palloc(VARHDRSZ + len);
  char *w = VARDATA(out);
  bool dash = false;
  for (int32 i = 0; i < len; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c & 0x80)) {
      if (dash && w > VARDATA(out)) *w++ = '-';
      dash = false;
      *w++ = c;
    } else {
      dash = true;
    }
  }
  SET_VARSIZE(out, VARHDRSZ + (w - VARDATA(out)));
  PG_RETURN_TEXT_P(out);
}

Datum c_json_get(PG_FUNCTION_ARGS) {
  Datum result;
  LOCAL_FCINFO(call, 2);
  InitFunctionCallInfoData(*call, NULL, 2, InvalidOid, NULL, NULL);
  call->args[0] = fcinfo->args[0];
  call->args[1] = fcinfo->args[1];
  result = json_object_field_text(call);
  if (call->isnull) PG_RETURN_NULL();
  return result;
}

// Foreign data wrappers (docs/benchmarks.md): the rows compute_fdw makes
// (examples/fdw/compute_fdw.c), as a set-returning function: n (1..count),
// square (n*n, NULL past int8), label ('row ' || n), even (n % 2 = 0) and
// half (n / 2.0). Materialized into the tuplestore InitMaterializedSRF sets
// up: a FunctionScan puts a value-per-call function's rows into a tuplestore
// too, so this is the faster of the two and does the same work.
PG_FUNCTION_INFO_V1(c_compute_rows);

Datum c_compute_rows(PG_FUNCTION_ARGS) {
  ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
  int64 count = PG_GETARG_INT64(0);
  char label[32];
  Datum values[5];
  bool nulls[5] = {false, false, false, false, false};

  InitMaterializedSRF(fcinfo, 0);
  for (int64 n = 1; n <= count; n++) {
    int len = snprintf(label, sizeof label, "row " INT64_FORMAT, n);
    bool overflow = n > INT64CONST(3037000499) || n < -INT64CONST(3037000499);

    values[0] = Int64GetDatum(n);
    values[1] = overflow ? (Datum)0 : Int64GetDatum(n * n);
    nulls[1] = overflow;
    values[2] = PointerGetDatum(cstring_to_text_with_len(label, len));
    values[3] = BoolGetDatum(n % 2 == 0);
    values[4] = Float8GetDatum((double)n / 2.0);
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    pfree(DatumGetPointer(values[2]));
    if ((n & 1023) == 0) CHECK_FOR_INTERRUPTS();
  }
  return (Datum)0;
}
