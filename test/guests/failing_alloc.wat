;; Its allocator always fails (returns 0).
(module
  (memory (export "memory") 1)
  (func (export "pg_wasm_abi_v1"))
  (func (export "pg_wasm_alloc") (param i32) (result i32) i32.const 0)
  (func (export "len") (param i32 i32) (result i32) local.get 1))
