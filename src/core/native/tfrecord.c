/*
 * TFRecord checks with the processor's CRC-32C instruction (SSE 4.2 on x86-64, the CRC extension on ARMv8):
 * the masked CRC-32C of each record's length and of its payload, as formats/tfrecord.ts's WebAssembly
 * module checks them with tables (slicing-by-8, ~1 ns a byte: three quarters of decoding an event file).
 * A fast path only: it says how far the records are intact, and the module frames them without checking
 * again; from the first record it cannot vouch for, the module checks as before and reports what is wrong.
 *
 * tfrecordsIntact(bytes: Buffer, start, end) -> number
 *   The end of the complete records from `start` (within `end`) whose length and payload both pass their
 *   CRC-32C check: `start` itself where the first is incomplete, fails a check or is larger than the
 *   module takes (512 MiB), and where the processor has no CRC-32C instruction.
 * crc32c(bytes: Buffer) -> number | undefined
 *   CRC-32C of `bytes` with the instruction (for the tests), undefined without it.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
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

static size_t intact(const uint8_t *bytes, size_t start, size_t end) {
  size_t pos = start;
  while (end - pos >= 16) {
    const uint8_t *r = bytes + pos;
    uint32_t lo = u32le(r), hi = u32le(r + 4);
    if (hi != 0 || lo > MAX_RECORD) break;
    if (end - pos - 16 < lo) break;
    if (masked(crc32c(r, 8)) != u32le(r + 8)) break;
    if (masked(crc32c(r + 12, lo)) != u32le(r + 12 + lo)) break;
    pos += 16 + (size_t)lo;
  }
  return pos;
}

static int has_instruction = -1;

static napi_value tfrecords_intact(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  void *data = NULL;
  size_t len = 0;
  double start_d, end_d;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) goto bad;
  if (!buffer_arg(env, argv[0], &data, &len)) goto bad;
  if (napi_get_value_double(env, argv[1], &start_d) != napi_ok || napi_get_value_double(env, argv[2], &end_d) != napi_ok) goto bad;
  if (!(start_d >= 0 && start_d <= end_d && end_d <= (double)len)) goto bad;
  if (has_instruction < 0) has_instruction = HAVE_CRC_INSTRUCTION && crc_instruction();
  size_t start = (size_t)start_d, end = (size_t)end_d;
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

napi_status register_tfrecord(napi_env env, napi_value exports) {
  napi_status s = export_function(env, exports, "tfrecordsIntact", tfrecords_intact);
  return s == napi_ok ? export_function(env, exports, "crc32c", crc32c_of) : s;
}
