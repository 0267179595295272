/*
 * TFRecord checks with the processor's CRC-32C instruction (SSE 4.2 on x86-64, the CRC extension on ARMv8):
 * the masked CRC-32C of each record's length and of its payload, as formats/tfrecord.ts's WebAssembly
 * module checks them with tables (slicing-by-8, ~1 ns a byte: three quarters of decoding an event file).
 * A fast path only: it says how far the records are intact, and the module frames them without checking
 * again; from the first record it cannot vouch for, the module checks as before and reports what is wrong.
 * For event files, the same walk also decodes the common scalar records (scalarEvents below).
 *
 * tfrecordsIntact(bytes: Buffer, start, end) -> number
 *   The end of the complete records from `start` (within `end`) whose length and payload both pass their
 *   CRC-32C check: `start` itself where the first is incomplete, fails a check or is larger than the
 *   module takes (512 MiB), and where the processor has no CRC-32C instruction.
 * crc32c(bytes: Buffer) -> number | undefined
 *   CRC-32C of `bytes` with the instruction (for the tests), undefined without it.
 * scalarEvents(bytes: Buffer, start, end, table: Buffer, columns: Float64Array[], keyColumns: Int32Array,
 *              counts: Uint32Array, state: Float64Array) -> number
 *   Walks the records from `start` (within `end`, at least 8 bytes before the end of `bytes`) as
 *   tfrecordsIntact does, decoding each Event record of the shape events.wat decodes — simple values and
 *   float/double scalar tensors, nothing it does not understand — and writes its points straight into
 *   their tag's columns; returns where it stopped, and why in state[0]:
 *     0 NEED    the record there is incomplete, or its length fails its check or is too large (or `end`)
 *     1 SLOW    the record there is whole, but its payload fails its check or is not of that shape: the
 *               module frames and decodes it, as it does every record without this function
 *     2 TARGET  a point of the record there has a tag key (state[1]) whose column is not known yet
 *     3 FULL    column state[1] has no room for the record's state[2] points (grow it and call again)
 *     4 NONE    no CRC-32C instruction (or a big-endian processor): nothing done, nor ever will be
 *   A record is taken whole or not at all. Its tags get ids in `table` (TABLE_* below: a hash table and
 *   the tags' bytes, kept by the caller from call to call); a point's key is 2 × its tag id, plus 1 where
 *   it came from a tensor. keyColumns[key] is the index in `columns` of the key's column, -1 to drop the
 *   key's points, -2 where not known (a key beyond keyColumns is not known). A column holds `cap` steps,
 *   then `cap` times (wall time in ms), then `cap` values (its length is 3 × cap); counts[c] is how many
 *   points column c holds, raised here. state[3] counts the records taken; state[4] and state[5] keep the
 *   lowest and highest positive wall time (in seconds) of those records, as the module's minWall/maxWall.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "native.h"

/* formats/tfrecord.ts STOP_TOO_LARGE: a record over 512 MiB is left to the module, which refuses it. */
#define MAX_RECORD (512u << 20)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_CRC_INSTRUCTION 1
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
  uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = (uint32_t)c;
  for (; n > 0; n--, p++) c32 = __builtin_ia32_crc32qi(c32, *p);
  return c32;
}
static int crc_instruction(void) {
  return __builtin_cpu_supports("sse4.2");
}
#elif defined(__aarch64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_CRC_INSTRUCTION 1
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
__attribute__((target("+crc"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    crc = __builtin_aarch64_crc32cx(crc, v);
  }
  for (; n > 0; n--, p++) crc = __builtin_aarch64_crc32cb(crc, *p);
  return crc;
}
static int crc_instruction(void) {
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}
#else
#define HAVE_CRC_INSTRUCTION 0
static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
  (void)p;
  (void)n;
  return crc;
}
static int crc_instruction(void) {
  return 0;
}
#endif

static uint32_t crc32c(const uint8_t *p, size_t n) {
  return crc32c_hw(0xffffffffu, p, n) ^ 0xffffffffu;
}

/* TFRecord's masked CRC: rotated right by 15 bits, plus a constant. */
static uint32_t masked(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

static uint32_t u32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Whether the record at r, with `avail` bytes from r, is whole, no larger than the module takes and its
 * length passes its check: its payload's length in *len. */
static int whole_record(const uint8_t *r, size_t avail, uint32_t *len) {
  if (avail < 16) return 0;
  uint32_t lo = u32le(r), hi = u32le(r + 4);
  if (hi != 0 || lo > MAX_RECORD || avail - 16 < lo || masked(crc32c(r, 8)) != u32le(r + 8)) return 0;
  *len = lo;
  return 1;
}

/* Whether the payload of the whole record at r, `len` bytes, passes its check. */
static int payload_intact(const uint8_t *r, uint32_t len) {
  return masked(crc32c(r + 12, len)) == u32le(r + 12 + len);
}

static size_t intact(const uint8_t *bytes, size_t start, size_t end) {
  size_t pos = start;
  uint32_t lo;
  while (whole_record(bytes + pos, end - pos, &lo) && payload_intact(bytes + pos, lo)) pos += 16 + (size_t)lo;
  return pos;
}

/* The `bytes, start, end` arguments at argv: a Buffer and a range of it that leaves `after` bytes past its end. */
static bool range_args(napi_env env, napi_value *argv, void **data, size_t *start, size_t *end, size_t after) {
  size_t len = 0;
  double start_d, end_d;
  if (!buffer_arg(env, argv[0], data, &len)) return false;
  if (napi_get_value_double(env, argv[1], &start_d) != napi_ok || napi_get_value_double(env, argv[2], &end_d) != napi_ok) return false;
  if (!(start_d >= 0 && start_d <= end_d && end_d + (double)after <= (double)len)) return false;
  *start = (size_t)start_d, *end = (size_t)end_d;
  return true;
}

static int has_instruction = -1;

static napi_value tfrecords_intact(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  void *data = NULL;
  size_t start, end;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) goto bad;
  if (!range_args(env, argv, &data, &start, &end, 0)) goto bad;
  if (has_instruction < 0) has_instruction = HAVE_CRC_INSTRUCTION && crc_instruction();
  size_t out = has_instruction ? intact(data, start, end) : start;
  if (napi_create_double(env, (double)out, &result) != napi_ok) return NULL;
  return result;
bad:
  napi_throw_type_error(env, NULL, "tfrecordsIntact(bytes: Buffer, start: number, end: number)");
  return NULL;
}

static napi_value crc32c_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  void *data = NULL;
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) goto bad;
  if (!buffer_arg(env, argv[0], &data, &len)) goto bad;
  if (has_instruction < 0) has_instruction = HAVE_CRC_INSTRUCTION && crc_instruction();
  if (!has_instruction) {
    napi_get_undefined(env, &result);
    return result;
  }
  if (napi_create_uint32(env, crc32c(data, len), &result) != napi_ok) return NULL;
  return result;
bad:
  napi_throw_type_error(env, NULL, "crc32c(bytes: Buffer)");
  return NULL;
}

/* Event scalars (scalarEvents) -------------------------------------------------------------------- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LITTLE_ENDIAN_HOST 1
#else
#define LITTLE_ENDIAN_HOST 0
#endif

/* The tag table (formats/tfrecord.ts reads a tag's bytes by its id): u32 count, u32 arena bytes used, then
 * TAG_SLOTS slots of (u32 hash, u32 id + 1), TAGS_MAX entries of (u32 arena offset, u32 length), the arena. */
#define TAGS_MAX 3072
#define TAG_SLOTS 4096
#define TABLE_SLOTS 64
#define TABLE_BY_ID (TABLE_SLOTS + 8 * TAG_SLOTS)
#define TABLE_ARENA (TABLE_BY_ID + 8 * TAGS_MAX)
#define ARENA_BYTES (256 << 10)
/* 8 bytes after the arena: a tag's bytes are read 8 at a time. */
#define TABLE_BYTES (TABLE_ARENA + ARENA_BYTES + 8)
/* Points one record may carry on this path (a summary of more values is the module's). */
#define RECORD_POINTS 256

enum { STOP_NEED = 0, STOP_SLOW = 1, STOP_TARGET = 2, STOP_FULL = 3, STOP_NONE = 4 };
#define KEY_DROP (-1)

/* A protobuf reader over [p, end); `bad` once something does not fit (the record then leaves this path). */
typedef struct {
  const uint8_t *p, *end;
  int bad;
} reader_t;

static uint64_t varint(reader_t *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) break;
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 127) << shift;
    if (b < 128) return v;
  }
  r->bad = 1;
  return 0;
}

static uint32_t field_key(reader_t *r) {
  if (r->p < r->end && *r->p < 128) return *r->p++;
  uint64_t k = varint(r);
  if (k > 0xffffffffu) r->bad = 1;
  return (uint32_t)k;
}

/* A length-delimited field's start; r->p is left at its end. */
static const uint8_t *delimited(reader_t *r) {
  uint64_t n = varint(r);
  if (r->bad || n > (uint64_t)(r->end - r->p)) {
    r->bad = 1;
    return r->p;
  }
  const uint8_t *start = r->p;
  r->p += n;
  return start;
}

static void fixed(reader_t *r, size_t n) {
  if ((size_t)(r->end - r->p) < n) r->bad = 1;
  else r->p += n;
}

static void skip(reader_t *r, uint32_t wire) {
  switch (wire) {
    case 0: varint(r); break;
    case 1: fixed(r, 8); break;
    case 2: delimited(r); break;
    case 5: fixed(r, 4); break;
    default: r->bad = 1;
  }
}

static float f32_at(const uint8_t *p) {
  float f;
  memcpy(&f, p, 4);
  return f;
}

static double f64_at(const uint8_t *p) {
  double d;
  memcpy(&d, p, 8);
  return d;
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* The low `n` bytes (n < 8) of a word. */
static inline uint64_t low_bytes(uint64_t v, uint32_t n) {
  return v & (((uint64_t)1 << (8 * n)) - 1);
}

/* Whether the `len` bytes at a and b are equal, compared 8 at a time (each read up to 7 bytes past its end). */
static inline int same_bytes(const uint8_t *a, const uint8_t *b, uint32_t len) {
  uint32_t i = 0;
  for (; i + 8 <= len; i += 8)
    if (load64(a + i) != load64(b + i)) return 0;
  return i == len || low_bytes(load64(a + i) ^ load64(b + i), len - i) == 0;
}

/*
 * The id of tag [s, s + len) in `table`, added when new; -1 when the table or its arena is full. The tag's
 * bytes may be read up to 7 bytes past its end (scalarEvents asks for 8 bytes after `end`).
 */
static int tag_id(uint8_t *table, const uint8_t *s, uint32_t len) {
  uint32_t *head = (uint32_t *)table, *slots = (uint32_t *)(table + TABLE_SLOTS), *by_id = (uint32_t *)(table + TABLE_BY_ID);
  uint8_t *arena = table + TABLE_ARENA;
  /* Hashed on its first and last 8 bytes and its length, as events.wat hashes it. */
  uint64_t k = len >= 8 ? load64(s) ^ ((load64(s + len - 8) << 29) | (load64(s + len - 8) >> 35)) : low_bytes(load64(s), len);
  uint32_t h = (uint32_t)(((k ^ len) * 0x9E3779B97F4A7C15ull) >> 32);
  for (uint32_t slot = h & (TAG_SLOTS - 1);; slot = (slot + 1) & (TAG_SLOTS - 1)) {
    uint32_t id1 = slots[2 * slot + 1];
    if (id1 == 0) {
      /* New: kept while the table and its arena have room. */
      uint32_t id = head[0], top = head[1];
      if (id >= TAGS_MAX || len > ARENA_BYTES - top) return -1;
      memcpy(arena + top, s, len);
      by_id[2 * id] = top;
      by_id[2 * id + 1] = len;
      slots[2 * slot] = h;
      slots[2 * slot + 1] = id + 1;
      head[0] = id + 1;
      head[1] = top + len;
      return (int)id;
    }
    uint32_t id = id1 - 1;
    if (slots[2 * slot] == h && by_id[2 * id + 1] == len && same_bytes(arena + by_id[2 * id], s, len)) return (int)id;
  }
}

/*
 * A TensorProto in [p, end) (events.wat $tensor): 1 with its value in *v when it is a float or double
 * scalar, 0 when it holds no value, -1 when it is anything else (the module's, then JavaScript's).
 */
static int tensor_value(const uint8_t *p, const uint8_t *end, double *v) {
  reader_t r = {p, end, 0};
  uint64_t dtype = 0;
  const uint8_t *content = NULL, *content_end = NULL;
  int has = 0;
  double first = 0;
  while (r.p < r.end) {
    uint32_t key = field_key(&r);
    if (r.bad) return -1;
    const uint8_t *s = r.p;
    switch (key) {
      case 0x08: /* dtype */
        dtype = varint(&r);
        break;
      case 0x12: /* tensor_shape: only the empty one (a scalar) */
        s = delimited(&r);
        if (r.p != s) return -1;
        break;
      case 0x22: /* tensor_content */
        content = delimited(&r);
        content_end = r.p;
        break;
      case 0x2d: /* float_val, one */
      case 0x31: /* double_val, one */
        fixed(&r, key == 0x2d ? 4 : 8);
        if (!r.bad && !has) first = key == 0x2d ? f32_at(s) : f64_at(s), has = 1;
        break;
      case 0x2a: /* float_val, packed */
      case 0x32: { /* double_val, packed */
        size_t width = key == 0x2a ? 4 : 8;
        s = delimited(&r);
        if (r.bad || (size_t)(r.p - s) % width != 0) return -1;
        if (!has && r.p > s) first = width == 4 ? f32_at(s) : f64_at(s), has = 1;
        break;
      }
      default: {
        /* Any other value field (half, int, int64, bool, string…), or a known field of another wire type. */
        uint32_t field = key >> 3;
        if ((field >= 1 && field <= 7) || field == 10 || field == 11 || field == 13) return -1;
        skip(&r, key & 7);
      }
    }
    if (r.bad) return -1;
  }
  if (dtype != 1 && dtype != 2) return -1;
  if (content) {
    size_t n = (size_t)(content_end - content);
    if (dtype == 1 && n >= 4) return *v = f32_at(content), 1;
    if (dtype == 2 && n >= 8) return *v = f64_at(content), 1;
    return 0;
  }
  if (has) *v = first;
  return has;
}

typedef struct {
  uint32_t key;
  double value;
} point_t;

/* One Summary.Value in [p, end) (events.wat $value): 1 with its point, 0 when it has none, -1 when it is not this path's. */
static int summary_value(uint8_t *table, const uint8_t *p, const uint8_t *end, point_t *out) {
  reader_t r = {p, end, 0};
  const uint8_t *tag = p, *tag_end = p, *tensor = NULL, *tensor_end = NULL;
  float simple = 0;
  int has_simple = 0;
  while (r.p < r.end) {
    uint32_t key = field_key(&r);
    if (r.bad) return -1;
    if (key == 0x0a) {
      tag = delimited(&r);
      tag_end = r.p;
    } else if (key == 0x15) {
      if (r.end - r.p < 4) return -1;
      simple = f32_at(r.p);
      has_simple = 1;
      r.p += 4;
    } else if (key == 0x42) {
      tensor = delimited(&r);
      tensor_end = r.p;
    } else if (key == 0x4a) {
      return -1; /* metadata: plugin names and hparams are JavaScript's */
    } else {
      skip(&r, key & 7);
    }
    if (r.bad) return -1;
  }
  if (has_simple) {
    out->value = (double)simple;
  } else {
    if (!tensor) return 0;
    int got = tensor_value(tensor, tensor_end, &out->value);
    if (got <= 0) return got;
  }
  int id = tag_id(table, tag, (uint32_t)(tag_end - tag));
  if (id < 0) return -1;
  out->key = 2 * (uint32_t)id + (has_simple ? 0 : 1);
  return 1;
}

/* Event.step's varint at *pp (before e): up to 7 bytes (2^49), exact as a double; longer ones, and one cut
 * short, are the module's (0). *pp is left after it. */
static inline int short_step(const uint8_t **pp, const uint8_t *e, uint64_t *step) {
  const uint8_t *p = *pp;
  uint64_t st = 0;
  for (int shift = 0;; shift += 7) {
    if (shift >= 49 || p >= e) return 0;
    uint8_t b = *p++;
    st |= (uint64_t)(b & 127) << shift;
    if (b < 128) break;
  }
  *pp = p, *step = st;
  return 1;
}

/*
 * The usual scalar record, as TensorFlow, PyTorch and tensorboardX write it — wall_time, step (left out
 * when 0), and a summary of one value, a tag and a simple_value, every length one byte — matched byte for
 * byte: 1 with its point (as event_points gives it), 0 when the record is not of that shape (event_points
 * reads it then), -1 when its tag finds no room.
 */
static inline int usual_record(uint8_t *table, const uint8_t *p, const uint8_t *e, point_t *point, double *step, double *wall) {
  if (e - p < 9 || p[0] != 0x09) return 0;
  double w = f64_at(p + 1);
  p += 9;
  uint64_t st = 0;
  if (p < e && *p == 0x10) {
    p++;
    if (!short_step(&p, e, &st)) return 0;
  }
  /* summary { value { tag, simple_value } }, ending the record: 2 + 2 + 2 + tag + 5 bytes. */
  if (e - p < 11 || p[0] != 0x2a || p[1] >= 128 || p[1] != e - p - 2) return 0;
  if (p[2] != 0x0a || p[3] != e - p - 4 || p[4] != 0x0a || p[5] != e - p - 11 || e[-5] != 0x15) return 0;
  int id = tag_id(table, p + 6, p[5]);
  if (id < 0) return -1;
  point->key = 2 * (uint32_t)id;
  point->value = (double)f32_at(e - 4);
  *step = (double)st;
  *wall = w;
  return 1;
}

/*
 * The points of Event record [s, e) (events.wat $event), at most RECORD_POINTS: how many, with the event's
 * step and wall time; -1 when the record is not this path's.
 */
static int event_points(uint8_t *table, const uint8_t *s, const uint8_t *e, point_t *points, double *step, double *wall) {
  int usual = usual_record(table, s, e, points, step, wall);
  if (usual != 0) return usual;
  reader_t r = {s, e, 0};
  const uint8_t *summary = NULL, *summary_end = NULL;
  uint64_t st = 0;
  *wall = 0;
  while (r.p < r.end) {
    uint32_t key = field_key(&r);
    if (r.bad) return -1;
    if (key == 0x09) { /* wall_time */
      if (r.end - r.p < 8) return -1;
      *wall = f64_at(r.p);
      r.p += 8;
    } else if (key == 0x10) { /* step */
      if (!short_step(&r.p, r.end, &st)) return -1;
    } else if (key == 0x2a) { /* summary */
      summary = delimited(&r);
      summary_end = r.p;
    } else {
      skip(&r, key & 7);
    }
    if (r.bad) return -1;
  }
  *step = (double)st;
  int n = 0;
  if (!summary) return 0;
  reader_t q = {summary, summary_end, 0};
  while (q.p < q.end) {
    uint32_t key = field_key(&q);
    if (q.bad) return -1;
    if (key == 0x0a) {
      const uint8_t *v = delimited(&q);
      if (q.bad || n == RECORD_POINTS) return -1;
      int got = summary_value(table, v, q.p, points + n);
      if (got < 0) return -1;
      n += got;
    } else {
      skip(&q, key & 7);
      if (q.bad) return -1;
    }
  }
  return n;
}

typedef struct {
  double *data;
  size_t cap;
} column_t;

static size_t scalar_walk(const uint8_t *bytes, size_t pos, size_t end, uint8_t *table, const column_t *columns, size_t n_columns,
                          const int32_t *key_columns, size_t n_keys, uint32_t *counts, double *state) {
  point_t points[RECORD_POINTS];
  double records = state[3], min_wall = state[4], max_wall = state[5];
  state[0] = STOP_NEED;
  uint32_t lo;
  while (whole_record(bytes + pos, end - pos, &lo)) {
    const uint8_t *r = bytes + pos;
    double step, wall;
    int n = payload_intact(r, lo) ? event_points(table, r + 12, r + 12 + lo, points, &step, &wall) : -1;
    if (n < 0) {
      state[0] = STOP_SLOW;
      break;
    }
    /* Every point's column known, with room for the record's points. */
    int stop = 0;
    for (int i = 0; i < n && !stop; i++) {
      uint32_t key = points[i].key;
      int32_t c = key < n_keys ? key_columns[key] : -2;
      if (c == KEY_DROP) continue;
      if (c < 0 || (size_t)c >= n_columns) {
        state[0] = STOP_TARGET, state[1] = key, stop = 1;
      } else if (counts[c] + (size_t)n > columns[c].cap) {
        state[0] = STOP_FULL, state[1] = c, state[2] = n, stop = 1;
      }
    }
    if (stop) break;
    double time = wall * 1000;
    for (int i = 0; i < n; i++) {
      int32_t c = key_columns[points[i].key];
      if (c == KEY_DROP) continue;
      const column_t *col = columns + c;
      uint32_t k = counts[c]++;
      col->data[k] = step;
      col->data[col->cap + k] = time;
      col->data[2 * col->cap + k] = points[i].value;
    }
    if (wall > 0) {
      if (wall < min_wall) min_wall = wall;
      if (wall > max_wall) max_wall = wall;
    }
    records++;
    pos += 16 + (size_t)lo;
  }
  state[3] = records, state[4] = min_wall, state[5] = max_wall;
  return pos;
}

/* Columns a call takes without allocating (a file has a few tags, most often). */
#define LOCAL_COLUMNS 64

static napi_value scalar_events(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], result;
  void *data = NULL, *table = NULL, *key_columns = NULL, *counts = NULL, *state = NULL;
  size_t start, end, table_len = 0, n_keys = 0, n_counts = 0, state_len = 0;
  uint32_t n_columns = 0;
  bool is_array = false;
  column_t local[LOCAL_COLUMNS], *columns = local;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8) goto bad;
  /* 8 bytes past `end`: a tag's bytes are read 8 at a time. */
  if (!range_args(env, argv, &data, &start, &end, 8)) goto bad;
  if (!buffer_arg(env, argv[3], &table, &table_len) || table_len < TABLE_BYTES) goto bad;
  if (napi_is_array(env, argv[4], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[4], &n_columns) != napi_ok) goto bad;
  if (!typed_arg(env, argv[5], napi_int32_array, &key_columns, &n_keys)) goto bad;
  if (!typed_arg(env, argv[6], napi_uint32_array, &counts, &n_counts)) goto bad;
  if (!typed_arg(env, argv[7], napi_float64_array, &state, &state_len) || state_len < 6) goto bad;
  if (n_counts < n_columns) goto bad;
  if (n_columns > LOCAL_COLUMNS && !(columns = malloc(n_columns * sizeof(column_t)))) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  for (uint32_t c = 0; c < n_columns; c++) {
    napi_value v;
    size_t n = 0;
    if (napi_get_element(env, argv[4], c, &v) != napi_ok || !typed_arg(env, v, napi_float64_array, (void **)&columns[c].data, &n)) goto bad;
    columns[c].cap = n / 3;
    if (((uint32_t *)counts)[c] > columns[c].cap) goto bad;
  }
  if (has_instruction < 0) has_instruction = HAVE_CRC_INSTRUCTION && crc_instruction();
  size_t out = start;
  if (has_instruction && LITTLE_ENDIAN_HOST)
    out = scalar_walk(data, start, end, table, columns, n_columns, key_columns, n_keys, counts, state);
  else
    ((double *)state)[0] = STOP_NONE;
  if (columns != local) free(columns);
  if (napi_create_double(env, (double)out, &result) != napi_ok) return NULL;
  return result;
bad:
  if (columns != local) free(columns);
  napi_throw_type_error(env, NULL,
                        "scalarEvents(bytes: Buffer, start: number, end: number, table: Buffer, columns: Float64Array[], keyColumns: "
                        "Int32Array, counts: Uint32Array, state: Float64Array)");
  return NULL;
}

napi_status register_tfrecord(napi_env env, napi_value exports) {
  napi_status s = export_function(env, exports, "tfrecordsIntact", tfrecords_intact);
  if (s == napi_ok) s = export_function(env, exports, "scalarEvents", scalar_events);
  return s == napi_ok ? export_function(env, exports, "crc32c", crc32c_of) : s;
}
