;; wit_scopes: a component written by hand in the text format, whose
;; functions' types live where wit-component and other tools may put them:
;; in an imported instance's type (and an instance nested in it), behind an
;; import or an export that names them, and behind an outer alias from a
;; nested component. The unit tests of src/component/wit_types.cc resolve
;; it; nothing calls its functions.
(component
  (type $geo-type (instance
    (type $pt (record (field "x" s32) (field "y" s32)))
    (export "point" (type (eq $pt)))
    (type $inner (instance
      (type $c (enum "red" "green" "blue"))
      (export "color" (type (eq $c)))))
    (export "palette" (instance (type $inner)))))
  (import "my:geo/types@1.0.0" (instance $geo (type $geo-type)))
  (alias export $geo "point" (type $point))
  (alias export $geo "palette" (instance $palette))
  (alias export $palette "color" (type $color))
  ;; Named by the import that bounds it, then by an export.
  (type $perm-def (flags "read" "write" "exec"))
  (import "perms" (type $perms (eq $perm-def)))
  (type $bag-def (record (field "p" $point) (field "c" $color) (field "f" $perms)))
  (export $bag "bag" (type $bag-def))
  ;; Anonymous: used by its definition.
  (type $pair (record (field "a" u8) (field "b" string)))
  (type $shape (variant (case "circle" f64) (case "none")))

  (core module $m
    (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "paint") (param i32 i32 i32) (result i32) i32.const 0)
    (func (export "weigh") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "pair-up") (param i32 i32 i32) (result i32) i32.const 0)
    (func (export "my:geo/shapes@1.0.0#area") (param i32 f64) (result f64) f64.const 0))
  (core instance $i (instantiate $m))
  (alias core export $i "memory" (core memory $mem))
  (alias core export $i "cabi_realloc" (core func $realloc))

  (type $paint-t (func (param "p" $point) (param "c" $color) (result $perms)))
  (func $paint (type $paint-t) (canon lift (core func $i "paint")))
  (export "paint" (func $paint))
  (type $weigh-t (func (param "b" $bag) (result u32)))
  (func $weigh (type $weigh-t) (canon lift (core func $i "weigh")))
  (export "weigh" (func $weigh))
  (type $pair-up-t (func (param "n" u8) (param "s" string) (result $pair)))
  (func $pair-up (type $pair-up-t)
    (canon lift (core func $i "pair-up") (memory $mem) (realloc $realloc)))
  (export "pair-up" (func $pair-up))

  ;; An interface through a nested component that takes its shape from the
  ;; enclosing one by an outer alias and names it by an export.
  (type $area-t (func (param "s" $shape) (result f64)))
  (func $area (type $area-t) (canon lift (core func $i "my:geo/shapes@1.0.0#area")))
  (component $shim
    (alias outer 1 $shape (type $s))
    (export $s-named "shape" (type $s))
    (type $imp-t (func (param "s" $s) (result f64)))
    (import "import-func-area" (func $imp (type $imp-t)))
    (type $exp-t (func (param "s" $s-named) (result f64)))
    (export "area" (func $imp) (func (type $exp-t))))
  (instance $shapes (instantiate $shim (with "import-func-area" (func $area))))
  (export "my:geo/shapes@1.0.0" (instance $shapes))
)
