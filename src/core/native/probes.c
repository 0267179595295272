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
 */
#define NAPI_VERSION 8
#include <node_api.h>
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

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "unchanged", NAPI_AUTO_LENGTH, unchanged, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "unchanged", fn) != napi_ok) return NULL;
  if (register_walk(env, exports) != napi_ok) return NULL;
  return exports;
}
