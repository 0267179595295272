/*
 * A folder's listing and small files' contents in C, for a cold index (listing.ts `walk`, mlflow.ts
 * `readKeyFiles`): the system calls Node would make, in the same order and with the same rules, without
 * a Dirent, a Stats or a file handle object per entry. Where the two could differ (a name that is not
 * UTF-8, a file system that gives no entry types, a path too long) it returns undefined and the caller
 * does it in JavaScript.
 *
 * walk(root: string, maxDepth: number, maxFiles: number) -> [paths: string, numbers: Float64Array] | undefined
 *   What listing.ts `walk` sees, entry by entry: paths separated by '\0', four numbers each
 *   (DIR_FOLDER mtime | DIR_UNREADABLE | DIR_NONE | FILE_OK size mtime inode | FILE_NOT).
 * readFiles(paths: string) -> [bytes: Buffer, ends: Float64Array]
 *   The files named ('\0' between paths) read whole, one after another; each one's end in `bytes`, or -1
 *   when it could not be read (the caller reads it again to say why).
 */
#define _DEFAULT_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "native.h"

enum { DIR_FOLDER = 0, DIR_UNREADABLE = 1, DIR_NONE = 2, FILE_OK = 3, FILE_NOT = 4 };

typedef struct {
  char *bytes;
  size_t len, cap;
} text_t;

typedef struct {
  double *v;
  size_t len, cap;
} nums_t;

typedef struct {
  text_t paths;
  nums_t nums;
  double left; /* files still allowed (maxFiles) */
  int failed;  /* a case JavaScript must handle: give up */
} walk_t;

/* Room for `extra` more bytes in `t` (grown by doubling); 0 when out of memory. */
static int text_reserve(text_t *t, size_t extra) {
  if (t->len + extra <= t->cap) return 1;
  size_t cap = t->cap ? t->cap : 4096;
  while (t->len + extra > cap) cap *= 2;
  char *b = realloc(t->bytes, cap);
  if (!b) return 0;
  t->bytes = b;
  t->cap = cap;
  return 1;
}

static int text_add(text_t *t, const char *s, size_t n) {
  if (!text_reserve(t, n + 1)) return 0;
  memcpy(t->bytes + t->len, s, n);
  t->bytes[t->len + n] = '\0';
  t->len += n + 1;
  return 1;
}

static int record(walk_t *w, const char *path, size_t n, double code, double a, double b, double c) {
  if (!text_add(&w->paths, path, n)) return 0;
  if (w->nums.len + 4 > w->nums.cap) {
    size_t cap = w->nums.cap ? 2 * w->nums.cap : 256;
    double *v = realloc(w->nums.v, cap * sizeof(double));
    if (!v) return 0;
    w->nums.v = v;
    w->nums.cap = cap;
  }
  double *r = w->nums.v + w->nums.len;
  r[0] = code, r[1] = a, r[2] = b, r[3] = c;
  w->nums.len += 4;
  return 1;
}

/* Whether `s` is valid UTF-8 (as listing.ts gets names: anything else is decoded with replacements). */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char b = s[i];
    size_t k = b < 0x80 ? 1 : (b >= 0xc2 && b <= 0xdf) ? 2 : (b >= 0xe0 && b <= 0xef) ? 3 : (b >= 0xf0 && b <= 0xf4) ? 4 : 0;
    if (k == 0 || i + k > n) return 0;
    for (size_t j = 1; j < k; j++)
      if ((s[i + j] & 0xc0) != 0x80) return 0;
    /* Overlong three-byte forms, surrogates, and four-byte forms past U+10FFFF are not UTF-8 either. */
    if (k == 3 && ((b == 0xe0 && s[i + 1] < 0xa0) || (b == 0xed && s[i + 1] > 0x9f))) return 0;
    if (k == 4 && ((b == 0xf0 && s[i + 1] < 0x90) || (b == 0xf4 && s[i + 1] > 0x8f))) return 0;
    i += k;
  }
  return 1;
}

typedef struct {
  char *name;
  unsigned char type;
} entry_t;

static int by_name(const void *a, const void *b) {
  /* libuv's scandir order, which Node's readdirSync returns. */
  return strcmp(((const entry_t *)a)->name, ((const entry_t *)b)->name);
}

static void free_entries(entry_t *e, size_t n) {
  for (size_t i = 0; i < n; i++) free(e[i].name);
  free(e);
}

/*
 * Reads folder `dir`'s entries but `.` and `..`, sorted, `*n` of them; NULL (and *n = 0) when it cannot
 * be read, as libuv's scandir fails whole.
 */
static entry_t *read_entries(const char *dir, size_t *n) {
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return NULL;
  size_t cap = 32;
  entry_t *e = malloc(cap * sizeof(entry_t));
  if (!e) goto fail;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      if (errno != 0) goto fail;
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (*n == cap) {
      entry_t *g = realloc(e, 2 * cap * sizeof(entry_t));
      if (!g) goto fail;
      e = g;
      cap *= 2;
    }
    e[*n].name = strdup(de->d_name);
    e[*n].type = de->d_type;
    if (!e[*n].name) goto fail;
    (*n)++;
  }
  closedir(d);
  qsort(e, *n, sizeof(entry_t), by_name);
  return e;
fail:
  if (e) free_entries(e, *n);
  closedir(d);
  *n = 0;
  return NULL;
}

/* listing.ts `walk` of folder `dir` (its path `len` bytes in `path`, room for MAX_PATH_BYTES). */
static void walk_dir(walk_t *w, char *path, size_t len, int depth, int max_depth) {
  if (w->failed || depth > max_depth || w->left <= 0) return;
  struct stat st;
  int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  size_t n = 0;
  entry_t *entries = is_dir ? read_entries(path, &n) : NULL;
  if (!entries) {
    if (!record(w, path, len, is_dir ? DIR_UNREADABLE : DIR_NONE, 0, 0, 0)) w->failed = 1;
    return;
  }
  if (!record(w, path, len, DIR_FOLDER, mtime_ms(&st), 0, 0)) w->failed = 1;
  size_t base = len;
  if (base == 0 || path[base - 1] != '/') path[base++] = '/';
  for (size_t i = 0; i < n && !w->failed; i++) {
    if (w->left <= 0) break;
    entry_t *e = &entries[i];
    size_t k = strlen(e->name);
    /* Cases Node handles otherwise: an entry of unknown type (Node lstat's it), a name not UTF-8. */
    if (e->type == DT_UNKNOWN || !valid_utf8((const unsigned char *)e->name, k) || base + k + 2 > MAX_PATH_BYTES) {
      w->failed = 1;
      break;
    }
    memcpy(path + base, e->name, k + 1);
    if (e->type == DT_DIR) {
      walk_dir(w, path, base + k, depth + 1, max_depth);
    } else if (e->type == DT_REG) {
      struct stat fs;
      int file = stat(path, &fs) == 0 && S_ISREG(fs.st_mode);
      if (!(file ? record(w, path, base + k, FILE_OK, (double)fs.st_size, mtime_ms(&fs), (double)fs.st_ino)
                 : record(w, path, base + k, FILE_NOT, 0, 0, 0)))
        w->failed = 1;
      w->left--;
    }
  }
  path[len] = '\0';
  free_entries(entries, n);
}

/* [first, a Float64Array of `count` doubles copied from `v`], or undefined when it cannot be made. */
static napi_value with_numbers(napi_env env, napi_value first, const double *v, size_t count) {
  napi_value result, buffer, numbers;
  void *data = NULL;
  if (napi_create_arraybuffer(env, count * sizeof(double), &data, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, count, buffer, 0, &numbers) != napi_ok || napi_create_array_with_length(env, 2, &result) != napi_ok ||
      napi_set_element(env, result, 0, first) != napi_ok || napi_set_element(env, result, 1, numbers) != napi_ok) {
    napi_get_undefined(env, &result);
    return result;
  }
  if (count) memcpy(data, v, count * sizeof(double));
  return result;
}

static napi_value walk(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result, paths;
  char path[MAX_PATH_BYTES];
  size_t len = 0;
  double max_depth = 0;
  walk_t w = {{NULL, 0, 0}, {NULL, 0, 0}, 0, 0};
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || napi_get_value_double(env, argv[1], &max_depth) != napi_ok ||
      napi_get_value_double(env, argv[2], &w.left) != napi_ok) {
    napi_throw_type_error(env, NULL, "walk(root: string, maxDepth: number, maxFiles: number)");
    return NULL;
  }
  if (len + 2 >= sizeof path || max_depth > 1000) {
    napi_get_undefined(env, &result);
    return result;
  }
  walk_dir(&w, path, len, 0, (int)max_depth);
  if (w.failed || napi_create_string_utf8(env, w.paths.bytes ? w.paths.bytes : "", w.paths.len, &paths) != napi_ok) napi_get_undefined(env, &result);
  else result = with_numbers(env, paths, w.nums.v, w.nums.len);
  free(w.paths.bytes);
  free(w.nums.v);
  return result;
}

/* Appends file `path`'s bytes to `t` (grown as needed); 0 when it cannot be opened or read. */
static int read_whole(text_t *t, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  for (;;) {
    if (!text_reserve(t, 4096)) {
      close(fd);
      return 0;
    }
    ssize_t n = read(fd, t->bytes + t->len, t->cap - t->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return 0;
    }
    if (n == 0) break;
    t->len += (size_t)n;
  }
  close(fd);
  return 1;
}

static napi_value read_files(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1], result, bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "readFiles(paths: string)");
    return NULL;
  }
  char *names = malloc(len + 1);
  if (!names) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], names, len + 1, &len);
  size_t count = 1;
  for (size_t i = 0; i < len; i++) count += names[i] == '\0';
  double *end = malloc(count * sizeof(double));
  text_t t = {NULL, 0, 0};
  for (size_t i = 0, start = 0; end && i < count; i++) {
    const char *p = names + start;
    size_t k = strlen(p);
    size_t before = t.len;
    if (read_whole(&t, p)) end[i] = (double)t.len;
    else {
      t.len = before;
      end[i] = -1;
    }
    start += k + 1;
  }
  if (!end || napi_create_buffer_copy(env, t.len, t.bytes ? t.bytes : "", NULL, &bytes) != napi_ok) napi_get_undefined(env, &result);
  else result = with_numbers(env, bytes, end, count);
  free(names);
  free(end);
  free(t.bytes);
  return result;
}

napi_status register_walk(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status s = napi_create_function(env, "walk", NAPI_AUTO_LENGTH, walk, NULL, &fn);
  if (s == napi_ok) s = napi_set_named_property(env, exports, "walk", fn);
  if (s == napi_ok) s = napi_create_function(env, "readFiles", NAPI_AUTO_LENGTH, read_files, NULL, &fn);
  if (s == napi_ok) s = napi_set_named_property(env, exports, "readFiles", fn);
  return s;
}
