/*
 * Runlens's native module (native.ts loads it; walk.c, chunks.c and tfrecord.c are its other parts). The
 * warm pass's probe check in C: listing.ts `probesUnchanged`, with the same rules, one stat(2) per probe
 * and no object made per stat. Node's statSync costs ~2.7 us a call here (path conversion, a Stats
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
 * unchangedStart(paths: Buffer, seen: Buffer, units: Float64Array, threads: number) -> handle
 * unchangedJoin(handle) -> Uint8Array
 *   unchanged for many units at once, while the caller goes on: unit i's probes are bytes [units[4i],
 *   units[4i + 1]) of `paths` and [units[4i + 2], units[4i + 3]) of `seen`; its answer is byte i of what
 *   unchangedJoin returns (1: unchanged), once the work is done. The units are shared out to `threads`
 *   threads, and to the caller's when it asks for the answers: a warm pass is tens of thousands of stat
 *   calls, each mostly the kernel's time, and the pass discovers its units meanwhile.
 *
 * unchangedStartFile(file: string, token: string, threads: number, minUnits = 0) -> [handle, keys: string] | undefined
 *   unchangedStart over the probe snapshot file (probeSnapshot.ts), mapped, not read: copying its
 *   megabytes into fresh memory costs a page fault every 4 KB. Undefined, and no thread started, where the
 *   file is missing, does not hold together, carries another token or holds fewer than minUnits units.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "native.h"

#define MAX_THREADS 16

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
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) goto bad;
  if (!buffer_arg(env, argv[0], &paths, &paths_len) || !buffer_arg(env, argv[1], &seen, &seen_len)) goto bad;
  napi_get_boolean(env, seen_len % 8 == 0 && probes_unchanged(paths, paths_len, seen, seen_len / 8), &result);
  return result;
bad:
  napi_throw_type_error(env, NULL, "unchanged(paths: Buffer, seen: Buffer)");
  return NULL;
}

/* A check of many units under way (unchangedStart, unchangedStartFile): the units, taken a few at a time by
 * each thread from `next`; the inputs held (refs, or the file's mapping) until the answers are taken
 * (unchangedJoin), or the handle is collected. */
typedef struct {
  const char *paths;
  const unsigned char *seen;
  const double *units;
  double *units_copy;
  void *map;
  size_t map_len;
  size_t count;
  unsigned char *out;
  size_t next;
  napi_ref refs[2];
  pthread_t threads[MAX_THREADS];
  size_t started;
  int joined;
} check_t;

#define UNITS_A_TAKE 8

static void *check_units(void *arg) {
  check_t *c = arg;
  for (;;) {
    size_t from = __atomic_fetch_add(&c->next, UNITS_A_TAKE, __ATOMIC_RELAXED);
    if (from >= c->count) return NULL;
    size_t to = from + UNITS_A_TAKE < c->count ? from + UNITS_A_TAKE : c->count;
    for (size_t i = from; i < to; i++) {
      const double *u = c->units + 4 * i;
      size_t p0 = (size_t)u[0], p1 = (size_t)u[1], s0 = (size_t)u[2], s1 = (size_t)u[3];
      c->out[i] = (s1 - s0) % 8 == 0 && probes_unchanged(c->paths + p0, p1 - p0, c->seen + s0, (s1 - s0) / 8);
    }
  }
}

/* The caller's thread takes what units are left, then waits for the others. */
static void join_check(check_t *c) {
  if (c->joined) return;
  check_units(c);
  for (size_t i = 0; i < c->started; i++) pthread_join(c->threads[i], NULL);
  c->joined = 1;
}

static void release_check(napi_env env, check_t *c) {
  for (int i = 0; i < 2; i++) {
    if (c->refs[i]) napi_delete_reference(env, c->refs[i]);
    c->refs[i] = NULL;
  }
  if (c->map) munmap(c->map, c->map_len);
  free(c->units_copy);
  free(c->out);
  c->map = NULL;
  c->units_copy = NULL;
  c->out = NULL;
}

/* A handle dropped without its answers taken: its threads still read the inputs, so they end first. */
static void finalize_check(napi_env env, void *data, void *hint) {
  (void)hint;
  check_t *c = data;
  join_check(c);
  release_check(env, c);
  free(c);
}

/* Whether `units` lays `count` units end to end over exactly `paths_len` and `seen_len` bytes... or, not
 * `exact`, each unit's ranges within them, in order: else the caller's mistake, not a unit that changed. */
static int ranges_hold(const double *u, size_t count, size_t paths_len, size_t seen_len, int exact) {
  double p = 0, s = 0;
  for (size_t i = 0; i < 4 * count; i += 4) {
    if (exact && (u[i] != p || u[i + 2] != s)) return 0;
    if (!(u[i] >= 0 && u[i] <= u[i + 1] && u[i + 1] <= (double)paths_len && u[i + 2] >= 0 && u[i + 2] <= u[i + 3] && u[i + 3] <= (double)seen_len)) return 0;
    p = u[i + 1];
    s = u[i + 3];
  }
  return !exact || (p == (double)paths_len && s == (double)seen_len);
}

/* Starts `c`'s threads: while the caller goes on (a pass discovering its units meanwhile), up to `threads`
 * of them; the caller's thread joins in when it asks for the answers. */
static napi_value start_check(napi_env env, check_t *c, double threads, napi_value *handle) {
  if (napi_create_external(env, c, finalize_check, NULL, handle) != napi_ok) {
    release_check(env, c);
    free(c);
    return NULL;
  }
  size_t want = threads < 1 ? 1 : threads < MAX_THREADS ? (size_t)threads : MAX_THREADS;
  if (c->count < 4 * UNITS_A_TAKE) want = 0;
  while (c->started < want && pthread_create(&c->threads[c->started], NULL, check_units, c) == 0) c->started++;
  return *handle;
}

static napi_value unchanged_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  void *paths = NULL, *seen = NULL, *units = NULL;
  size_t paths_len = 0, seen_len = 0, units_len = 0;
  double threads = 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) goto bad;
  if (!buffer_arg(env, argv[0], &paths, &paths_len) || !buffer_arg(env, argv[1], &seen, &seen_len)) goto bad;
  if (!typed_arg(env, argv[2], napi_float64_array, &units, &units_len) || units_len % 4 != 0) goto bad;
  if (napi_get_value_double(env, argv[3], &threads) != napi_ok) goto bad;
  if (!ranges_hold(units, units_len / 4, paths_len, seen_len, 0)) goto bad;
  check_t *c = calloc(1, sizeof(check_t));
  if (!c) goto oom;
  c->paths = paths;
  c->seen = seen;
  c->count = units_len / 4;
  /* The ranges copied (the caller may reuse its array); the Buffers held, their bytes never move. */
  c->units = c->units_copy = malloc(units_len * sizeof(double) + 1);
  c->out = calloc(c->count + 1, 1);
  if (!c->units_copy || !c->out) {
    release_check(env, c);
    free(c);
    goto oom;
  }
  memcpy(c->units_copy, units, units_len * sizeof(double));
  if (napi_create_reference(env, argv[0], 1, &c->refs[0]) != napi_ok || napi_create_reference(env, argv[1], 1, &c->refs[1]) != napi_ok) {
    release_check(env, c);
    free(c);
    return NULL;
  }
  return start_check(env, c, threads, &result);
bad:
  napi_throw_type_error(env, NULL, "unchangedStart(paths: Buffer, seen: Buffer, units: Float64Array, threads: number)");
  return NULL;
oom:
  napi_throw_error(env, NULL, "unchangedStart: out of memory");
  return NULL;
}

/* The probe snapshot file (probeSnapshot.ts writes it): a header of 64 bytes — "RLPROBES", a token of 16
 * bytes, then float64s: the units' count, the bytes of the keys, of the paths and of the seen numbers, and
 * 1234.5 (this byte order) — then each unit's ranges (4 float64s), the seen numbers, the paths, the keys. */
#define SNAPSHOT_HEADER 64
#define TOKEN_BYTES 16

static napi_value unchanged_start_file(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result, handle, keys;
  char file[MAX_PATH_BYTES + 1], token[TOKEN_BYTES + 1];
  size_t file_len = 0, token_len = 0;
  double threads = 1, min_units = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) goto bad;
  if (napi_get_value_string_utf8(env, argv[0], file, sizeof file, &file_len) != napi_ok || file_len >= MAX_PATH_BYTES) goto bad;
  if (napi_get_value_string_utf8(env, argv[1], token, sizeof token, &token_len) != napi_ok || token_len != TOKEN_BYTES) goto bad;
  if (napi_get_value_double(env, argv[2], &threads) != napi_ok) goto bad;
  if (argc > 3 && napi_get_value_double(env, argv[3], &min_units) != napi_ok) goto bad;
  napi_get_undefined(env, &result);
  /* Any file that does not hold together is no snapshot: undefined, and the caller reads the index. */
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return result;
  struct stat st;
  void *map = MAP_FAILED;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= SNAPSHOT_HEADER) map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return result;
  size_t size = (size_t)st.st_size;
  const unsigned char *m = map;
  const double *h = (const double *)(m + 24);
  double count = h[0], keys_len = h[1], paths_len = h[2], seen_len = h[3];
  int ok = memcmp(m, "RLPROBES", 8) == 0 && memcmp(m + 8, token, TOKEN_BYTES) == 0 && h[4] == 1234.5;
  ok = ok && count >= 0 && keys_len >= 0 && paths_len >= 0 && seen_len >= 0 && (double)(size_t)count == count && (double)(size_t)keys_len == keys_len &&
       (double)(size_t)paths_len == paths_len && (double)(size_t)seen_len == seen_len && (size_t)seen_len % 8 == 0 &&
       SNAPSHOT_HEADER + 32 * count + seen_len + paths_len + keys_len == (double)size && count >= min_units;
  const double *units = (const double *)(m + SNAPSHOT_HEADER);
  ok = ok && ranges_hold(units, (size_t)count, (size_t)paths_len, (size_t)seen_len, 1);
  check_t *c = ok ? calloc(1, sizeof(check_t)) : NULL;
  if (c) c->out = calloc((size_t)count + 1, 1);
  if (!c || !c->out) {
    free(c);
    munmap(map, size);
    return result;
  }
  c->map = map;
  c->map_len = size;
  c->count = (size_t)count;
  c->units = units;
  c->seen = m + SNAPSHOT_HEADER + 32 * c->count;
  c->paths = (const char *)c->seen + (size_t)seen_len;
  const char *key_bytes = c->paths + (size_t)paths_len;
  if (napi_create_string_utf8(env, key_bytes, (size_t)keys_len, &keys) != napi_ok) {
    release_check(env, c);
    free(c);
    return NULL;
  }
  if (!start_check(env, c, threads, &handle)) return NULL;
  if (napi_create_array_with_length(env, 2, &result) != napi_ok || napi_set_element(env, result, 0, handle) != napi_ok || napi_set_element(env, result, 1, keys) != napi_ok) return NULL;
  return result;
bad:
  napi_throw_type_error(env, NULL, "unchangedStartFile(file: string, token: string (16 bytes), threads: number)");
  return NULL;
}

static napi_value unchanged_join(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, buffer;
  void *data = NULL, *out = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) goto bad;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || !data) goto bad;
  check_t *c = data;
  if (!c->out) goto bad; /* answers already taken */
  join_check(c);
  if (napi_create_arraybuffer(env, c->count, &out, &buffer) != napi_ok || napi_create_typedarray(env, napi_uint8_array, c->count, buffer, 0, &result) != napi_ok) return NULL;
  memcpy(out, c->out, c->count);
  release_check(env, c);
  return result;
bad:
  napi_throw_type_error(env, NULL, "unchangedJoin(handle): a handle from unchangedStart, once");
  return NULL;
}

NAPI_MODULE_INIT() {
  if (export_function(env, exports, "unchanged", unchanged) != napi_ok) return NULL;
  if (export_function(env, exports, "unchangedStart", unchanged_start) != napi_ok) return NULL;
  if (export_function(env, exports, "unchangedStartFile", unchanged_start_file) != napi_ok) return NULL;
  if (export_function(env, exports, "unchangedJoin", unchanged_join) != napi_ok) return NULL;
  if (register_walk(env, exports) != napi_ok) return NULL;
  if (register_chunks(env, exports) != napi_ok) return NULL;
  if (register_tfrecord(env, exports) != napi_ok) return NULL;
  return exports;
}
