// bad_realloc: a malformed guest of the world supabase:wrappers 0.1.0 whose
// `cabi_realloc` returns garbage once told to. The host calls it to place
// strings and lists it returns in the guest's memory, and must check what it
// gets (in bounds for the whole size, aligned as asked) before writing:
// each fault is a clean ERROR, never a write outside the guest's memory.
//
// The table option `fault` is read at begin-scan with a good allocator;
// then the allocator turns bad and begin-scan calls an import that needs it:
//   oob         returns the last byte of memory: the string does not fit
//               (options.require of the table option `object`, 6 bytes)
//   wrap        returns 0xfffffff0: the end wraps 2^32 (options.require)
//   misaligned  returns an odd address for an alignment of 4
//               (context.get-columns: a list of handles)
//   trap        traps inside cabi_realloc (options.require)
//   recurse     recurses without bound inside cabi_realloc: the stack
//               overflows in a guest call the host makes from a host
//               function (options.require)
//   deep        a good allocator, but begin-scan recurses without bound,
//               calling options.require at every level: the stack runs out
//               in the host, or in the cabi_realloc it calls
// Without a fault (or after the faulty call, which the host must not let
// return normally) the table has one column and one row, 'ok'.
#define WIT_VERSION "0.1.0"
#define CABI_CUSTOM_REALLOC
#include "cabi.h"

enum { GOOD, OOB, WRAP, MISALIGNED, TRAP, RECURSE, DEEP };
static int mode = GOOD;
static int rows;
static volatile u32 depth;  // work after the call: no tail call to make a loop of

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, u32 old_size, u32 align,
                                                                u32 new_size) {
  switch (mode) {
    case OOB: return (void *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536u - 1);
    case WRAP: return (void *)(uintptr_t)0xfffffff0u;
    case MISALIGNED: {
      unsigned char *p = good_realloc(old, old_size, align, new_size + 1);
      return align > 1 ? p + 1 : p;
    }
    case TRAP: __builtin_trap();
    case RECURSE: {
      void *p = cabi_realloc(old, old_size, align, new_size);
      depth++;
      return p;
    }
    default: return good_realloc(old, old_size, align, new_size);
  }
}

// Asks for an option at every level of a recursion that ends only with the
// stack. Nothing on the shadow stack in linear memory (which would run into
// the data, `mode` included, long before the engine's stack runs out).
static tagged_str deep_option;
static u32 deep(u32 ctx) {
  u32 opts = get_options(ctx, OPTIONS_TABLE);
  options_require(opts, "object", 6, &deep_option);
  options_drop(opts);
  u32 n = mode == DEEP ? deep(ctx) + 1 : 0;
  depth++;
  return n;
}

HOST_VERSION_REQUIREMENT()

INIT_NOTHING()

EXPORT("begin-scan") export_ret *begin_scan(u32 ctx) {
  str f = option_or(ctx, OPTIONS_TABLE, "fault", ""), v;
  rows = 0;
  mode = str_eq(f, "oob")          ? OOB
         : str_eq(f, "wrap")       ? WRAP
         : str_eq(f, "misaligned") ? MISALIGNED
         : str_eq(f, "trap")       ? TRAP
         : str_eq(f, "recurse")    ? RECURSE
         : str_eq(f, "deep")       ? DEEP
                                   : GOOD;
  if (mode == MISALIGNED) {
    list cols;
    context_get_columns(ctx, &cols);
    mode = GOOD;
    for (u32 i = 0; i < cols.len; i++) column_drop(((const u32 *)cols.ptr)[i]);
  } else if (mode == DEEP) {
    deep(ctx);
  } else if (mode != GOOD) {
    option_require(ctx, OPTIONS_TABLE, "object", &v);
    mode = GOOD;
  }
  drop_borrows(ctx, 0);
  return ret_ok();
}

EXPORT("iter-scan") export_ret *iter_scan(u32 ctx, u32 row) {
  export_ret *r = ret_row(rows++ == 0);
  if (rows == 1) push_string(row, CELL_STRING, S("ok"));
  drop_borrows(ctx, row);
  return r;
}

COUNTER_RESCAN_ENDSCAN(rows)
READ_ONLY_MODIFY("read-only")
