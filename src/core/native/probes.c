/*
 * Runlens's native module (native.ts loads it; walk.c is its other half). The warm pass's probe check in
 * C: listing.ts `probesUnchanged`, with the same rules, one stat(2) per
 * probe and no object made per stat. Node's statSync costs ~2.7 us a call here (path conversion, a Stats
 * object with four Dates, garbage) against ~1.4 us for the system call itself; a warm pass is ~38,000 of
 * them. Loaded when built (scripts/build-native.mjs, run by npm install); listing.ts falls back to
 * statSync without it, and a test holds the two to the same answers.
 *
 * unchanged(paths: Buffer, seen: Buffer) -> boolean
 *   paths: UTF-8, one probe per line: `F<path>` a file, `D<path>` a folder, `E<path>` whatever is there.
 *   seen:  float64s, what each probe saw (F: size or -1, mtime ms, inode; D: 1 or -1 (2: unreadable),
 *          mtime ms; E: -1 none, 1 folder, 3 file, 4 other), native byte order, any alignment.
 * A path that cannot be stated for any reason counts as missing, as listing.ts's stat does.
 *
 * unchangedAll(paths: Buffer, seen: Buffer, units: Float64Array, threads: number) -> Uint8Array
 *   unchanged for many units at once: unit i's probes are bytes [units[4i], units[4i + 1]) of `paths` and
 *   [units[4i + 2], units[4i + 3]) of `seen`; its answer is byte i (1: unchanged). The units are shared out
 *   to up to `threads` threads (the caller's among them): a warm pass is tens of thousands of stat calls,
 *   each mostly the kernel's time, so two cores take half the time one does.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "native.h"

#define NONE (-1.0)
#define FOLDER 1.0
#define FILE_KIND 3.0
#define OTHER 4.0

/* Milliseconds as Node computes Stats.mtimeMs: sec * 1e3 + nsec / 1e6, in doubles, no fused multiply-add
 * (built with -ffp-contract=off), so that the numbers compare equal to what JavaScript recorded. */
double mtime_ms(const struct stat *st) {
#if defined(__APPLE__)
  double sec = (double)st->st_mtimespec.tv_sec, nsec = (double)st->st_mtimespec.tv_nsec;
#else
  double sec = (double)st->st_mtim.tv_sec, nsec = (double)st->st_mtim.tv_nsec;
#endif
  double ms = sec * 1e3;
  return ms + nsec / 1e6;
}

static double at(const unsigned char *seen, size_t i) {
  double v;
  memcpy(&v, seen + i * 8, 8);
  return v;
}

static int probes_unchanged(const char *paths, size_t len, const unsigned char *seen, size_t count) {
  char file[MAX_PATH_BYTES];
  size_t i = 0;
  for (size_t start = 0; start < len;) {
    const char *nl = memchr(paths + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - paths) : len;
    size_t n = end - start;
    if (n < 1 || n > MAX_PATH_BYTES) return 0;
    char kind = paths[start];
    memcpy(file, paths + start + 1, n - 1);
    file[n - 1] = '\0';
    struct stat st;
    int ok = stat(file, &st) == 0;
    if (kind == 'E') {
      if (i + 1 > count) return 0;
      double k = !ok ? NONE : S_ISREG(st.st_mode) ? FILE_KIND : S_ISDIR(st.st_mode) ? FOLDER : OTHER;
      if (at(seen, i) != k) return 0;
      i += 1;
    } else if (kind == 'F') {
      if (i + 3 > count) return 0;
      if (!ok || !S_ISREG(st.st_mode)) {
        if (at(seen, i) != NONE) return 0;
      } else if ((double)st.st_size != at(seen, i) || mtime_ms(&st) != at(seen, i + 1) || (double)st.st_ino != at(seen, i + 2)) {
        return 0;
      }
      i += 3;
    } else {
      if (i + 2 > count) return 0;
      if (!ok || !S_ISDIR(st.st_mode)) {
        if (at(seen, i) != NONE) return 0;
      } else if (at(seen, i) != FOLDER || mtime_ms(&st) != at(seen, i + 1)) {
        return 0;
      }
      i += 2;
    }
    start = end + 1;
  }
  return i == count;
}

static napi_value unchanged(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_value result;
  void *paths = NULL, *seen = NULL;
  size_t paths_len = 0, seen_len = 0;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) goto bad;
  if (napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) goto bad;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) goto bad;
  if (napi_get_buffer_info(env, argv[0], &paths, &paths_len) != napi_ok) goto bad;
  if (napi_get_buffer_info(env, argv[1], &seen, &seen_len) != napi_ok) goto bad;
  napi_get_boolean(env, seen_len % 8 == 0 && probes_unchanged(paths, paths_len, seen, seen_len / 8), &result);
  return result;
bad:
  napi_throw_type_error(env, NULL, "unchanged(paths: Buffer, seen: Buffer)");
  return NULL;
}

/* unchangedAll's work: the units, taken a few at a time by each thread from `next`. */
typedef struct {
  const char *paths;
  const unsigned char *seen;
  const double *units;
  size_t count;
  unsigned char *out;
  size_t next;
} batch_t;

#define UNITS_A_TAKE 8

static void *check_units(void *arg) {
  batch_t *b = arg;
  for (;;) {
    size_t from = __atomic_fetch_add(&b->next, UNITS_A_TAKE, __ATOMIC_RELAXED);
    if (from >= b->count) return NULL;
    size_t to = from + UNITS_A_TAKE < b->count ? from + UNITS_A_TAKE : b->count;
    for (size_t i = from; i < to; i++) {
      const double *u = b->units + 4 * i;
      size_t p0 = (size_t)u[0], p1 = (size_t)u[1], s0 = (size_t)u[2], s1 = (size_t)u[3];
      b->out[i] = (s1 - s0) % 8 == 0 && probes_unchanged(b->paths + p0, p1 - p0, b->seen + s0, (s1 - s0) / 8);
    }
  }
}

#define MAX_THREADS 16

static napi_value unchanged_all(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result, buffer;
  void *paths = NULL, *seen = NULL, *units = NULL, *out = NULL;
  size_t paths_len = 0, seen_len = 0, units_len = 0;
  napi_typedarray_type type;
  double threads = 1;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) goto bad;
  if (napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, argv[0], &paths, &paths_len) != napi_ok) goto bad;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, argv[1], &seen, &seen_len) != napi_ok) goto bad;
  if (napi_get_typedarray_info(env, argv[2], &type, &units_len, &units, NULL, NULL) != napi_ok || type != napi_float64_array || units_len % 4 != 0) goto bad;
  if (napi_get_value_double(env, argv[3], &threads) != napi_ok) goto bad;
  const double *u = units;
  for (size_t i = 0; i < units_len; i += 4) {
    /* Every range within its buffer, in order: else the caller's mistake, not a unit that changed. */
    if (!(u[i] >= 0 && u[i] <= u[i + 1] && u[i + 1] <= (double)paths_len && u[i + 2] >= 0 && u[i + 2] <= u[i + 3] && u[i + 3] <= (double)seen_len)) goto bad;
  }
  if (napi_create_arraybuffer(env, units_len / 4, &out, &buffer) != napi_ok || napi_create_typedarray(env, napi_uint8_array, units_len / 4, buffer, 0, &result) != napi_ok) return NULL;
  batch_t b = {paths, seen, units, units_len / 4, out, 0};
  /* The caller's thread works too; more threads only where there is enough to share. */
  size_t extra = threads > 1 && b.count >= 4 * UNITS_A_TAKE ? (size_t)(threads < MAX_THREADS ? threads : MAX_THREADS) - 1 : 0;
  pthread_t started[MAX_THREADS];
  size_t n = 0;
  while (n < extra && pthread_create(&started[n], NULL, check_units, &b) == 0) n++;
  check_units(&b);
  for (size_t i = 0; i < n; i++) pthread_join(started[i], NULL);
  return result;
bad:
  napi_throw_type_error(env, NULL, "unchangedAll(paths: Buffer, seen: Buffer, units: Float64Array, threads: number)");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "unchanged", NAPI_AUTO_LENGTH, unchanged, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "unchanged", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "unchangedAll", NAPI_AUTO_LENGTH, unchanged_all, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "unchangedAll", fn) != napi_ok) return NULL;
  if (register_walk(env, exports) != napi_ok) return NULL;
  return exports;
}
