;; MLflow metric lines (`timestamp value [step [extra…]]`) and the decimal numbers in them, in WebAssembly.
;;
;; An MLflow store is millions of such lines; turning their digits into doubles is most of a cold index.
;; Numbers are parsed exactly (correctly rounded, as `Number()` would): Clinger's fast path when the digits
;; fit a double and the power of ten is exact, else the Eisel–Lemire algorithm on a 64-bit mantissa with a
;; 128-bit table of powers of five. Whatever it cannot settle for certain — more than 19 significant
;; digits, subnormals, halfway cases, words like `nan`, any line not in the usual shape — comes back as a
;; DEFER entry and the JavaScript reader (lines.ts, mlflow.ts) parses that line, so the result is always
;; the JavaScript reader's.
;;
;; Memory (byte addresses):
;;   0      powers of five for q in [-342, 308]: 651 × (u64 high, u64 low), normalized (written by the host)
;;   12288  exact powers of ten 1e0..1e22 as doubles (written by the host)
;;   16384  output, as columns of up to 32768 entries, one entry per non-empty line:
;;            16384 f64 times, 278528 f64 values, 540672 f64 steps (a deferred line's entry is left unset)
;;   802816 deferred lines, 16 bytes each: u32 entry, u32 line index (from the scan's first line),
;;            u32 start, u32 end — the line [start, end) is the JavaScript reader's
;;   1376256 input (the host grows memory for lines longer than the buffer)
;;
;; scan(pos, end) reads the complete lines in [pos, end) and returns 0 when only an unterminated tail (or
;; nothing) is left, 1 when the output is full; `scanPos` is the start of the first line not consumed and
;; `lines` the number of lines consumed (empty ones included).
(module
  (memory (export "memory") 40)

  (global $scanPos (export "scanPos") (mut i32) (i32.const 0))
  (global $outCount (export "outCount") (mut i32) (i32.const 0))
  (global $deferCount (export "deferCount") (mut i32) (i32.const 0))
  (global $lines (export "lines") (mut i32) (i32.const 0))
  ;; The number parser: 0 a number, 1 not settled here (the line is deferred).
  (global $defer (mut i32) (i32.const 0))
  ;; Where the last number parsed stopped: the first byte that does not continue it.
  (global $numEnd (mut i32) (i32.const 0))
  ;; High half of the last 64 × 64-bit product.
  (global $hi (mut i64) (i64.const 0))

  ;; a × b as 128 bits: returns the low half, leaves the high half in $hi.
  (func $mul128 (param $a i64) (param $b i64) (result i64)
    (local $al i64) (local $ah i64) (local $bl i64) (local $bh i64) (local $p0 i64) (local $p1 i64) (local $p2 i64) (local $mid i64)
    (local.set $al (i64.and (local.get $a) (i64.const 0xffffffff)))
    (local.set $ah (i64.shr_u (local.get $a) (i64.const 32)))
    (local.set $bl (i64.and (local.get $b) (i64.const 0xffffffff)))
    (local.set $bh (i64.shr_u (local.get $b) (i64.const 32)))
    (local.set $p0 (i64.mul (local.get $al) (local.get $bl)))
    (local.set $p1 (i64.mul (local.get $al) (local.get $bh)))
    (local.set $p2 (i64.mul (local.get $ah) (local.get $bl)))
    (local.set $mid
      (i64.add
        (i64.add (i64.shr_u (local.get $p0) (i64.const 32)) (i64.and (local.get $p1) (i64.const 0xffffffff)))
        (i64.and (local.get $p2) (i64.const 0xffffffff))))
    (global.set $hi
      (i64.add
        (i64.add (i64.mul (local.get $ah) (local.get $bh)) (i64.shr_u (local.get $p1) (i64.const 32)))
        (i64.add (i64.shr_u (local.get $p2) (i64.const 32)) (i64.shr_u (local.get $mid) (i64.const 32)))))
    (i64.or (i64.and (local.get $p0) (i64.const 0xffffffff)) (i64.shl (local.get $mid) (i64.const 32))))

  ;; w × 10^q for w > 0, correctly rounded (Eisel–Lemire, the conservative 64-bit form of Lemire's
  ;; fast_double_parser); sets $defer when the answer cannot be certain here.
  (func $eiselLemire (param $w i64) (param $q i32) (result f64)
    (local $lz i64) (local $t i32) (local $lower i64) (local $upper i64) (local $pl i64) (local $ph i64) (local $middle i64)
    (local $upperbit i64) (local $mantissa i64) (local $exponent i64)
    (if (i32.or (i32.lt_s (local.get $q) (i32.const -342)) (i32.gt_s (local.get $q) (i32.const 308)))
      (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
    (local.set $t (i32.shl (i32.add (local.get $q) (i32.const 342)) (i32.const 4)))
    (local.set $exponent
      (i64.add (i64.shr_s (i64.mul (i64.const 217706) (i64.extend_i32_s (local.get $q))) (i64.const 16)) (i64.const 1087)))
    (local.set $lz (i64.clz (local.get $w)))
    (local.set $w (i64.shl (local.get $w) (local.get $lz)))
    (local.set $lower (call $mul128 (local.get $w) (i64.load (local.get $t))))
    (local.set $upper (global.get $hi))
    (if (i32.and
          (i64.eq (i64.and (local.get $upper) (i64.const 0x1ff)) (i64.const 0x1ff))
          (i64.lt_u (i64.add (local.get $lower) (local.get $w)) (local.get $lower)))
      (then
        ;; The truncated high half is not enough: bring in the table's low half.
        (local.set $pl (call $mul128 (local.get $w) (i64.load offset=8 (local.get $t))))
        (local.set $ph (global.get $hi))
        (local.set $middle (i64.add (local.get $lower) (local.get $ph)))
        (if (i64.lt_u (local.get $middle) (local.get $lower))
          (then (local.set $upper (i64.add (local.get $upper) (i64.const 1)))))
        (if (i32.and
              (i32.and
                (i64.eq (i64.add (local.get $middle) (i64.const 1)) (i64.const 0))
                (i64.eq (i64.and (local.get $upper) (i64.const 0x1ff)) (i64.const 0x1ff)))
              (i64.lt_u (i64.add (local.get $pl) (local.get $w)) (local.get $pl)))
          (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
        (local.set $lower (local.get $middle))))
    (local.set $upperbit (i64.shr_u (local.get $upper) (i64.const 63)))
    (local.set $mantissa (i64.shr_u (local.get $upper) (i64.add (local.get $upperbit) (i64.const 9))))
    (local.set $lz (i64.add (local.get $lz) (i64.xor (local.get $upperbit) (i64.const 1))))
    (local.set $exponent (i64.sub (local.get $exponent) (local.get $lz)))
    ;; Subnormals, and products too close to a halfway point to round with certainty, are JavaScript's.
    (if (i32.or
          (i64.lt_s (local.get $exponent) (i64.const 1))
          (i32.or
            (i64.eq (i64.and (local.get $upper) (i64.const 0x1ff)) (i64.const 0x1ff))
            (i32.and
              (i64.eqz (i64.and (local.get $upper) (i64.const 0x1ff)))
              (i64.eq (i64.and (local.get $mantissa) (i64.const 3)) (i64.const 1)))))
      (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
    (local.set $mantissa (i64.add (local.get $mantissa) (i64.and (local.get $mantissa) (i64.const 1))))
    (local.set $mantissa (i64.shr_u (local.get $mantissa) (i64.const 1)))
    (if (i64.ge_u (local.get $mantissa) (i64.const 0x20000000000000))
      (then
        (local.set $mantissa (i64.const 0x10000000000000))
        (local.set $exponent (i64.add (local.get $exponent) (i64.const 1)))))
    (local.set $mantissa (i64.and (local.get $mantissa) (i64.const 0xfffffffffffff)))
    (if (i64.gt_s (local.get $exponent) (i64.const 2046))
      (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
    (f64.reinterpret_i64 (i64.or (local.get $mantissa) (i64.shl (local.get $exponent) (i64.const 52)))))

  ;; The decimal number [+-]digits[.digits][(e|E)[+-]digits] that starts at s; sets $numEnd to the byte
  ;; after it (the caller checks what follows) and $defer when it is not one, or not one to settle here.
  ;; Every number ends before a byte that cannot continue it — a space, a line end, or the 0 that scan puts
  ;; after its input — so the digit loops check no bound: they are most of an MLflow store's cold index.
  ;; Leading zeros count among the digits here; more than 19 digits go to $numberLong.
  (func $number (param $s i32) (param $e i32) (result f64)
    (local $p i32) (local $c i32) (local $c2 i32) (local $neg i32) (local $w i64) (local $digits i32) (local $q i32) (local $from i32)
    (local $eneg i32) (local $x i32) (local $xs i32) (local $v f64)
    (local.set $p (local.get $s))
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.or (i32.eq (local.get $c) (i32.const 45)) (i32.eq (local.get $c) (i32.const 43)))
      (then
        (local.set $neg (i32.eq (local.get $c) (i32.const 45)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (local.set $from (local.get $p))
    (block $int_done
      (loop $int
        (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (br_if $int_done (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $c2 (i32.sub (i32.load8_u offset=1 (local.get $p)) (i32.const 48)))
        (if (i32.gt_u (local.get $c2) (i32.const 9))
          (then
            (local.set $w (i64.add (i64.mul (local.get $w) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $int_done)))
        (local.set $w (i64.add (i64.mul (local.get $w) (i64.const 100))
          (i64.extend_i32_u (i32.add (i32.mul (local.get $c) (i32.const 10)) (local.get $c2)))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $int)))
    (local.set $digits (i32.sub (local.get $p) (local.get $from)))
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 46))
      (then
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $from (local.get $p))
        (block $frac_done
          (loop $frac
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
            (br_if $frac_done (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $c2 (i32.sub (i32.load8_u offset=1 (local.get $p)) (i32.const 48)))
            (if (i32.gt_u (local.get $c2) (i32.const 9))
              (then
                (local.set $w (i64.add (i64.mul (local.get $w) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $frac_done)))
            (local.set $w (i64.add (i64.mul (local.get $w) (i64.const 100))
              (i64.extend_i32_u (i32.add (i32.mul (local.get $c) (i32.const 10)) (local.get $c2)))))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br $frac)))
        (local.set $q (i32.sub (local.get $from) (local.get $p)))
        (local.set $digits (i32.sub (local.get $digits) (local.get $q)))))
    (if (i32.eqz (local.get $digits))
      (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
    (if (i32.gt_u (local.get $digits) (i32.const 19))
      (then (return (call $numberLong (local.get $s) (local.get $e)))))
    (if (i32.eq (i32.or (i32.load8_u (local.get $p)) (i32.const 32)) (i32.const 101)) ;; e or E
      (then
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 45)) (i32.eq (local.get $c) (i32.const 43)))
          (then
            (local.set $eneg (i32.eq (local.get $c) (i32.const 45)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (local.set $xs (local.get $p))
        (block $exp_done
          (loop $exp
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
            (br_if $exp_done (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 10)) (local.get $c)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            ;; Four digits already put any mantissa beyond the double range: leave those to JavaScript.
            (if (i32.gt_u (i32.sub (local.get $p) (local.get $xs)) (i32.const 4))
              (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
            (br $exp)))
        (if (i32.eq (local.get $p) (local.get $xs))
          (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
        (local.set $q (if (result i32) (local.get $eneg)
          (then (i32.sub (local.get $q) (local.get $x)))
          (else (i32.add (local.get $q) (local.get $x)))))))
    (global.set $numEnd (local.get $p))
    (if (i64.eqz (local.get $w))
      (then (return (if (result f64) (local.get $neg) (then (f64.const -0)) (else (f64.const 0))))))
    ;; Clinger: both the mantissa and the power of ten are exact doubles, so one operation rounds once.
    (if (i32.and
          (i64.lt_u (local.get $w) (i64.const 0x20000000000000))
          (i32.and (i32.ge_s (local.get $q) (i32.const -22)) (i32.le_s (local.get $q) (i32.const 22))))
      (then
        (local.set $v
          (if (result f64) (i32.lt_s (local.get $q) (i32.const 0))
            (then (f64.div (f64.convert_i64_u (local.get $w)) (f64.load offset=12288 (i32.shl (i32.sub (i32.const 0) (local.get $q)) (i32.const 3)))))
            (else (f64.mul (f64.convert_i64_u (local.get $w)) (f64.load offset=12288 (i32.shl (local.get $q) (i32.const 3)))))))
        (return (if (result f64) (local.get $neg) (then (f64.neg (local.get $v))) (else (local.get $v))))))
    (local.set $v (call $eiselLemire (local.get $w) (local.get $q)))
    (if (result f64) (local.get $neg) (then (f64.neg (local.get $v))) (else (local.get $v))))

  ;; $number for a mantissa of more than 19 digits, leading zeros included (0.000001234567890123456): the
  ;; same number, read with the leading zeros left out of the 19 a u64 holds and no further than e.
  (func $numberLong (param $s i32) (param $e i32) (result f64)
    (local $p i32) (local $c i32) (local $neg i32) (local $w i64) (local $digits i32) (local $q i32) (local $any i32)
    (local $eneg i32) (local $x i32) (local $xs i32) (local $v f64)
    (local.set $p (local.get $s))
    (if (i32.ge_u (local.get $p) (local.get $e)) (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.or (i32.eq (local.get $c) (i32.const 45)) (i32.eq (local.get $c) (i32.const 43)))
      (then
        (local.set $neg (i32.eq (local.get $c) (i32.const 45)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    ;; Integer digits: leading zeros do not count towards the 19 a u64 holds.
    (block $int_done
      (loop $int
        (br_if $int_done (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (br_if $int_done (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $any (i32.const 1))
        (if (i32.or (local.get $digits) (local.get $c))
          (then
            (local.set $w (i64.add (i64.mul (local.get $w) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
            (local.set $digits (i32.add (local.get $digits) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $int)))
    (if (i32.and (i32.lt_u (local.get $p) (local.get $e)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 46)))
      (then
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (block $frac_done
          (loop $frac
            (br_if $frac_done (i32.ge_u (local.get $p) (local.get $e)))
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
            (br_if $frac_done (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $any (i32.const 1))
            (if (i32.or (local.get $digits) (local.get $c))
              (then
                (local.set $w (i64.add (i64.mul (local.get $w) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
                (local.set $digits (i32.add (local.get $digits) (i32.const 1)))))
            (local.set $q (i32.sub (local.get $q) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $frac)))))
    (if (i32.or (i32.eqz (local.get $any)) (i32.gt_u (local.get $digits) (i32.const 19)))
      (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
    (if (i32.and (i32.lt_u (local.get $p) (local.get $e)) (i32.eq (i32.or (i32.load8_u (local.get $p)) (i32.const 32)) (i32.const 101))) ;; e or E
      (then
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.lt_u (local.get $p) (local.get $e))
          (then
            (local.set $c (i32.load8_u (local.get $p)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 45)) (i32.eq (local.get $c) (i32.const 43)))
              (then
                (local.set $eneg (i32.eq (local.get $c) (i32.const 45)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))))))
        (local.set $xs (local.get $p))
        (block $exp_done
          (loop $exp
            (br_if $exp_done (i32.ge_u (local.get $p) (local.get $e)))
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
            (br_if $exp_done (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 10)) (local.get $c)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            ;; Four digits already put any mantissa beyond the double range: leave those to JavaScript.
            (if (i32.gt_u (i32.sub (local.get $p) (local.get $xs)) (i32.const 4))
              (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
            (br $exp)))
        (if (i32.eq (local.get $p) (local.get $xs))
          (then (global.set $defer (i32.const 1)) (return (f64.const 0))))
        (local.set $q (if (result i32) (local.get $eneg)
          (then (i32.sub (local.get $q) (local.get $x)))
          (else (i32.add (local.get $q) (local.get $x)))))))
    (global.set $numEnd (local.get $p))
    (if (i64.eqz (local.get $w))
      (then (return (if (result f64) (local.get $neg) (then (f64.const -0)) (else (f64.const 0))))))
    ;; Clinger: both the mantissa and the power of ten are exact doubles, so one operation rounds once.
    (if (i32.and
          (i64.lt_u (local.get $w) (i64.const 0x20000000000000))
          (i32.and (i32.ge_s (local.get $q) (i32.const -22)) (i32.le_s (local.get $q) (i32.const 22))))
      (then
        (local.set $v
          (if (result f64) (i32.lt_s (local.get $q) (i32.const 0))
            (then (f64.div (f64.convert_i64_u (local.get $w)) (f64.load offset=12288 (i32.shl (i32.sub (i32.const 0) (local.get $q)) (i32.const 3)))))
            (else (f64.mul (f64.convert_i64_u (local.get $w)) (f64.load offset=12288 (i32.shl (local.get $q) (i32.const 3)))))))
        (return (if (result f64) (local.get $neg) (then (f64.neg (local.get $v))) (else (local.get $v))))))
    (local.set $v (call $eiselLemire (local.get $w) (local.get $q)))
    (if (result f64) (local.get $neg) (then (f64.neg (local.get $v))) (else (local.get $v))))

  ;; Next space in [p, e), or e.
  (func $space (param $p i32) (param $e i32) (result i32)
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $p) (local.get $e)))
        (br_if $found (i32.eq (i32.load8_u (local.get $p)) (i32.const 32)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scan)))
    (local.get $p))

  (func $point (param $time f64) (param $value f64) (param $step f64)
    (local $o i32)
    (local.set $o (i32.shl (global.get $outCount) (i32.const 3)))
    (f64.store offset=16384 (local.get $o) (local.get $time))
    (f64.store offset=278528 (local.get $o) (local.get $value))
    (f64.store offset=540672 (local.get $o) (local.get $step))
    (global.set $outCount (i32.add (global.get $outCount) (i32.const 1))))

  (func $deferLine (param $line i32) (param $s i32) (param $e i32)
    (local $o i32)
    (local.set $o (i32.shl (global.get $deferCount) (i32.const 4)))
    (i32.store offset=802816 (local.get $o) (global.get $outCount))
    (i32.store offset=802820 (local.get $o) (local.get $line))
    (i32.store offset=802824 (local.get $o) (local.get $s))
    (i32.store offset=802828 (local.get $o) (local.get $e))
    (global.set $deferCount (i32.add (global.get $deferCount) (i32.const 1)))
    (global.set $outCount (i32.add (global.get $outCount) (i32.const 1))))

  (func (export "scan") (param $pos i32) (param $end i32) (result i32)
    (local $nl i32) (local $e i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $time f64) (local $value f64) (local $step f64)
    (local $status i32) (local $p i32)
    (global.set $outCount (i32.const 0))
    (global.set $deferCount (i32.const 0))
    (global.set $lines (i32.const 0))
    ;; The byte after the input (slack the host leaves) stops any number at the input's end.
    (i32.store8 (local.get $end) (i32.const 0))
    (block $exit
      (loop $line
        (if (i32.ge_u (global.get $outCount) (i32.const 32768)) (then (local.set $status (i32.const 1)) (br $exit)))
        ;; The usual line, `time value step\n`, read in one pass: each number is parsed where it starts and
        ;; must be followed by the expected byte. Any other line is read again below, field by field.
        (block $slow
          (global.set $defer (i32.const 0))
          (local.set $time (call $number (local.get $pos) (local.get $end)))
          (local.set $p (global.get $numEnd))
          (br_if $slow (i32.or (global.get $defer) (i32.ge_u (local.get $p) (local.get $end))))
          (br_if $slow (i32.ne (i32.load8_u (local.get $p)) (i32.const 32)))
          (local.set $value (call $number (i32.add (local.get $p) (i32.const 1)) (local.get $end)))
          (local.set $p (global.get $numEnd))
          (br_if $slow (i32.or (global.get $defer) (i32.ge_u (local.get $p) (local.get $end))))
          (br_if $slow (i32.ne (i32.load8_u (local.get $p)) (i32.const 32)))
          (local.set $step (call $number (i32.add (local.get $p) (i32.const 1)) (local.get $end)))
          (local.set $p (global.get $numEnd))
          (br_if $slow (i32.or (global.get $defer) (i32.ge_u (local.get $p) (local.get $end))))
          (br_if $slow (i32.ne (i32.load8_u (local.get $p)) (i32.const 10)))
          (call $point (local.get $time) (local.get $value) (local.get $step))
          (global.set $lines (i32.add (global.get $lines) (i32.const 1)))
          (local.set $pos (i32.add (local.get $p) (i32.const 1)))
          (br $line))
        ;; The line's end: the next newline, else the tail waits for more bytes.
        (local.set $nl (local.get $pos))
        (block $found
          (loop $find
            (br_if $exit (i32.ge_u (local.get $nl) (local.get $end)))
            (br_if $found (i32.eq (i32.load8_u (local.get $nl)) (i32.const 10)))
            (local.set $nl (i32.add (local.get $nl) (i32.const 1)))
            (br $find)))
        (local.set $e (local.get $nl))
        (if (i32.and (i32.gt_u (local.get $nl) (local.get $pos)) (i32.eq (i32.load8_u (i32.sub (local.get $nl) (i32.const 1))) (i32.const 13)))
          (then (local.set $e (i32.sub (local.get $nl) (i32.const 1)))))
        (if (i32.ne (local.get $e) (local.get $pos))
          (then
            (global.set $defer (i32.const 0))
            (local.set $s1 (call $space (local.get $pos) (local.get $e)))
            (if (i32.ge_u (local.get $s1) (local.get $e)) (then (global.set $defer (i32.const 1))))
            (local.set $s2 (call $space (i32.add (local.get $s1) (i32.const 1)) (local.get $e)))
            (local.set $s3 (call $space (i32.add (local.get $s2) (i32.const 1)) (local.get $e)))
            (if (i32.eqz (global.get $defer))
              (then
                ;; Each field must be one number to its end.
                (local.set $time (call $number (local.get $pos) (local.get $s1)))
                (if (i32.ne (global.get $numEnd) (local.get $s1)) (then (global.set $defer (i32.const 1))))
                (local.set $value (call $number (i32.add (local.get $s1) (i32.const 1)) (local.get $s2)))
                (if (i32.ne (global.get $numEnd) (local.get $s2)) (then (global.set $defer (i32.const 1))))
                (local.set $step
                  (if (result f64) (i32.lt_u (local.get $s2) (local.get $e))
                    (then (call $number (i32.add (local.get $s2) (i32.const 1)) (local.get $s3)))
                    (else (global.set $numEnd (local.get $s3)) (f64.const 0))))
                (if (i32.ne (global.get $numEnd) (local.get $s3)) (then (global.set $defer (i32.const 1))))))
            (if (global.get $defer)
              (then (call $deferLine (global.get $lines) (local.get $pos) (local.get $e)))
              (else (call $point (local.get $time) (local.get $value) (local.get $step))))))
        (global.set $lines (i32.add (global.get $lines) (i32.const 1)))
        (local.set $pos (i32.add (local.get $nl) (i32.const 1)))
        (br $line)))
    (global.set $scanPos (local.get $pos))
    (local.get $status))
)
