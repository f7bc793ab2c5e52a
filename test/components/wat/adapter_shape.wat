;; A component shaped like the output of tools that link a WASI preview 1
;; adapter (componentize-js, cargo component): an adapter core module whose
;; cabi_import_realloc serves the lowering of a WASI 0.2 import, and a main
;; module the exports are lifted from, with its own cabi_realloc. The host
;; instantiates only the main module, so it must never choose the adapter's
;; realloc (docs/components.md).
(component
  (import "wasi:cli/environment@0.2.0" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))))
  (core module $adapter
    (memory (export "memory") 1)
    (func (export "cabi_import_realloc") (param i32 i32 i32 i32) (result i32) i32.const 16))
  (core instance $a (instantiate $adapter))
  (alias core export $a "memory" (core memory $amem))
  (alias core export $a "cabi_import_realloc" (core func $arealloc))
  (alias export $env "get-environment" (func $ge))
  (core func $ge_lowered (canon lower (func $ge) (memory $amem) (realloc $arealloc)))
  (core instance $envi (export "get-environment" (func $ge_lowered)))
  (core module $main
    (import "wasi:cli/environment@0.2.0" "get-environment" (func (param i32)))
    (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)
    (func (export "run") (result i32) i32.const 0))
  (core instance $m (instantiate $main (with "wasi:cli/environment@0.2.0" (instance $envi))))
  (func (export "run") (result u32) (canon lift (core func $m "run")))
)
