;; A module that works on records a JavaScript heap allocated in its memory
;; (tests/wasm_pages_test.ts). Layouts, little-endian:
;;   Points  { count: i32, _pad: i32, xs: f64[count] }
;;   Node    { next: i32 (0 ends the list), value: i32 }
;; Its own data lives below 64 KiB: a greeting at address 16.
(module
  (import "env" "memory" (memory 1))
  (data (i32.const 16) "hello from wasm")

  ;; The sum of a Points record's xs.
  (func (export "sum") (param $p i32) (result f64)
    (local $i i32) (local $n i32) (local $acc f64)
    (local.set $n (i32.load (local.get $p)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (f64.add (local.get $acc)
            (f64.load offset=8
              (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; Adds $delta to every node's value along a list; returns the node count.
  (func (export "bump") (param $node i32) (param $delta i32) (result i32)
    (local $count i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $node)))
        (i32.store offset=4 (local.get $node)
          (i32.add (i32.load offset=4 (local.get $node)) (local.get $delta)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $node (i32.load (local.get $node)))
        (br $next)))
    (local.get $count))

  ;; Writes i * i as i32 for i in [0, n) at $out.
  (func (export "squares") (param $out i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store
          (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (i32.mul (local.get $i) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
)
