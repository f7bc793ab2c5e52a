// Targets of the stdin/stdout/stderr symbols renamed in our copy of libwabt.a
// (see cmake/WabtPic.cmake): hidden, so wabt's code reaches them PC-relative.
#include <cstdio>

extern "C" {
__attribute__((visibility("hidden"))) FILE *pgwasm_wabt_stdin = stdin;
__attribute__((visibility("hidden"))) FILE *pgwasm_wabt_stdout = stdout;
__attribute__((visibility("hidden"))) FILE *pgwasm_wabt_stderr = stderr;
}
