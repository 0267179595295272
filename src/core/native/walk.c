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
 * walkRead(root: string, maxDepth: number, maxFiles: number, maxBytes: number, into?: Buffer, at?: number)
 *     -> [paths, numbers, bytes: Buffer, ends: Float64Array] | undefined
 *   walk, each regular file also read whole as Node's readFileSync reads it (opened, then its size taken
 *   from the open file) while the bytes read stay within `maxBytes` in all: its bytes one after another in
 *   `bytes`, and per entry where its bytes end, or -1 (not a file, past `maxBytes`, or not readable: the
 *   caller reads it itself). A file is opened relative to its folder, so the kernel looks up one name, not
 *   the whole path, and stated once, through the open file. Given `into`, the bytes are read straight
 *   into it from `at` and `bytes` is `into` itself, while they fit; else they come in a Buffer of their
 *   own, from 0 (a new Buffer's memory is fresh pages the kernel must fault in one by one: a Buffer the
 *   caller reuses is already there).
 * readFiles(paths: string) -> [bytes: Buffer, ends: Float64Array]
 *   The files named ('\0' between paths) read whole, one after another; each one's end in `bytes`, or -1
 *   when it could not be read (the caller reads it again to say why).
 */
#define _DEFAULT_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
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
  int borrowed; /* `bytes` is the caller's (a Buffer's memory): past `cap`, the text moves to memory of its own */
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
  int read;    /* walkRead: files' bytes into `bytes`, their ends into `ends` */
  double max_bytes; /* walkRead: the most bytes read in all; a file past it is stated, not read */
  text_t bytes;
  nums_t ends;
} walk_t;

/* Room for `extra` more bytes in `t` (grown by doubling); 0 when out of memory. */
static int text_reserve(text_t *t, size_t extra) {
  if (t->len + extra <= t->cap) return 1;
  size_t cap = t->cap ? t->cap : 4096;
  while (t->len + extra > cap) cap *= 2;
  char *b = t->borrowed ? malloc(cap) : realloc(t->bytes, cap);
  if (!b) return 0;
  if (t->borrowed && t->len) memcpy(b, t->bytes, t->len);
  t->bytes = b;
  t->cap = cap;
  t->borrowed = 0;
  return 1;
}

static int text_add(text_t *t, const char *s, size_t n) {
  if (!text_reserve(t, n + 1)) return 0;
  memcpy(t->bytes + t->len, s, n);
  t->bytes[t->len + n] = '\0';
  t->len += n + 1;
  return 1;
}

/* Room for `extra` more numbers in `t` (grown by doubling); 0 when out of memory. */
static int nums_reserve(nums_t *t, size_t extra) {
  if (t->len + extra <= t->cap) return 1;
  size_t cap = t->cap ? t->cap : 256;
  while (t->len + extra > cap) cap *= 2;
  double *v = realloc(t->v, cap * sizeof(double));
  if (!v) return 0;
  t->v = v;
  t->cap = cap;
  return 1;
}

/* An entry: its path, its four numbers, and in walkRead where its bytes end (`end`, -1: none). */
static int record(walk_t *w, const char *path, size_t n, double code, double a, double b, double c, double end) {
  if (!text_add(&w->paths, path, n) || !nums_reserve(&w->nums, 4) || (w->read && !nums_reserve(&w->ends, 1))) return 0;
  double *r = w->nums.v + w->nums.len;
  r[0] = code, r[1] = a, r[2] = b, r[3] = c;
  w->nums.len += 4;
  if (w->read) w->ends.v[w->ends.len++] = end;
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
 * Reads the entries but `.` and `..` of folder `d`, sorted, `*n` of them; NULL (and *n = 0) when it cannot
 * be read, as libuv's scandir fails whole. `d` stays open.
 */
static entry_t *read_entries(DIR *d, size_t *n) {
  *n = 0;
  size_t cap = 32;
  entry_t *e = malloc(cap * sizeof(entry_t));
  if (!e) return NULL;
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
  qsort(e, *n, sizeof(entry_t), by_name);
  return e;
fail:
  free_entries(e, *n);
  *n = 0;
  return NULL;
}

/*
 * Appends the bytes of open file `fd` of `size` bytes to `t`, as Node's readFileSync reads a regular file:
 * up to its size, or to its end when its size is 0; 0 when a read fails or memory runs out.
 */
static int read_open(text_t *t, int fd, off_t size) {
  size_t want = size > 0 ? (size_t)size : 0;
  size_t got = 0;
  for (;;) {
    /* A file of size 0 (empty, or one whose size the kernel does not know) is read into the room there is. */
    size_t room = want ? want - got : t->cap - t->len >= 64 ? t->cap - t->len : 8192;
    if (want && room == 0) return 1;
    if (!text_reserve(t, room)) return 0;
    ssize_t n = read(fd, t->bytes + t->len, room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 0;
    if (n == 0) return 1;
    t->len += (size_t)n;
    got += (size_t)n;
  }
}

/* A regular file entry `name` of open folder `dir` (its path `path`, `len` bytes): stated, and in walkRead read. */
static void walk_file(walk_t *w, int dir, const char *name, const char *path, size_t len) {
  struct stat fs;
  if (w->read) {
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, &fs) == 0 && S_ISREG(fs.st_mode)) {
      size_t before = w->bytes.len;
      double end = -1;
      if ((double)before + (double)fs.st_size <= w->max_bytes) {
        if (read_open(&w->bytes, fd, fs.st_size)) end = (double)w->bytes.len;
        else w->bytes.len = before;
      }
      close(fd);
      if (!record(w, path, len, FILE_OK, (double)fs.st_size, mtime_ms(&fs), (double)fs.st_ino, end)) w->failed = 1;
      return;
    }
    if (fd >= 0) close(fd);
  }
  int file = fstatat(dir, name, &fs, 0) == 0 && S_ISREG(fs.st_mode);
  if (!(file ? record(w, path, len, FILE_OK, (double)fs.st_size, mtime_ms(&fs), (double)fs.st_ino, -1) : record(w, path, len, FILE_NOT, 0, 0, 0, -1)))
    w->failed = 1;
}

/*
 * listing.ts `walk` of folder `path` (`len` bytes, room for MAX_PATH_BYTES), opened as `name` relative to
 * folder `at` (its parent, or AT_FDCWD): Node's system calls on the full paths, made relative to the
 * folder's descriptor, so that the kernel looks up one name per call instead of the whole path.
 */
static void walk_dir(walk_t *w, char *path, size_t len, int at, const char *name, int depth, int max_depth) {
  if (w->failed || depth > max_depth || w->left <= 0) return;
  struct stat st;
  int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 && fstat(fd, &st) == 0 ? fdopendir(fd) : NULL;
  size_t n = 0;
  entry_t *entries = d ? read_entries(d, &n) : NULL;
  if (!entries) {
    if (d) closedir(d);
    else if (fd >= 0) close(fd);
    /* Missing or not a folder, or a folder that cannot be read (as stat, then scandir, tell them apart). */
    int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if (!record(w, path, len, is_dir ? DIR_UNREADABLE : DIR_NONE, 0, 0, 0, -1)) w->failed = 1;
    return;
  }
  if (!record(w, path, len, DIR_FOLDER, mtime_ms(&st), 0, 0, -1)) w->failed = 1;
  size_t base = len;
  if (base == 0 || path[base - 1] != '/') path[base++] = '/';
  for (size_t i = 0; i < n && !w->failed; i++) {
    if (w->left <= 0) break;
    entry_t *e = &entries[i];
    size_t k = strlen(e->name);
    /* Cases Node handles otherwise: an entry of unknown type (Node lstat's it), a name not UTF-8. */
    /* A FIFO, a device or a socket: listing.ts lists it for its reader to report (rare, so left to JavaScript). */
    /* walkRead (an MLflow run's params, tags, metrics, which MLflow reads through links): a link too. */
    if ((w->read && e->type == DT_LNK) || e->type == DT_UNKNOWN || e->type == DT_FIFO || e->type == DT_CHR || e->type == DT_BLK || e->type == DT_SOCK || !valid_utf8((const unsigned char *)e->name, k) || base + k + 2 > MAX_PATH_BYTES) {
      w->failed = 1;
      break;
    }
    memcpy(path + base, e->name, k + 1);
    if (e->type == DT_DIR) {
      walk_dir(w, path, base + k, dirfd(d), e->name, depth + 1, max_depth);
    } else if (e->type == DT_REG) {
      walk_file(w, dirfd(d), e->name, path, base + k);
      w->left--;
    }
  }
  path[len] = '\0';
  free_entries(entries, n);
  closedir(d);
}

/* A Float64Array of `count` doubles copied from `v`; NULL when it cannot be made. */
static napi_value float64s(napi_env env, const double *v, size_t count) {
  napi_value buffer, numbers;
  void *data = NULL;
  if (napi_create_arraybuffer(env, count * sizeof(double), &data, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, count, buffer, 0, &numbers) != napi_ok)
    return NULL;
  if (count) memcpy(data, v, count * sizeof(double));
  return numbers;
}

/* An array of the `n` values `items`, or undefined when one is missing (NULL) or it cannot be made. */
static napi_value tuple(napi_env env, const napi_value *items, size_t n) {
  napi_value result;
  int ok = napi_create_array_with_length(env, n, &result) == napi_ok;
  for (size_t i = 0; ok && i < n; i++) ok = items[i] && napi_set_element(env, result, (uint32_t)i, items[i]) == napi_ok;
  if (!ok) napi_get_undefined(env, &result);
  return result;
}

/* [first, a Float64Array of `count` doubles copied from `v`], or undefined when it cannot be made. */
static napi_value with_numbers(napi_env env, napi_value first, const double *v, size_t count) {
  napi_value items[2] = {first, float64s(env, v, count)};
  return tuple(env, items, 2);
}

/*
 * walkRead's bytes: the caller's Buffer when they fit in it from `base` (ends as they are), else a Buffer of
 * their own from `base` (ends made relative to it); NULL when it cannot be made.
 */
static napi_value walked_bytes(napi_env env, walk_t *w, napi_value into, size_t base) {
  napi_value bytes;
  if (w->bytes.borrowed) return into;
  for (size_t i = 0; i < w->ends.len; i++)
    if (w->ends.v[i] >= 0) w->ends.v[i] -= (double)base;
  const char *from = w->bytes.bytes ? w->bytes.bytes + base : "";
  return napi_create_buffer_copy(env, w->bytes.len - base, from, NULL, &bytes) == napi_ok ? bytes : NULL;
}

/* walk and walkRead: the walk of `argv` (root, maxDepth, maxFiles, and in walkRead maxBytes, into, at). */
static napi_value walk_call(napi_env env, napi_callback_info info, int read) {
  size_t argc = 6;
  napi_value argv[6], result, paths;
  char path[MAX_PATH_BYTES];
  size_t len = 0;
  double max_depth = 0;
  walk_t w = {{NULL, 0, 0, 0}, {NULL, 0, 0}, 0, 0, read, 0, {NULL, 0, 0, 0}, {NULL, 0, 0}};
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < (read ? 4u : 3u) ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || napi_get_value_double(env, argv[1], &max_depth) != napi_ok ||
      napi_get_value_double(env, argv[2], &w.left) != napi_ok || (read && napi_get_value_double(env, argv[3], &w.max_bytes) != napi_ok)) {
    napi_throw_type_error(env, NULL, read ? "walkRead(root: string, maxDepth: number, maxFiles: number, maxBytes: number, into?: Buffer, at?: number)" : "walk(root: string, maxDepth: number, maxFiles: number)");
    return NULL;
  }
  /* walkRead into the caller's Buffer from `at`, while the bytes fit. */
  size_t base = 0;
  void *data = NULL;
  size_t room = 0;
  double at = 0;
  if (read && argc >= 6 && buffer_arg(env, argv[4], &data, &room) &&
      napi_get_value_double(env, argv[5], &at) == napi_ok && at >= 0 && at <= (double)room) {
    base = (size_t)at;
    w.bytes = (text_t){data, base, room, 1};
    w.max_bytes += at; /* the budget counts from `at` */
  }
  napi_get_undefined(env, &result);
  if (len + 2 < sizeof path && max_depth <= 1000) {
    walk_dir(&w, path, len, AT_FDCWD, path, 0, (int)max_depth);
    if (!w.failed && napi_create_string_utf8(env, w.paths.bytes ? w.paths.bytes : "", w.paths.len, &paths) == napi_ok) {
      napi_value items[4] = {paths, float64s(env, w.nums.v, w.nums.len), read ? walked_bytes(env, &w, argv[4], base) : NULL, NULL};
      if (read) items[3] = float64s(env, w.ends.v, w.ends.len);
      result = tuple(env, items, read ? 4 : 2);
    }
  }
  free(w.paths.bytes);
  free(w.nums.v);
  if (!w.bytes.borrowed) free(w.bytes.bytes);
  free(w.ends.v);
  return result;
}

static napi_value walk(napi_env env, napi_callback_info info) {
  return walk_call(env, info, 0);
}

static napi_value walk_read(napi_env env, napi_callback_info info) {
  return walk_call(env, info, 1);
}

/*
 * Appends file `path`'s bytes to `t` (grown as needed), as Node's readFileSync reads a regular file; 0 when
 * it cannot be opened or read, or is not a regular file: opened without waiting (a FIFO would block until
 * a writer came) and never read past its size (a link to /dev/zero never ends). The caller reads a file
 * given 0 again to say why.
 */
static int read_whole(text_t *t, const char *path) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  /* A size of 0 is an empty file here (a run's files are not /proc's, which give no size). */
  int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_size == 0 || read_open(t, fd, st.st_size));
  close(fd);
  return ok;
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
  text_t t = {NULL, 0, 0, 0};
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
  napi_status s = export_function(env, exports, "walk", walk);
  if (s == napi_ok) s = export_function(env, exports, "walkRead", walk_read);
  if (s == napi_ok) s = export_function(env, exports, "readFiles", read_files);
  return s;
}
