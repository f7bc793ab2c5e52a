;; A ClickHouse ROW_DIRECT function: numbers in, a number out. It runs in
;; pg_wasm unchanged, through the plain numeric mapping:
;;
;;   CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'ch_collatz::steps';
(module
  (func $next (param $n i32) (result i32)
    (if (result i32) (i32.and (local.get $n) (i32.const 1))
      (then (i32.add (i32.mul (local.get $n) (i32.const 3)) (i32.const 1)))
      (else (i32.shr_u (local.get $n) (i32.const 1)))))
  (func (export "steps") (param $n i32) (result i32)
    (local $count i32)
    (if (i32.lt_s (local.get $n) (i32.const 1)) (then (return (i32.const 0))))
    (block $done
      (loop $again
        (br_if $done (i32.eq (local.get $n) (i32.const 1)))
        (local.set $n (call $next (local.get $n)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (br $again)))
    (local.get $count)))
