;; State that lives in an instance: a global counter and memory.
(module
  (memory 1)
  (global $count (mut i64) (i64.const 0))
  (func (export "next") (result i64)
    global.get $count i64.const 1 i64.add global.set $count global.get $count)
  ;; Adds to a running total kept at address 0 of memory.
  (func (export "accumulate") (param i64) (result i64)
    i32.const 0
    i32.const 0 i64.load local.get 0 i64.add
    i64.store
    i32.const 0 i64.load)
  (func (export "crash") (result i64) unreachable)
  (func (export "version") (result i32) i32.const 2))
