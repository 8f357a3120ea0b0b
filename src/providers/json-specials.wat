;; Where each run of string text in a JSON body ends: the quotes that are not escaped, control
;; characters (below 0x20), and backslashes that do not start one of JSON's escapes. Valid escapes
;; (\" \\ \/ \b \f \n \r \t and \u with four hex digits) are passed over here, so `json-skim.ts`
;; goes from a string's opening quote straight to its end, where checking every byte in JavaScript
;; cost most of the skim. Escapes pair up from the start of the text: in text that is JSON up to a
;; string's opening quote, that is how they pair inside the string (a backslash outside a string is
;; already an error the skim sees).
;; Compiled by `npm run build:wasm` into json-specials-wasm.ts (the bytes the product loads).
(module
  (memory (export "memory") 1)

  (func $isHex (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; Past a valid escape whose backslash is at `at` (text ends at `end`), or 0 when it is not one.
  (func $escapeEnd (param $at i32) (param $end i32) (result i32)
    (local $e i32)
    (if (i32.ge_u (i32.add (local.get $at) (i32.const 1)) (local.get $end)) (then (return (i32.const 0))))
    (local.set $e (i32.load8_u (i32.add (local.get $at) (i32.const 1))))
    (if (i32.eq (local.get $e) (i32.const 0x75))
      (then
        (if (i32.ge_u (i32.add (local.get $at) (i32.const 5)) (local.get $end)) (then (return (i32.const 0))))
        (if (i32.and
              (i32.and (call $isHex (i32.load8_u (i32.add (local.get $at) (i32.const 2))))
                       (call $isHex (i32.load8_u (i32.add (local.get $at) (i32.const 3)))))
              (i32.and (call $isHex (i32.load8_u (i32.add (local.get $at) (i32.const 4))))
                       (call $isHex (i32.load8_u (i32.add (local.get $at) (i32.const 5))))))
          (then (return (i32.add (local.get $at) (i32.const 6)))))
        (return (i32.const 0))))
    (if (i32.or
          (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x22)) (i32.eq (local.get $e) (i32.const 0x5c)))
                  (i32.or (i32.eq (local.get $e) (i32.const 0x2f)) (i32.eq (local.get $e) (i32.const 0x62))))
          (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x66)) (i32.eq (local.get $e) (i32.const 0x6e)))
                  (i32.or (i32.eq (local.get $e) (i32.const 0x72)) (i32.eq (local.get $e) (i32.const 0x74)))))
      (then (return (i32.add (local.get $at) (i32.const 2)))))
    (i32.const 0))

  ;; Writes the offset from `start` of each such byte in [start, end) into `out` as i32s, in order,
  ;; and returns how many; -1 as soon as there are more than `cap`. Reads up to 15 bytes past `end`
  ;; (the caller leaves room), never counting them.
  (func (export "specials") (param $start i32) (param $end i32) (param $out i32) (param $cap i32) (result i32)
    (local $i i32) (local $n i32) (local $bits i32) (local $pos i32) (local $skip i32) (local $next i32)
    (local $v v128) (local $quote v128) (local $slash v128) (local $space v128)
    (local.set $quote (i8x16.splat (i32.const 0x22)))
    (local.set $slash (i8x16.splat (i32.const 0x5c)))
    (local.set $space (i8x16.splat (i32.const 0x20)))
    (local.set $i (local.get $start))
    (local.set $skip (local.get $start))
    ;; Sixteen bytes at a time: a mask of the bytes that match, then each set bit in order.
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load align=1 (local.get $i)))
        (local.set $bits
          (i8x16.bitmask
            (v128.or
              (v128.or (i8x16.eq (local.get $v) (local.get $quote)) (i8x16.eq (local.get $v) (local.get $slash)))
              (i8x16.lt_u (local.get $v) (local.get $space)))))
        ;; The last block: only the bytes before `end`.
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $i)) (i32.const 16))
          (then (local.set $bits (i32.and (local.get $bits)
            (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $i))) (i32.const 1))))))
        (block $emitted
          (loop $emit
            (br_if $emitted (i32.eqz (local.get $bits)))
            (local.set $pos (i32.add (local.get $i) (i32.ctz (local.get $bits))))
            (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
            ;; Escaped by the backslash before it.
            (br_if $emit (i32.lt_u (local.get $pos) (local.get $skip)))
            (if (i32.eq (i32.load8_u (local.get $pos)) (i32.const 0x5c))
              (then
                (local.set $next (call $escapeEnd (local.get $pos) (local.get $end)))
                (if (local.get $next) (then
                  (local.set $skip (local.get $next))
                  (br $emit)))))
            (if (i32.ge_u (local.get $n) (local.get $cap)) (then (return (i32.const -1))))
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
              (i32.sub (local.get $pos) (local.get $start)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br $emit)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
    (local.get $n)))
