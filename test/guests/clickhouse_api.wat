;; Calls every function of ClickHouse's host API (import module "env"),
;; from ROW_DIRECT functions.
(module
  (import "env" "clickhouse_server_version" (func $version (result i64)))
  (import "env" "clickhouse_log" (func $log (param i32 i32)))
  (import "env" "clickhouse_log" (func $log_level (param i32 i32 i32)))
  (import "env" "clickhouse_throw" (func $throw (param i32 i32)))
  (import "env" "clickhouse_terminate" (func $terminate (param i32 i32)))
  (import "env" "clickhouse_random" (func $random (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from a ClickHouse module")
  (data (i32.const 64) "bad input")
  (func (export "version") (result i64) call $version)
  (func (export "log") (result i32) (call $log (i32.const 0) (i32.const 30)) i32.const 1)
  (func (export "log_level") (param $level i32) (result i32)
    (call $log_level (local.get $level) (i32.const 0) (i32.const 30)) i32.const 1)
  (func (export "throw") (result i32) (call $throw (i32.const 64) (i32.const 9)) i32.const 0)
  (func (export "terminate") (result i32) (call $terminate (i32.const 64) (i32.const 9)) i32.const 0)
  ;; 8 random bytes, as an int8.
  (func (export "random") (result i64) (call $random (i32.const 128) (i32.const 8)) (i64.load (i32.const 128)))
  (func (export "random_out_of_bounds") (result i32) (call $random (i32.const 65530) (i32.const 100)) i32.const 0))
