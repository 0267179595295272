/*
 * A metric series encoded as the index stores it, in C: chunks.ts `encodeSeries`, byte for byte (its
 * JavaScript twin is used without the module, and a unit test holds the two to the same bytes). A cold
 * pass encodes every point it reads once; in JavaScript that is ~35 ns a point, a tenth of a cold pass's
 * CPU where half the points are TensorBoard's.
 *
 * encodeSeries(columns: Float64Array, cap, n, out: Buffer, ends: Uint32Array, overviews: Float64Array,
 *              overviewEnds: Uint32Array, range: Float64Array) -> number
 *   columns holds steps at [0, n), times at [cap, cap + n), values at [2cap, 2cap + n). The chunks (of
 *   CHUNK_POINTS points, the last one shorter) are written to `out` one after another and the bytes used
 *   returned; chunk c ends at ends[c]. Each full chunk's overview (its first, lowest, highest and last
 *   points, in order, without repeats: (step, time, value) triples) is written to `overviews`, and where it
 *   ends to overviewEnds[c]. range[0] and range[1] get the lowest and highest value (NaN never counts; both
 *   NaN where every value is NaN). `out` must hold chunks.ts encodedBound bytes a chunk.
 *
 * A chunk: byte 0 the forms (bits 0–1 steps, 2–3 times, 4–5 values), then
 *   steps   0: n float64                1: first, delta (float64 each): step i = first + i × delta
 *   times   0: n float64                1: first (float64), then n − 1 zigzag varint integer deltas
 *   values  0: n float64                1: n float32
 * each column in the most compact form that gives every number back exactly.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "native.h"

#define CHUNK_POINTS 1024
/* Deltas whose zigzag form stays an exact double. */
#define MAX_DELTA 2251799813685248.0 /* 2^51 */

static uint64_t bits(double x) {
  uint64_t b;
  memcpy(&b, &x, 8);
  return b;
}

/* JavaScript's Object.is on numbers: the same bits, or both NaN. */
static int same(double a, double b) {
  return bits(a) == bits(b) || (a != a && b != b);
}

static uint8_t *put_double(uint8_t *p, double x) {
  memcpy(p, &x, 8);
  return p + 8;
}

static int arithmetic(const double *steps, size_t n) {
  if (n < 2) return 0;
  double first = steps[0], delta = steps[1] - first;
  for (size_t i = 0; i < n; i++)
    if (!same(first + (double)i * delta, steps[i])) return 0;
  return 1;
}

static int float32s(const double *values, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double v = values[i];
    if ((double)(float)v != v && v == v) return 0;
  }
  return 1;
}

/* times[1…n) as zigzag varint deltas at p when each is an integer that gives its time back exactly; else NULL. */
static uint8_t *integer_deltas(const double *times, size_t n, uint8_t *p) {
  double prev = times[0];
  for (size_t i = 1; i < n; i++) {
    double t = times[i], d = t - prev;
    if (!(fabs(d) < MAX_DELTA) || (double)(int64_t)d != d || !same(prev + d, t)) return NULL;
    prev = t;
    uint64_t z = d >= 0 ? (uint64_t)(2 * d) : (uint64_t)(-2 * d - 1);
    while (z >= 128) {
      *p++ = (uint8_t)((z & 127) | 128);
      z >>= 7;
    }
    *p++ = (uint8_t)z;
  }
  return p;
}

static uint8_t *encode_chunk(const double *steps, const double *times, const double *values, size_t n, uint8_t *out) {
  int step_form = arithmetic(steps, n), value_form = float32s(values, n);
  uint8_t *p = out + 1;
  if (step_form) {
    p = put_double(p, steps[0]);
    p = put_double(p, steps[1] - steps[0]);
  } else {
    memcpy(p, steps, 8 * n);
    p += 8 * n;
  }
  uint8_t *deltas_end = n > 1 ? integer_deltas(times, n, put_double(p, times[0])) : NULL;
  int time_form = deltas_end != NULL;
  if (time_form) p = deltas_end;
  else {
    memcpy(p, times, 8 * n);
    p += 8 * n;
  }
  out[0] = (uint8_t)(step_form | (time_form << 2) | (value_form << 4));
  if (value_form) {
    for (size_t i = 0; i < n; i++, p += 4) {
      float f = (float)values[i];
      memcpy(p, &f, 4);
    }
  } else {
    memcpy(p, values, 8 * n);
    p += 8 * n;
  }
  return p;
}

/* chunks.ts chunkOverview: returns how many numbers were written (3 per point, up to 12). */
static size_t overview(const double *steps, const double *times, const double *values, size_t n, double *out) {
  long lo = -1, hi = -1;
  for (size_t i = 0; i < n; i++) {
    double x = values[i];
    if (x != x) continue;
    if (lo < 0 || x < values[lo]) lo = (long)i;
    if (hi < 0 || x > values[hi]) hi = (long)i;
  }
  long picks[4] = {0, lo, hi, (long)n - 1};
  /* Sorted (four numbers: insertion), the -1s first and skipped, repeats skipped. */
  for (int a = 1; a < 4; a++)
    for (int b = a; b > 0 && picks[b - 1] > picks[b]; b--) {
      long t = picks[b];
      picks[b] = picks[b - 1];
      picks[b - 1] = t;
    }
  size_t k = 0;
  for (int j = 0; j < 4; j++) {
    if (picks[j] < 0 || (j > 0 && picks[j] == picks[j - 1])) continue;
    out[k++] = steps[picks[j]];
    out[k++] = times[picks[j]];
    out[k++] = values[picks[j]];
  }
  return k;
}

static napi_value encode_series(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], result;
  double *columns, *overviews, *range, cap_d, n_d;
  uint32_t *ends, *overview_ends;
  void *out;
  size_t columns_len, out_len, ends_len, overviews_len, overview_ends_len, range_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8) goto bad;
  if (!typed_arg(env, argv[0], napi_float64_array, (void **)&columns, &columns_len)) goto bad;
  if (napi_get_value_double(env, argv[1], &cap_d) != napi_ok || napi_get_value_double(env, argv[2], &n_d) != napi_ok) goto bad;
  if (!buffer_arg(env, argv[3], &out, &out_len)) goto bad;
  if (!typed_arg(env, argv[4], napi_uint32_array, (void **)&ends, &ends_len)) goto bad;
  if (!typed_arg(env, argv[5], napi_float64_array, (void **)&overviews, &overviews_len)) goto bad;
  if (!typed_arg(env, argv[6], napi_uint32_array, (void **)&overview_ends, &overview_ends_len)) goto bad;
  if (!typed_arg(env, argv[7], napi_float64_array, (void **)&range, &range_len) || range_len < 2) goto bad;
  if (!(n_d >= 0 && n_d <= cap_d && cap_d * 3 <= (double)columns_len && n_d == (double)(size_t)n_d && cap_d == (double)(size_t)cap_d)) goto bad;
  size_t cap = (size_t)cap_d, n = (size_t)n_d;
  size_t chunks = (n + CHUNK_POINTS - 1) / CHUNK_POINTS, full = n / CHUNK_POINTS;
  /* chunks.ts encodedBound: 1 + 34 bytes a point + 16 a chunk. */
  if (ends_len < chunks || overviews_len < 12 * full || overview_ends_len < full || out_len < 34 * n + 17 * chunks) goto bad;
  const double *steps = columns, *times = columns + cap, *values = columns + 2 * cap;
  uint8_t *start = out, *p = start;
  size_t o = 0;
  for (size_t c = 0; c < chunks; c++) {
    size_t i = c * CHUNK_POINTS, k = n - i < CHUNK_POINTS ? n - i : CHUNK_POINTS;
    p = encode_chunk(steps + i, times + i, values + i, k, p);
    ends[c] = (uint32_t)(p - start);
    if (k == CHUNK_POINTS) {
      o += overview(steps + i, times + i, values + i, k, overviews + o);
      overview_ends[c] = (uint32_t)o;
    }
  }
  /* chunks.ts widenRange: the first value that is not NaN, then the extremes (the first of equals kept). */
  size_t i = 0;
  while (i < n && values[i] != values[i]) i++;
  double lo = NAN, hi = NAN;
  if (i < n) {
    lo = hi = values[i];
    for (i++; i < n; i++) {
      double v = values[i];
      if (v < lo) lo = v;
      else if (v > hi) hi = v;
    }
  }
  range[0] = lo;
  range[1] = hi;
  if (napi_create_double(env, (double)(p - start), &result) != napi_ok) return NULL;
  return result;
bad:
  napi_throw_type_error(env, NULL, "encodeSeries(columns: Float64Array, cap, n, out: Buffer, ends: Uint32Array, overviews: Float64Array, overviewEnds: Uint32Array, range: Float64Array)");
  return NULL;
}

napi_status register_chunks(napi_env env, napi_value exports) {
  return export_function(env, exports, "encodeSeries", encode_series);
}
