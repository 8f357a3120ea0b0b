;; The bytes of a JSON text where a run of string text ends: a quote, a backslash or a control
;; character (below 0x20). `json-skim.ts` asks for all of them in one call and then walks strings
;; from one to the next, where checking every byte in JavaScript cost most of the skim.
;; Compiled by `npm run build:wasm` into json-specials-wasm.ts (the bytes the product loads).
(module
  (memory (export "memory") 1)
  ;; Writes the offset from `start` of every such byte in [start, end) into `out` as i32s, in order,
  ;; and returns how many; -1 as soon as there are more than `cap`.
  (func (export "specials") (param $start i32) (param $end i32) (param $out i32) (param $cap i32) (result i32)
    (local $i i32) (local $n i32) (local $bits i32) (local $v v128) (local $quote v128) (local $slash v128) (local $space v128)
    (local.set $quote (i8x16.splat (i32.const 0x22)))
    (local.set $slash (i8x16.splat (i32.const 0x5c)))
    (local.set $space (i8x16.splat (i32.const 0x20)))
    (local.set $i (local.get $start))
    ;; Sixteen bytes at a time: a mask of the bytes that match, then one entry per set bit.
    (block $done
      (loop $vec
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load align=1 (local.get $i)))
        (local.set $bits
          (i8x16.bitmask
            (v128.or
              (v128.or (i8x16.eq (local.get $v) (local.get $quote)) (i8x16.eq (local.get $v) (local.get $slash)))
              (i8x16.lt_u (local.get $v) (local.get $space)))))
        (block $emitted
          (loop $emit
            (br_if $emitted (i32.eqz (local.get $bits)))
            (if (i32.ge_u (local.get $n) (local.get $cap)) (then (return (i32.const -1))))
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
              (i32.sub (i32.add (local.get $i) (i32.ctz (local.get $bits))) (local.get $start)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
            (br $emit)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
    ;; The last few bytes one at a time.
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $bits (i32.load8_u (local.get $i)))
        (if (i32.or (i32.or (i32.eq (local.get $bits) (i32.const 0x22)) (i32.eq (local.get $bits) (i32.const 0x5c)))
                    (i32.lt_u (local.get $bits) (i32.const 0x20)))
          (then
            (if (i32.ge_u (local.get $n) (local.get $cap)) (then (return (i32.const -1))))
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (i32.sub (local.get $i) (local.get $start)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $n)))
