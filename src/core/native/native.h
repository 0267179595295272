/* What the native module's files share (probes.c, walk.c, chunks.c, tfrecord.c). */
#ifndef RUNLENS_NATIVE_H
#define RUNLENS_NATIVE_H
#include <node_api.h>
#include <stdbool.h>
#include <sys/stat.h>

#define MAX_PATH_BYTES 4096

/* Sets exports[name] to a new function that calls `cb`. */
static inline napi_status export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_status s = napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  return s == napi_ok ? napi_set_named_property(env, exports, name, fn) : s;
}

/* Whether `v` is a Buffer; if so, its bytes and length in `data` and `len`. */
static inline bool buffer_arg(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buffer = false;
  return napi_is_buffer(env, v, &is_buffer) == napi_ok && is_buffer && napi_get_buffer_info(env, v, data, len) == napi_ok;
}

/* Whether `v` is a typed array of type `want`; if so, its elements and their count in `data` and `len`. */
static inline bool typed_arg(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  return napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) == napi_ok && type == want;
}

/* A stat's mtime in milliseconds, as Node computes Stats.mtimeMs (probes.c). */
double mtime_ms(const struct stat *st);

/* Adds walk and readFiles to the module's exports (walk.c). */
napi_status register_walk(napi_env env, napi_value exports);
/* Adds encodeSeries to the module's exports (chunks.c). */
napi_status register_chunks(napi_env env, napi_value exports);
/* Adds tfrecordsIntact, scalarEvents and crc32c to the module's exports (tfrecord.c). */
napi_status register_tfrecord(napi_env env, napi_value exports);
#endif
