;; Uses pg_wasm's ABI with text arguments but exports no allocator.
(module
  (memory (export "memory") 1)
  (func (export "pg_wasm_abi_v1"))
  (func (export "len") (param i32 i32) (result i32) local.get 1))
