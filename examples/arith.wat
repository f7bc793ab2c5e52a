;; Small arithmetic functions in the text format.
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "mul_add") (param f64 f64 f64) (result f64)
    local.get 0 local.get 1 f64.mul local.get 2 f64.add)
  (func (export "gcd") (param $a i64) (param $b i64) (result i64)
    (local $t i64)
    (block $done
      (loop $again
        (br_if $done (i64.eqz (local.get $b)))
        (local.set $t (i64.rem_u (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (br $again)))
    local.get $a))
