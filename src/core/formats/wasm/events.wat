;; TFRecord framing, CRC-32C and the common shape of TensorBoard Event records, in WebAssembly.
;;
;; The hottest path of indexing: a 150 MB event file holds millions of ~40-byte records, each with two
;; masked CRC-32C checks and a nested Event → Summary → Value message. JavaScript pays per call and per
;; byte; here one `scan` walks a whole buffer of records.
;;
;; It is a fast path, never a second decoder with its own rules: a record it does not fully understand (any
;; wire type it does not expect, plugin metadata, tensors other than float/double scalars, steps beyond
;; 2^53, a summary with more values than the output has room for) comes back as a RECORD entry, and the
;; JavaScript decoder in tensorboard.ts reads it — the same decoder the fast path is tested against.
;;
;; Memory (byte addresses):
;;   0      CRC-32C slicing-by-8 tables T0..T7, 256 × u32 each (written by the host at start-up)
;;   8192   tag hash slots: 4096 × (u32 hash, u32 id + 1)
;;   40960  tag by id: 4096 × (u32 arena address, u32 length)
;;   73728  tag arena (256 KiB): each distinct tag's bytes, once
;;   393216 output entries: 16384 × 40 bytes
;;            +0 u32 kind, +4 u32 a, +8 u32 b, +12 u32 record address, +16 f64 step, +24 f64 wall, +32 f64 value
;;            SCALAR (1): a = tag id, b = 1 when the value came from a tensor
;;            RECORD (2): a, b = the payload's [start, end) — decode it in JavaScript
;;            BAD_CRC (3): the payload fails its CRC; the record is skipped
;;   1048576 input: the file's bytes (the host grows memory for records larger than the buffer)
;;
;; scan(pos, end, mode) walks records from `pos` to `end` (mode 1: check CRCs, 2: decode events) and
;; returns why it stopped: 0 the next record is incomplete (`need` = bytes it needs from `scanPos`),
;; 1 the output is full, 2 a length fails its CRC, 3 a length is too large. `scanPos` is where it stopped.
(module
  (memory (export "memory") 96)

  (global $scanPos (export "scanPos") (mut i32) (i32.const 0))
  (global $outCount (export "outCount") (mut i32) (i32.const 0))
  (global $need (export "need") (mut i32) (i32.const 0))
  (global $records (export "records") (mut i32) (i32.const 0))
  (global $minWall (export "minWall") (mut f64) (f64.const inf))
  (global $maxWall (export "maxWall") (mut f64) (f64.const -inf))
  (global $tagCount (export "tagCount") (mut i32) (i32.const 0))
  (global $arenaTop (mut i32) (i32.const 73728))
  ;; The reader: position, end of the last length-delimited field, and whether the record left the fast path.
  (global $rp (mut i32) (i32.const 0))
  (global $le (mut i32) (i32.const 0))
  (global $bad (mut i32) (i32.const 0))

  (func $crc (param $p i32) (param $end i32) (result i32)
    (local $c i32) (local $a i32) (local $b i32) (local $end8 i32)
    (local.set $c (i32.const -1))
    (local.set $end8 (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const 7))))
    (block $done8
      (loop $step8
        (br_if $done8 (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $a (i32.xor (i32.load (local.get $p)) (local.get $c)))
        (local.set $b (i32.load offset=4 (local.get $p)))
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.xor
                (i32.load offset=7168 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2)))
                (i32.load offset=6144 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=5120 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2)))))
            (i32.xor
              (i32.xor
                (i32.load offset=3072 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2)))
                (i32.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=1024 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 2)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $step8)))
    ;; Event records are tens of bytes: one 4-byte step before the last bytes saves most of the tail.
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $p)) (i32.const 4))
      (then
        (local.set $a (i32.xor (i32.load (local.get $p)) (local.get $c)))
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.load offset=3072 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2)))
              (i32.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 2))))
            (i32.xor
              (i32.load offset=1024 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 2)))
              (i32.load (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))))
    (block $done1
      (loop $step1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $step1)))
    (i32.xor (local.get $c) (i32.const -1)))

  ;; The CRC-32C of [p, end) (for tests; scan masks it as TFRecord does: rotated right 15, plus 0xa282ead8).
  (func (export "crc32c") (param $p i32) (param $end i32) (result i32)
    (call $crc (local.get $p) (local.get $end)))

  ;; A varint at $rp (at most 10 bytes, before `end`); sets $bad when it does not fit.
  (func $varint (param $end i32) (result i64)
    (local $r i64) (local $shift i64) (local $b i32) (local $n i32)
    (block $out
      (loop $more
        (if (i32.or (i32.ge_u (global.get $rp) (local.get $end)) (i32.ge_u (local.get $n) (i32.const 10)))
          (then (global.set $bad (i32.const 1)) (br $out)))
        (local.set $b (i32.load8_u (global.get $rp)))
        (global.set $rp (i32.add (global.get $rp) (i32.const 1)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $r (i64.or (local.get $r) (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 127))) (local.get $shift))))
        (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
        (br_if $more (i32.ge_u (local.get $b) (i32.const 128)))))
    (local.get $r))

  ;; A field key; keys beyond 32 bits leave the fast path.
  (func $key (param $end i32) (result i32)
    (local $k i64)
    (if (i32.lt_u (global.get $rp) (local.get $end))
      (then
        (if (i32.lt_u (i32.load8_u (global.get $rp)) (i32.const 128))
          (then
            (global.set $rp (i32.add (global.get $rp) (i32.const 1)))
            (return (i32.load8_u (i32.sub (global.get $rp) (i32.const 1))))))))
    (local.set $k (call $varint (local.get $end)))
    (if (i64.gt_u (local.get $k) (i64.const 0xffffffff)) (then (global.set $bad (i32.const 1))))
    (i32.wrap_i64 (local.get $k)))

  ;; A length-delimited payload: returns its start, leaves its end in $le and $rp past it.
  (func $len (param $end i32) (result i32)
    (local $n i64) (local $start i32) (local $b i32)
    (if (i32.lt_u (global.get $rp) (local.get $end))
      (then
        (local.set $b (i32.load8_u (global.get $rp)))
        (if (i32.lt_u (local.get $b) (i32.const 128))
          (then
            (local.set $start (i32.add (global.get $rp) (i32.const 1)))
            (global.set $le (i32.add (local.get $start) (local.get $b)))
            (if (i32.gt_u (global.get $le) (local.get $end))
              (then (global.set $bad (i32.const 1)) (return (local.get $start))))
            (global.set $rp (global.get $le))
            (return (local.get $start))))))
    (local.set $n (call $varint (local.get $end)))
    (local.set $start (global.get $rp))
    (if (i64.gt_u (local.get $n) (i64.extend_i32_u (i32.sub (local.get $end) (local.get $start))))
      (then (global.set $bad (i32.const 1)) (return (local.get $start))))
    (global.set $le (i32.add (local.get $start) (i32.wrap_i64 (local.get $n))))
    (global.set $rp (global.get $le))
    (local.get $start))

  ;; Advances $rp by `n` fixed bytes.
  (func $fixed (param $n i32) (param $end i32)
    (if (i32.gt_u (local.get $n) (i32.sub (local.get $end) (global.get $rp)))
      (then (global.set $bad (i32.const 1)))
      (else (global.set $rp (i32.add (global.get $rp) (local.get $n))))))

  (func $skip (param $wire i32) (param $end i32)
    (local $ignored i64) (local $ignored32 i32)
    (block $unknown
      (block $i32
        (block $len
          (block $i64
            (block $varint
              (br_table $varint $i64 $len $unknown $unknown $i32 $unknown (local.get $wire)))
            (local.set $ignored (call $varint (local.get $end)))
            (return))
          (call $fixed (i32.const 8) (local.get $end))
          (return))
        (local.set $ignored32 (call $len (local.get $end)))
        (return))
      (call $fixed (i32.const 4) (local.get $end))
      (return))
    (global.set $bad (i32.const 1)))

;; Whether the `len` bytes at a and b are equal, compared 8 at a time (reads up to 7 bytes past each end,
  ;; which the layout keeps inside memory).
  (func $same (param $a i32) (param $b i32) (param $len i32) (result i32)
    (local $i i32)
    (block $tail
      (loop $words
        (br_if $tail (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $len)))
        (if (i64.ne (i64.load (i32.add (local.get $a) (local.get $i))) (i64.load (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $words)))
    (i64.eqz
      (i64.and
        (i64.xor (i64.load (i32.add (local.get $a) (local.get $i))) (i64.load (i32.add (local.get $b) (local.get $i))))
        (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (i32.sub (local.get $len) (local.get $i)) (i32.const 3)))) (i64.const 1)))))

  ;; The id of the tag in [s, e), adding it when new; -1 when the table or arena is full.
  (func $tag (param $s i32) (param $e i32) (result i32)
    (local $k i64) (local $h i32) (local $slot i32) (local $id i32) (local $len i32) (local $addr i32) (local $i i32)
    (local.set $len (i32.sub (local.get $e) (local.get $s)))
    ;; Hash of the first and last 8 bytes and the length (a short tag's bytes beyond its end masked off).
    (if (i32.ge_u (local.get $len) (i32.const 8))
      (then (local.set $k (i64.xor (i64.load (local.get $s)) (i64.rotl (i64.load (i32.sub (local.get $e) (i32.const 8))) (i64.const 29)))))
      (else
        (local.set $k
          (i64.and (i64.load (local.get $s))
            (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (local.get $len) (i32.const 3)))) (i64.const 1))))))
    (local.set $k (i64.mul (i64.xor (local.get $k) (i64.extend_i32_u (local.get $len))) (i64.const 0x9E3779B97F4A7C15)))
    (local.set $h (i32.wrap_i64 (i64.shr_u (local.get $k) (i64.const 32))))
    (local.set $slot (i32.and (local.get $h) (i32.const 4095)))
    (loop $probe
      (local.set $id (i32.load offset=8196 (i32.shl (local.get $slot) (i32.const 3))))
      (if (i32.eqz (local.get $id))
        (then
          ;; New tag: keep its bytes when there is room (three quarters of the slots at most).
          (if (i32.or
                (i32.ge_u (global.get $tagCount) (i32.const 3072))
                (i32.gt_u (local.get $len) (i32.sub (i32.const 335872) (global.get $arenaTop))))
            (then (return (i32.const -1))))
          (local.set $addr (global.get $arenaTop))
          (local.set $i (i32.const 0))
          (block $copied
            (loop $copy
              (br_if $copied (i32.ge_u (local.get $i) (local.get $len)))
              (i32.store8 (i32.add (local.get $addr) (local.get $i)) (i32.load8_u (i32.add (local.get $s) (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $copy)))
          (global.set $arenaTop (i32.add (local.get $addr) (local.get $len)))
          (local.set $id (global.get $tagCount))
          (i32.store offset=40960 (i32.shl (local.get $id) (i32.const 3)) (local.get $addr))
          (i32.store offset=40964 (i32.shl (local.get $id) (i32.const 3)) (local.get $len))
          (i32.store offset=8192 (i32.shl (local.get $slot) (i32.const 3)) (local.get $h))
          (i32.store offset=8196 (i32.shl (local.get $slot) (i32.const 3)) (i32.add (local.get $id) (i32.const 1)))
          (global.set $tagCount (i32.add (local.get $id) (i32.const 1)))
          (return (local.get $id))))
      (local.set $id (i32.sub (local.get $id) (i32.const 1)))
      (if (i32.and
            (i32.eq (i32.load offset=8192 (i32.shl (local.get $slot) (i32.const 3))) (local.get $h))
            (i32.eq (i32.load offset=40964 (i32.shl (local.get $id) (i32.const 3))) (local.get $len)))
        (then
          (if (call $same (i32.load offset=40960 (i32.shl (local.get $id) (i32.const 3))) (local.get $s) (local.get $len))
            (then (return (local.get $id))))))
      (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (i32.const 4095)))
      (br $probe))
    (i32.const -1))

  ;; Appends an output entry; returns 0 when the output is full.
  (func $emit (param $kind i32) (param $a i32) (param $b i32) (param $rec i32) (param $step f64) (param $wall f64) (param $value f64) (result i32)
    (local $o i32)
    (if (i32.ge_u (global.get $outCount) (i32.const 16384)) (then (return (i32.const 0))))
    (local.set $o (i32.add (i32.const 393216) (i32.mul (global.get $outCount) (i32.const 40))))
    (i32.store (local.get $o) (local.get $kind))
    (i32.store offset=4 (local.get $o) (local.get $a))
    (i32.store offset=8 (local.get $o) (local.get $b))
    (i32.store offset=12 (local.get $o) (local.get $rec))
    (f64.store offset=16 (local.get $o) (local.get $step))
    (f64.store offset=24 (local.get $o) (local.get $wall))
    (f64.store offset=32 (local.get $o) (local.get $value))
    (global.set $outCount (i32.add (global.get $outCount) (i32.const 1)))
    (i32.const 1))

  ;; TensorProto of a float or double scalar (no dims): sets $bad for anything else. Returns the value, or
  ;; NaN with $le = 0 when the tensor holds no value (the JavaScript decoder then emits nothing either).
  (global $hasValue (mut i32) (i32.const 0))
  (func $tensor (param $s i32) (param $e i32) (result f64)
    (local $key i32) (local $dtype i64) (local $cs i32) (local $ce i32) (local $first f64) (local $has i32) (local $fs i32)
    (local.set $cs (i32.const -1))
    (global.set $rp (local.get $s))
    (block $done
      (loop $fields
        (br_if $done (i32.ge_u (global.get $rp) (local.get $e)))
        (local.set $key (call $key (local.get $e)))
        (br_if $done (global.get $bad))
        (block $next
          (if (i32.eq (local.get $key) (i32.const 0x08)) ;; dtype
            (then (local.set $dtype (call $varint (local.get $e))) (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x12)) ;; tensor_shape: only the empty one (a scalar)
            (then
              (local.set $fs (call $len (local.get $e)))
              (if (i32.ne (global.get $le) (local.get $fs)) (then (global.set $bad (i32.const 1))))
              (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x22)) ;; tensor_content
            (then (local.set $cs (call $len (local.get $e))) (local.set $ce (global.get $le)) (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x2d)) ;; float_val, one
            (then
              (local.set $fs (global.get $rp))
              (call $fixed (i32.const 4) (local.get $e))
              (if (i32.and (i32.eqz (global.get $bad)) (i32.eqz (local.get $has)))
                (then (local.set $first (f64.promote_f32 (f32.load (local.get $fs)))) (local.set $has (i32.const 1))))
              (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x2a)) ;; float_val, packed
            (then
              (local.set $fs (call $len (local.get $e)))
              (if (i32.and (i32.sub (global.get $le) (local.get $fs)) (i32.const 3)) (then (global.set $bad (i32.const 1))))
              (if (i32.and (i32.eqz (local.get $has)) (i32.gt_u (global.get $le) (local.get $fs)))
                (then (local.set $first (f64.promote_f32 (f32.load (local.get $fs)))) (local.set $has (i32.const 1))))
              (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x31)) ;; double_val, one
            (then
              (local.set $fs (global.get $rp))
              (call $fixed (i32.const 8) (local.get $e))
              (if (i32.and (i32.eqz (global.get $bad)) (i32.eqz (local.get $has)))
                (then (local.set $first (f64.load (local.get $fs))) (local.set $has (i32.const 1))))
              (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x32)) ;; double_val, packed
            (then
              (local.set $fs (call $len (local.get $e)))
              (if (i32.and (i32.sub (global.get $le) (local.get $fs)) (i32.const 7)) (then (global.set $bad (i32.const 1))))
              (if (i32.and (i32.eqz (local.get $has)) (i32.gt_u (global.get $le) (local.get $fs)))
                (then (local.set $first (f64.load (local.get $fs))) (local.set $has (i32.const 1))))
              (br $next)))
          ;; Any other value field (half, int, int64, bool, string…), or a known field with another wire
          ;; type, is the JavaScript decoder's.
          (if (i32.or
                (i32.or (i32.eq (i32.shr_u (local.get $key) (i32.const 3)) (i32.const 7)) (i32.eq (i32.shr_u (local.get $key) (i32.const 3)) (i32.const 10)))
                (i32.or
                  (i32.or (i32.eq (i32.shr_u (local.get $key) (i32.const 3)) (i32.const 11)) (i32.eq (i32.shr_u (local.get $key) (i32.const 3)) (i32.const 13)))
                  (i32.and (i32.ge_u (i32.shr_u (local.get $key) (i32.const 3)) (i32.const 1)) (i32.le_u (i32.shr_u (local.get $key) (i32.const 3)) (i32.const 6)))))
            (then (global.set $bad (i32.const 1)) (br $done)))
          (call $skip (i32.and (local.get $key) (i32.const 7)) (local.get $e)))
        (br_if $done (global.get $bad))
        (br $fields)))
    (global.set $hasValue (i32.const 0))
    (if (i32.eqz (i64.eq (local.get $dtype) (i64.const 1)))
      (then (if (i32.eqz (i64.eq (local.get $dtype) (i64.const 2))) (then (global.set $bad (i32.const 1)) (return (f64.const nan))))))
    (if (i32.ge_s (local.get $cs) (i32.const 0))
      (then
        (if (i64.eq (local.get $dtype) (i64.const 1))
          (then
            (if (i32.ge_u (i32.sub (local.get $ce) (local.get $cs)) (i32.const 4))
              (then (global.set $hasValue (i32.const 1)) (return (f64.promote_f32 (f32.load (local.get $cs))))))
            (return (f64.const nan))))
        (if (i32.ge_u (i32.sub (local.get $ce) (local.get $cs)) (i32.const 8))
          (then (global.set $hasValue (i32.const 1)) (return (f64.load (local.get $cs)))))
        (return (f64.const nan))))
    (global.set $hasValue (local.get $has))
    (local.get $first))

;; The fast path reads the usual one-byte keys and lengths inline, in locals; anything longer goes
  ;; through the helpers above (which read at $rp).

  ;; One Summary.Value in [s, e): emits its scalar. Sets $bad to hand the record to JavaScript.
  (func $value (param $s i32) (param $e i32) (param $rec i32) (param $step f64) (param $wall f64)
    (local $p i32) (local $key i32) (local $n i32) (local $ts i32) (local $te i32) (local $simple f32) (local $hasSimple i32)
    (local $xs i32) (local $xe i32) (local $id i32) (local $v f64)
    (local.set $xs (i32.const -1))
    (local.set $ts (local.get $s))
    (local.set $te (local.get $s))
    (local.set $p (local.get $s))
    (block $done
      (loop $fields
        (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $key (i32.load8_u (local.get $p)))
        (if (i32.lt_u (local.get $key) (i32.const 128))
          (then (local.set $p (i32.add (local.get $p) (i32.const 1))))
          (else
            (global.set $rp (local.get $p))
            (local.set $key (call $key (local.get $e)))
            (local.set $p (global.get $rp))
            (br_if $done (global.get $bad))))
        (block $next
          (if (i32.eq (local.get $key) (i32.const 0x0a)) ;; tag
            (then
              (local.set $n (i32.load8_u (local.get $p)))
              (if (i32.and (i32.lt_u (local.get $p) (local.get $e)) (i32.lt_u (local.get $n) (i32.const 128)))
                (then
                  (local.set $ts (i32.add (local.get $p) (i32.const 1)))
                  (local.set $te (i32.add (local.get $ts) (local.get $n)))
                  (if (i32.gt_u (local.get $te) (local.get $e)) (then (global.set $bad (i32.const 1)) (br $done)))
                  (local.set $p (local.get $te)))
                (else
                  (global.set $rp (local.get $p))
                  (local.set $ts (call $len (local.get $e)))
                  (local.set $te (global.get $le))
                  (local.set $p (global.get $rp))))
              (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x15)) ;; simple_value
            (then
              (if (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $e)) (then (global.set $bad (i32.const 1)) (br $done)))
              (local.set $simple (f32.load (local.get $p)))
              (local.set $hasSimple (i32.const 1))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x42)) ;; tensor
            (then
              (global.set $rp (local.get $p))
              (local.set $xs (call $len (local.get $e)))
              (local.set $xe (global.get $le))
              (local.set $p (global.get $rp))
              (br $next)))
          (if (i32.eq (local.get $key) (i32.const 0x4a)) ;; metadata: plugin names and hparams are JavaScript's
            (then (global.set $bad (i32.const 1)) (br $done)))
          (global.set $rp (local.get $p))
          (call $skip (i32.and (local.get $key) (i32.const 7)) (local.get $e))
          (local.set $p (global.get $rp)))
        (br_if $done (global.get $bad))
        (br $fields)))
    (if (global.get $bad) (then (return)))
    (if (local.get $hasSimple)
      (then (local.set $v (f64.promote_f32 (local.get $simple))))
      (else
        (if (i32.lt_s (local.get $xs) (i32.const 0)) (then (return)))
        (local.set $v (call $tensor (local.get $xs) (local.get $xe)))
        (if (i32.or (global.get $bad) (i32.eqz (global.get $hasValue))) (then (return)))))
    (local.set $id (call $tag (local.get $ts) (local.get $te)))
    (if (i32.lt_s (local.get $id) (i32.const 0)) (then (global.set $bad (i32.const 1)) (return)))
    ;; $emit's SCALAR entry, inline: the one every scalar record makes.
    (if (i32.ge_u (global.get $outCount) (i32.const 16384)) (then (global.set $bad (i32.const 1)) (return)))
    (local.set $p (i32.add (i32.const 393216) (i32.mul (global.get $outCount) (i32.const 40))))
    (i32.store (local.get $p) (i32.const 1))
    (i32.store offset=4 (local.get $p) (local.get $id))
    (i32.store offset=8 (local.get $p) (i32.eqz (local.get $hasSimple)))
    (i32.store offset=12 (local.get $p) (local.get $rec))
    (f64.store offset=16 (local.get $p) (local.get $step))
    (f64.store offset=24 (local.get $p) (local.get $wall))
    (f64.store offset=32 (local.get $p) (local.get $v))
    (global.set $outCount (i32.add (global.get $outCount) (i32.const 1))))

  ;; One Event record in [s, e) at record address `rec`: its scalars, or a RECORD entry for JavaScript.
  (func $event (param $s i32) (param $e i32) (param $rec i32)
    (local $p i32) (local $key i32) (local $n i32) (local $wall f64) (local $step i64) (local $ss i32) (local $se i32)
    (local $saved i32) (local $vs i32) (local $ve i32) (local $ignored i32)
    (local.set $saved (global.get $outCount))
    (local.set $ss (i32.const -1))
    (global.set $bad (i32.const 0))
    (local.set $p (local.get $s))
    (block $fallback
      (block $fields_done
        (loop $fields
          (br_if $fields_done (i32.ge_u (local.get $p) (local.get $e)))
          (local.set $key (i32.load8_u (local.get $p)))
          (if (i32.lt_u (local.get $key) (i32.const 128))
            (then (local.set $p (i32.add (local.get $p) (i32.const 1))))
            (else
              (global.set $rp (local.get $p))
              (local.set $key (call $key (local.get $e)))
              (local.set $p (global.get $rp))
              (br_if $fallback (global.get $bad))))
          (block $next
            (if (i32.eq (local.get $key) (i32.const 0x09)) ;; wall_time
              (then
                (br_if $fallback (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $e)))
                (local.set $wall (f64.load (local.get $p)))
                (local.set $p (i32.add (local.get $p) (i32.const 8)))
                (br $next)))
            (if (i32.eq (local.get $key) (i32.const 0x10)) ;; step: exact as a double up to 2^53
              (then
                ;; Up to 7 bytes (2^49) inline; longer ones through $varint.
                (local.set $step (i64.const 0))
                (local.set $vs (i32.const 0))
                (block $read
                  (loop $byte
                    (br_if $fallback (i32.ge_u (local.get $p) (local.get $e)))
                    (local.set $n (i32.load8_u (local.get $p)))
                    (local.set $step
                      (i64.or (local.get $step) (i64.shl (i64.extend_i32_u (i32.and (local.get $n) (i32.const 127))) (i64.extend_i32_u (local.get $vs)))))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br_if $read (i32.lt_u (local.get $n) (i32.const 128)))
                    (local.set $vs (i32.add (local.get $vs) (i32.const 7)))
                    (br_if $byte (i32.lt_u (local.get $vs) (i32.const 49)))
                    (br $fallback)))
                (br $next)))
            (if (i32.eq (local.get $key) (i32.const 0x2a)) ;; summary
              (then
                ;; A one-byte length inline (a scalar event's summary is tens of bytes); else $len.
                (local.set $n (i32.load8_u (local.get $p)))
                (if (i32.and (i32.lt_u (local.get $p) (local.get $e)) (i32.lt_u (local.get $n) (i32.const 128)))
                  (then
                    (local.set $ss (i32.add (local.get $p) (i32.const 1)))
                    (local.set $se (i32.add (local.get $ss) (local.get $n)))
                    (br_if $fallback (i32.gt_u (local.get $se) (local.get $e)))
                    (local.set $p (local.get $se)))
                  (else
                    (global.set $rp (local.get $p))
                    (local.set $ss (call $len (local.get $e)))
                    (local.set $se (global.get $le))
                    (local.set $p (global.get $rp))))
                (br $next)))
            (global.set $rp (local.get $p))
            (call $skip (i32.and (local.get $key) (i32.const 7)) (local.get $e))
            (local.set $p (global.get $rp)))
          (br_if $fallback (global.get $bad))
          (br $fields)))
      (if (i32.ge_s (local.get $ss) (i32.const 0))
        (then
          ;; Summary: each `value` field in turn.
          (local.set $p (local.get $ss))
          (block $values_done
            (loop $values
              (br_if $values_done (i32.ge_u (local.get $p) (local.get $se)))
              (local.set $key (i32.load8_u (local.get $p)))
              (if (i32.lt_u (local.get $key) (i32.const 128))
                (then (local.set $p (i32.add (local.get $p) (i32.const 1))))
                (else
                  (global.set $rp (local.get $p))
                  (local.set $key (call $key (local.get $se)))
                  (local.set $p (global.get $rp))
                  (br_if $fallback (global.get $bad))))
              (global.set $rp (local.get $p))
              (if (i32.eq (local.get $key) (i32.const 0x0a))
                (then
                  ;; A one-byte length inline, as for the summary.
                  (local.set $n (i32.load8_u (local.get $p)))
                  (if (i32.and (i32.lt_u (local.get $p) (local.get $se)) (i32.lt_u (local.get $n) (i32.const 128)))
                    (then
                      (local.set $vs (i32.add (local.get $p) (i32.const 1)))
                      (local.set $ve (i32.add (local.get $vs) (local.get $n)))
                      (br_if $fallback (i32.gt_u (local.get $ve) (local.get $se)))
                      (local.set $p (local.get $ve)))
                    (else
                      (local.set $vs (call $len (local.get $se)))
                      (br_if $fallback (global.get $bad))
                      (local.set $ve (global.get $le))
                      (local.set $p (global.get $rp))))
                  (call $value (local.get $vs) (local.get $ve) (local.get $rec) (f64.convert_i64_u (local.get $step)) (local.get $wall))
                  (br_if $fallback (global.get $bad)))
                (else
                  (call $skip (i32.and (local.get $key) (i32.const 7)) (local.get $se))
                  (br_if $fallback (global.get $bad))
                  (local.set $p (global.get $rp))))
              (br $values)))))
      (if (f64.gt (local.get $wall) (f64.const 0))
        (then
          (global.set $minWall (f64.min (global.get $minWall) (local.get $wall)))
          (global.set $maxWall (f64.max (global.get $maxWall) (local.get $wall)))))
      (return))
    ;; Not the fast path's: drop what this record emitted and hand it over whole.
    (global.set $outCount (local.get $saved))
    (local.set $ignored
      (call $emit (i32.const 2) (local.get $s) (local.get $e) (local.get $rec) (f64.const 0) (f64.const 0) (f64.const 0))))

  (func (export "scan") (param $pos i32) (param $end i32) (param $mode i32) (result i32)
    (local $len i32) (local $total i32) (local $data i32) (local $dataEnd i32) (local $status i32) (local $ignored i32)
    (global.set $outCount (i32.const 0))
    (block $exit
      (loop $records
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $pos)) (i32.const 12))
          (then (global.set $need (i32.const 12)) (local.set $status (i32.const 0)) (br $exit)))
        (if (i32.and (local.get $mode) (i32.const 1))
          (then
            (if (i32.ne (i32.add (i32.rotr (call $crc (local.get $pos) (i32.add (local.get $pos) (i32.const 8))) (i32.const 15)) (i32.const 0xa282ead8)) (i32.load offset=8 (local.get $pos)))
              (then (local.set $status (i32.const 2)) (br $exit)))))
        (local.set $len (i32.load (local.get $pos)))
        (if (i32.or (i32.load offset=4 (local.get $pos)) (i32.gt_u (local.get $len) (i32.const 536870912)))
          (then (local.set $status (i32.const 3)) (br $exit)))
        (local.set $total (i32.add (local.get $len) (i32.const 16)))
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $pos)) (local.get $total))
          (then (global.set $need (local.get $total)) (local.set $status (i32.const 0)) (br $exit)))
        (if (i32.ge_u (global.get $outCount) (i32.const 16384))
          (then (local.set $status (i32.const 1)) (br $exit)))
        (local.set $data (i32.add (local.get $pos) (i32.const 12)))
        (local.set $dataEnd (i32.add (local.get $data) (local.get $len)))
        ;; The mode is tested before the payload's CRC is computed: i32.and evaluates both of its operands (it
        ;; did here once, and every payload's CRC was computed with the check off).
        (if (if (result i32) (i32.and (local.get $mode) (i32.const 1))
              (then (i32.ne (i32.add (i32.rotr (call $crc (local.get $data) (local.get $dataEnd)) (i32.const 15)) (i32.const 0xa282ead8)) (i32.load (local.get $dataEnd))))
              (else (i32.const 0)))
          (then
            (local.set $ignored
              (call $emit (i32.const 3) (local.get $data) (local.get $dataEnd) (local.get $pos) (f64.const 0) (f64.const 0) (f64.const 0))))
          (else
            (global.set $records (i32.add (global.get $records) (i32.const 1)))
            (if (i32.and (local.get $mode) (i32.const 2))
              (then (call $event (local.get $data) (local.get $dataEnd) (local.get $pos)))
              (else
                (local.set $ignored
                  (call $emit (i32.const 2) (local.get $data) (local.get $dataEnd) (local.get $pos) (f64.const 0) (f64.const 0) (f64.const 0)))))))
        (local.set $pos (i32.add (local.get $pos) (local.get $total)))
        (br $records)))
    (global.set $scanPos (local.get $pos))
    (local.get $status))

  ;; Starts a file: wall-time range and record count. `forgetTags` empties the tag table.
  (func (export "reset") (param $forgetTags i32)
    (local $i i32)
    (global.set $minWall (f64.const inf))
    (global.set $maxWall (f64.const -inf))
    (global.set $records (i32.const 0))
    (if (local.get $forgetTags)
      (then
        (local.set $i (i32.const 8192))
        (block $cleared
          (loop $clear
            (br_if $cleared (i32.ge_u (local.get $i) (i32.const 40960)))
            (i64.store (local.get $i) (i64.const 0))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $clear)))
        (global.set $tagCount (i32.const 0))
        (global.set $arenaTop (i32.const 73728)))))
)
