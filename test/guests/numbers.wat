;; Identity and bit-level functions for every numeric SQL type.
(module
  (func (export "id_i32") (param i32) (result i32) local.get 0)
  (func (export "id_i64") (param i64) (result i64) local.get 0)
  (func (export "id_f32") (param f32) (result f32) local.get 0)
  (func (export "id_f64") (param f64) (result f64) local.get 0)
  ;; The bits of a float, and a float from bits: exact NaN payloads.
  (func (export "f32_bits") (param f32) (result i32) local.get 0 i32.reinterpret_f32)
  (func (export "f64_bits") (param f64) (result i64) local.get 0 i64.reinterpret_f64)
  (func (export "f32_from_bits") (param i32) (result f32) local.get 0 f32.reinterpret_i32)
  (func (export "f64_from_bits") (param i64) (result f64) local.get 0 f64.reinterpret_i64)
  (func (export "add_i64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "neg_f64") (param f64) (result f64) local.get 0 f64.neg)
  (func (export "not") (param i32) (result i32) local.get 0 i32.eqz)
  (func (export "widen") (param i32) (result i32) local.get 0 i32.const 1000 i32.mul)
  (func (export "mixed") (param i32 i64 f32 f64) (result f64)
    local.get 0 f64.convert_i32_s
    local.get 1 f64.convert_i64_s f64.add
    local.get 2 f64.promote_f32 f64.add
    local.get 3 f64.add)
  (func (export "nothing"))
  (func (export "pair") (param i32) (result i32 i32) local.get 0 local.get 0)
  (func (export "vec") (param v128) (result v128) local.get 0)
  (func (export "ref") (param externref) (result externref) local.get 0)
  (memory (export "memory") 1)
  (global (export "answer") i32 (i32.const 42))
  (table (export "table") 1 funcref))
