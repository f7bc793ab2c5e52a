;; Looks like pg_wasm's ABI but does not say it implements version 1.
(module
  (memory (export "memory") 1)
  (func (export "pg_wasm_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "len") (param i32 i32) (result i32) local.get 1))
