/**
 * CRC-32C (Castagnoli), slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per step. The
 * TFRecord framing runs the same algorithm in WebAssembly (`wasm/events.wat`, on these tables); this one
 * serves the small reads (SavedModel blocks) and is the reference the module is tested against.
 */

const POLY = 0x82f63b78;
const [T0, T1, T2, T3, T4, T5, T6, T7] = buildTables();

/** The eight tables, for the WebAssembly framing (`wasm/events.wat`), which takes them at start-up. */
export function crc32cTables(): readonly Uint32Array[] {
  return [T0, T1, T2, T3, T4, T5, T6, T7];
}

function buildTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  tables.push(t0);
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1];
    const cur = new Uint32Array(256);
    for (let i = 0; i < 256; i++) cur[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
    tables.push(cur);
  }
  return tables;
}

export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const t0 = T0, t1 = T1, t2 = T2, t3 = T3, t4 = T4, t5 = T5, t6 = T6, t7 = T7;
  let crc = 0xffffffff;
  let i = start;
  const end8 = end - ((end - i) & 7);
  while (i < end8) {
    const a = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) ^ crc;
    const b = buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24);
    crc =
      t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[b & 0xff] ^ t2[(b >>> 8) & 0xff] ^ t1[(b >>> 16) & 0xff] ^ t0[b >>> 24];
    i += 8;
  }
  // Event records are small (tens of bytes): a 4-byte step before the last bytes saves most of the tail.
  if (end - i >= 4) {
    const a = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) ^ crc;
    crc = t3[a & 0xff] ^ t2[(a >>> 8) & 0xff] ^ t1[(a >>> 16) & 0xff] ^ t0[a >>> 24];
    i += 4;
  }
  while (i < end) crc = t0[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay well-mixed. */
export function maskedCrc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const crc = crc32c(buf, start, end);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
