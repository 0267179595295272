/**
 * The encoding of a chunk of a metric series (up to CHUNK_POINTS points) in the index, lossless to the
 * bit: each column takes the most compact form that gives every value back exactly, checked as it is
 * encoded.
 *
 *   byte 0   the forms: bits 0–1 steps, 2–3 times, 4–5 values
 *   steps    0: n float64                   1: first, delta (float64 each) — step i = first + i × delta
 *   times    0: n float64                   1: first (float64), then n − 1 zigzag varint integer deltas
 *   values   0: n float64                   1: n float32 (every value a float32: TensorBoard, Lightning)
 *
 * Steps are almost always 0, 1, 2… or a fixed stride; MLflow's wall times are integer milliseconds a
 * few apart; TensorBoard's values are float32. A typical chunk takes 10–12 bytes a point instead of 24.
 */
import { native } from '../native/native';
import { CHUNK_POINTS } from './schema';

const RAW = 0;
const ARITHMETIC = 1;
const INT_DELTAS = 1;
const FLOAT32 = 1;
/** Deltas whose zigzag form stays an exact double. */
const MAX_DELTA = 2 ** 51;

let scratch = Buffer.allocUnsafe(64 * 1024);
/** encodeSeries' scratch: a whole series' chunks. */
let seriesScratch = Buffer.allocUnsafe(64 * 1024);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);

function arithmetic(steps: Float64Array, n: number): boolean {
  if (n < 2) return false;
  const first = steps[0];
  const delta = steps[1] - first;
  for (let i = 0; i < n; i++) if (!Object.is(first + i * delta, steps[i])) return false;
  return true;
}

/**
 * Writes times[1…n) as zigzag varint deltas at `p` when every delta is an integer that gives its time back
 * exactly (checked as it goes: one pass over the column); returns where it stopped, or -1 when one is not.
 */
function writeIntegerDeltas(times: Float64Array, n: number, out: Buffer, p: number): number {
  let prev = times[0];
  for (let i = 1; i < n; i++) {
    const t = times[i];
    const d = t - prev;
    if (!Number.isInteger(d) || !(Math.abs(d) < MAX_DELTA) || !Object.is(prev + d, t)) return -1;
    prev = t;
    const z = d >= 0 ? 2 * d : -2 * d - 1;
    // One or two bytes (nearly every delta) without a loop.
    if (z < 128) out[p++] = z;
    else if (z < 16384) {
      out[p] = (z & 127) | 128;
      out[p + 1] = z >>> 7;
      p += 2;
    } else p = writeVarint(z, out, p);
  }
  return p;
}

function writeVarint(z: number, out: Buffer, p: number): number {
  if (z < 0x100000000) {
    // 32 bits and under: bit operations.
    while (z >= 128) {
      out[p++] = (z & 127) | 128;
      z >>>= 7;
    }
  } else {
    while (z >= 128) {
      out[p++] = (z % 128) | 128;
      z = Math.floor(z / 128);
    }
  }
  out[p++] = z;
  return p;
}

function float32s(values: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Math.fround(v) !== v && v === v) return false;
  }
  return true;
}

/** The most bytes a chunk of n points takes encoded. */
function encodedBound(n: number): number {
  return 1 + 24 * n + 10 * n + 16;
}

/** Encodes n points (three columns); the result is a view of a scratch buffer, valid until the next call. */
export function encodeChunk(steps: Float64Array, times: Float64Array, values: Float64Array, n: number): Buffer {
  if (scratch.length < encodedBound(n)) scratch = Buffer.allocUnsafe(encodedBound(n));
  return scratch.subarray(0, encodeChunkAt(steps, times, values, n, scratch, 0));
}

/** Encodes n points at `start` of `out` (room for encodedBound(n) bytes); returns where the chunk ends. */
function encodeChunkAt(steps: Float64Array, times: Float64Array, values: Float64Array, n: number, out: Buffer, start: number): number {
  const stepForm = arithmetic(steps, n) ? ARITHMETIC : RAW;
  const valueForm = float32s(values, n) ? FLOAT32 : RAW;
  let p = start + 1;
  if (stepForm === ARITHMETIC) {
    p = out.writeDoubleLE(steps[0], p);
    p = out.writeDoubleLE(steps[1] - steps[0], p);
  } else p = copyDoubles(steps, n, out, p);
  const deltasEnd = n > 1 ? writeIntegerDeltas(times, n, out, out.writeDoubleLE(times[0], p)) : -1;
  const timeForm = deltasEnd >= 0 ? INT_DELTAS : RAW;
  p = timeForm === INT_DELTAS ? deltasEnd : copyDoubles(times, n, out, p);
  out[start] = stepForm | (timeForm << 2) | (valueForm << 4);
  if (valueForm === FLOAT32) {
    // Every value is a float32 (checked above): converted in one copy, exactly.
    if (f32s.length < n) f32s = new Float32Array(n);
    f32s.set(values.subarray(0, n));
    out.set(new Uint8Array(f32s.buffer, 0, 4 * n), p);
    p += 4 * n;
  } else p = copyDoubles(values, n, out, p);
  return p;
}

let f32s = new Float32Array(1024);

function copyDoubles(col: Float64Array, n: number, out: Buffer, p: number): number {
  out.set(new Uint8Array(col.buffer, col.byteOffset, n * 8), p);
  return p + n * 8;
}

/** The n points of a chunk as one array: steps, then times, then values. */
export function decodeChunk(data: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(3 * n);
  const bytes = new Uint8Array(out.buffer);
  const form = data[0];
  let p = 1;
  // Steps.
  if ((form & 3) === ARITHMETIC) {
    const first = double(data, p);
    const delta = double(data, p + 8);
    p += 16;
    for (let i = 0; i < n; i++) out[i] = first + i * delta;
  } else {
    bytes.set(data.subarray(p, p + 8 * n), 0);
    p += 8 * n;
  }
  // Times.
  if (((form >> 2) & 3) === INT_DELTAS) {
    let t = double(data, p);
    p += 8;
    out[n] = t;
    for (let i = 1; i < n; i++) {
      let z = 0;
      let scale = 1;
      let b: number;
      do {
        b = data[p++];
        z += (b & 127) * scale;
        scale *= 128;
      } while (b >= 128);
      t += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      out[n + i] = t;
    }
  } else {
    bytes.set(data.subarray(p, p + 8 * n), 8 * n);
    p += 8 * n;
  }
  // Values.
  if (((form >> 4) & 3) === FLOAT32) {
    const b32 = new Uint8Array(f32.buffer);
    for (let i = 0; i < n; i++, p += 4) {
      b32[0] = data[p];
      b32[1] = data[p + 1];
      b32[2] = data[p + 2];
      b32[3] = data[p + 3];
      out[2 * n + i] = f32[0];
    }
  } else bytes.set(data.subarray(p, p + 8 * n), 16 * n);
  return out;
}

function double(data: Uint8Array, p: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[i] = data[p + i];
  return f64[0];
}

/**
 * A full chunk's overview: its first, lowest, highest and last points (NaN never counts as an extreme), in
 * order and without repeats, as (step, time, value) triples written to `out` (12 long); returns how many
 * numbers were written.
 */
export function chunkOverview(steps: Float64Array, times: Float64Array, values: Float64Array, n: number, out: Float64Array): number {
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x !== x) continue;
    if (lo < 0 || x < values[lo]) lo = i;
    if (hi < 0 || x > values[hi]) hi = i;
  }
  const picks = [0, lo, hi, n - 1].filter((i) => i >= 0).sort((a, b) => a - b);
  let k = 0;
  for (let j = 0; j < picks.length; j++) {
    if (j > 0 && picks[j] === picks[j - 1]) continue;
    const i = picks[j];
    out[k++] = steps[i];
    out[k++] = times[i];
    out[k++] = values[i];
  }
  return k;
}

/** Widens `range` (null: no value yet) to the values [from, to); NaN is never an extreme. */
export function widenRange(range: { min: number | null; max: number | null }, values: Float64Array, from: number, to: number): void {
  // The extremes of [from, to) in numbers only (a loop over `number | null` is several times slower),
  // the first of equal values kept (-0 or 0), then merged.
  let i = from;
  while (i < to && values[i] !== values[i]) i++;
  if (i === to) return;
  let lo = values[i];
  let hi = lo;
  for (i++; i < to; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  if (range.min === null || lo < range.min) range.min = lo;
  if (range.max === null || hi > range.max) range.max = hi;
}

/** What a series' row records of its points. NaN is never an extreme; `last` may be NaN. */
export interface PointsSummary {
  count: number;
  last: number | null;
  lastStep: number | null;
  lastTime: number | null;
  min: number | null;
  max: number | null;
}

/**
 * A new series' points, encoded as the index stores them — chunks of CHUNK_POINTS points (the last one
 * shorter), an overview for each full chunk — and summarised: what a SeriesWriter would write for the
 * same points, made where they were read (a read-ahead thread), so the indexer only inserts rows.
 */
export interface EncodedSeries {
  summary: PointsSummary;
  /** The chunks' bytes back to back: chunk i is bytes [ends[i − 1], ends[i]). */
  bytes: Uint8Array;
  ends: Uint32Array;
  /** The full chunks' overviews back to back: overview i is numbers [overviewEnds[i − 1], overviewEnds[i]). */
  overviews: Float64Array;
  overviewEnds: Uint32Array;
}

/**
 * The buffers of encoded series, to transfer to another thread: the series are made views of four buffers
 * they share (a transferred buffer costs the thread that posts it and the one that receives it far more
 * than its bytes, and a run has tens of series).
 */
export function sharedBuffers(all: EncodedSeries[]): ArrayBuffer[] {
  const total = (field: 'bytes' | 'ends' | 'overviews' | 'overviewEnds') => all.reduce((n, e) => n + e[field].length, 0);
  const bytes = new Uint8Array(total('bytes'));
  const ends = new Uint32Array(total('ends'));
  const overviews = new Float64Array(total('overviews'));
  const overviewEnds = new Uint32Array(total('overviewEnds'));
  const at = [0, 0, 0, 0];
  const into = <T extends Uint8Array | Uint32Array | Float64Array>(shared: T, part: T, k: number): T => {
    shared.set(part, at[k]);
    return shared.subarray(at[k], (at[k] += part.length)) as T;
  };
  for (const e of all) {
    e.bytes = into(bytes, e.bytes, 0);
    e.ends = into(ends, e.ends, 1);
    e.overviews = into(overviews, e.overviews, 2);
    e.overviewEnds = into(overviewEnds, e.overviewEnds, 3);
  }
  return [bytes.buffer, ends.buffer, overviews.buffer, overviewEnds.buffer];
}

const range = new Float64Array(2);

/**
 * Encodes n points given as columns: steps in `columns[0, n)`, times in `[cap, cap + n)`, values in
 * `[2cap, 2cap + n)`. In the native module where it is built (chunks.c, the same bytes), else here.
 */
export function encodeSeries(columns: Float64Array, cap: number, n: number): EncodedSeries {
  const chunks = Math.ceil(n / CHUNK_POINTS);
  const full = Math.floor(n / CHUNK_POINTS);
  const ends = new Uint32Array(chunks);
  const overviews = new Float64Array(12 * full);
  const overviewEnds = new Uint32Array(full);
  // The chunks are encoded one after another into the scratch buffer, then copied out once.
  const bound = chunks * encodedBound(0) + encodedBound(n) - encodedBound(0);
  if (seriesScratch.length < bound) seriesScratch = Buffer.allocUnsafe(bound);
  const summary: PointsSummary = {
    count: n,
    last: n > 0 ? columns[2 * cap + n - 1] : null,
    lastStep: n > 0 ? columns[n - 1] : null,
    lastTime: n > 0 ? columns[cap + n - 1] : null,
    min: null,
    max: null,
  };
  const mod = native();
  if (mod?.encodeSeries) {
    const size = mod.encodeSeries(columns, cap, n, seriesScratch, ends, overviews, overviewEnds, range);
    if (range[0] === range[0]) [summary.min, summary.max] = range;
    const o = full > 0 ? overviewEnds[full - 1] : 0;
    return { summary, bytes: new Uint8Array(seriesScratch.subarray(0, size)), ends, overviews: overviews.slice(0, o), overviewEnds };
  }
  let size = 0;
  let o = 0;
  for (let c = 0; c < chunks; c++) {
    const i = c * CHUNK_POINTS;
    const k = Math.min(CHUNK_POINTS, n - i);
    const steps = columns.subarray(i, i + k);
    const times = columns.subarray(cap + i, cap + i + k);
    const values = columns.subarray(2 * cap + i, 2 * cap + i + k);
    size = encodeChunkAt(steps, times, values, k, seriesScratch, size);
    ends[c] = size;
    if (k === CHUNK_POINTS) {
      o += chunkOverview(steps, times, values, k, overviews.subarray(o, o + 12));
      overviewEnds[c] = o;
    }
  }
  const bytes = new Uint8Array(seriesScratch.subarray(0, size));
  widenRange(summary, columns, 2 * cap, 2 * cap + n);
  return { summary, bytes, ends, overviews: overviews.slice(0, o), overviewEnds };
}
