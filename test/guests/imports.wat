;; Needs a host function the host does not provide.
(module
  (import "env" "print_number" (func $print (param i32)))
  (func (export "run") (param i32) local.get 0 call $print))
