;; The example module of wasmer-postgres' README.
(module
  (func (export "sum") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "mul") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul))
