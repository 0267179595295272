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
import { native, type NativeModule } from '../native/native';
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

type SeriesEncoder = NonNullable<NativeModule['encodeSeries']>;

/**
 * chunks.c encodeSeries's twin, for where the native module is not built (the same arguments, the same
 * bytes): the chunks of n points given as columns (steps in `columns[0, n)`, times in `[cap, cap + n)`,
 * values in `[2cap, 2cap + n)`) written to `out`, their ends, the full chunks' overviews and where each
 * ends, and the lowest and highest value in `range` (NaN where there is none); returns the bytes written.
 */
const encodeSeriesInJs: SeriesEncoder = (columns, cap, n, out, ends, overviews, overviewEnds, range) => {
  const chunks = Math.ceil(n / CHUNK_POINTS);
  let size = 0;
  let o = 0;
  for (let c = 0; c < chunks; c++) {
    const i = c * CHUNK_POINTS;
    const k = Math.min(CHUNK_POINTS, n - i);
    const steps = columns.subarray(i, i + k);
    const times = columns.subarray(cap + i, cap + i + k);
    const values = columns.subarray(2 * cap + i, 2 * cap + i + k);
    size = encodeChunkAt(steps, times, values, k, out, size);
    ends[c] = size;
    if (k === CHUNK_POINTS) {
      o += chunkOverview(steps, times, values, k, overviews.subarray(o, o + 12));
      overviewEnds[c] = o;
    }
  }
  const extremes: { min: number | null; max: number | null } = { min: null, max: null };
  widenRange(extremes, columns, 2 * cap, 2 * cap + n);
  range[0] = extremes.min ?? NaN;
  range[1] = extremes.max ?? NaN;
  return size;
};

/** The encoder: the native module's where it is built (chunks.c), else its twin. */
function encoder(): SeriesEncoder {
  return native()?.encodeSeries ?? encodeSeriesInJs;
}

/** What the encoder needs of each of a series' arrays: bytes, chunk ends, overview numbers, overview ends. */
function room(n: number): [number, number, number, number] {
  const chunks = Math.ceil(n / CHUNK_POINTS);
  const full = Math.floor(n / CHUNK_POINTS);
  return [chunks * encodedBound(0) + encodedBound(n) - encodedBound(0), chunks, 12 * full, full];
}

/** Where the encoder writes a series' lowest and highest value (NaN, NaN: none). */
const range = new Float64Array(2);

/** The summary of the series the encoder just encoded (its extremes read from `range`). */
function summaryOf(columns: Float64Array, cap: number, n: number): PointsSummary {
  const [min, max] = range[0] === range[0] ? range : [null, null];
  return {
    count: n,
    last: n > 0 ? columns[2 * cap + n - 1] : null,
    lastStep: n > 0 ? columns[n - 1] : null,
    lastTime: n > 0 ? columns[cap + n - 1] : null,
    min,
    max,
  };
}

/**
 * Encodes n points given as columns (steps in `columns[0, n)`, times in `[cap, cap + n)`, values in
 * `[2cap, 2cap + n)`) into arrays of their own. A run's series go into a SeriesArena instead.
 */
export function encodeSeries(columns: Float64Array, cap: number, n: number): EncodedSeries {
  const [bytes, chunks, numbers, full] = room(n);
  if (seriesScratch.length < bytes) seriesScratch = Buffer.allocUnsafe(bytes);
  const ends = new Uint32Array(chunks);
  const overviews = new Float64Array(numbers);
  const overviewEnds = new Uint32Array(full);
  const size = encoder()(columns, cap, n, seriesScratch, ends, overviews, overviewEnds, range);
  const o = full > 0 ? overviewEnds[full - 1] : 0;
  return { summary: summaryOf(columns, cap, n), bytes: new Uint8Array(seriesScratch.subarray(0, size)), ends, overviews: overviews.slice(0, o), overviewEnds };
}

/** The four buffers a SeriesArena keeps its series in: bytes, chunk ends, overview numbers, overview ends. */
export type ArenaBuffers = [ArrayBuffer, ArrayBuffer, ArrayBuffer, ArrayBuffer];

const ARENA_START = [1 << 20, 1 << 10, 1 << 12, 1 << 8];
const ELEMENT = [1, 4, 8, 4];
/** Sets of buffers an arena keeps for its next runs. */
const SPARE_SETS = 48;

/**
 * Where the series of a run are encoded: back to back, in four buffers that are handed over whole (to
 * the indexer's thread) and given back once the run is written, to serve another run. Memory the process
 * has not touched yet costs a page fault each 4 KB (~15 µs on a virtual machine): when each series was
 * encoded into new arrays and copied once more into buffers to hand over, those faults were a tenth of a
 * cold pass's CPU.
 */
export class SeriesArena {
  private bytes!: Buffer;
  private ends!: Uint32Array;
  private overviews!: Float64Array;
  private overviewEnds!: Uint32Array;
  private used = [0, 0, 0, 0];
  /** The series encoded since the last handOver, each with where its four parts start. */
  private encoded: { series: EncodedSeries; at: number[] }[] = [];
  private readonly spare: ArenaBuffers[] = [];

  constructor() {
    this.adopt(ARENA_START.map((n, k) => new ArrayBuffer(n * ELEMENT[k])) as ArenaBuffers);
  }

  /** Encodes a series as encodeSeries does, into the arena: valid until the arena's buffers are given back. */
  encode(columns: Float64Array, cap: number, n: number): EncodedSeries {
    const need = room(n);
    this.reserve(need);
    const [b, e, v, w] = this.used;
    const ends = this.ends.subarray(e, e + need[1]);
    const overviews = this.overviews.subarray(v, v + need[2]);
    const overviewEnds = this.overviewEnds.subarray(w, w + need[3]);
    const size = encoder()(columns, cap, n, this.bytes.subarray(b, b + need[0]), ends, overviews, overviewEnds, range);
    const o = need[3] > 0 ? overviewEnds[need[3] - 1] : 0;
    const series: EncodedSeries = { summary: summaryOf(columns, cap, n), bytes: this.bytes.subarray(b, b + size), ends, overviews: overviews.subarray(0, o), overviewEnds };
    this.encoded.push({ series, at: [b, e, v, w] });
    this.used = [b + size, e + need[1], v + o, w + need[3]];
    return series;
  }

  /**
   * The buffers of the series encoded since the last handOver, every series made a view of them (one that
   * outgrew its buffers was encoded into buffers since replaced), to transfer whole. The arena goes on in
   * buffers given back, or new ones.
   */
  handOver(): ArenaBuffers {
    for (const { series: s, at } of this.encoded) {
      s.bytes = this.bytes.subarray(at[0], at[0] + s.bytes.length);
      s.ends = this.ends.subarray(at[1], at[1] + s.ends.length);
      s.overviews = this.overviews.subarray(at[2], at[2] + s.overviews.length);
      s.overviewEnds = this.overviewEnds.subarray(at[3], at[3] + s.overviewEnds.length);
    }
    const out: ArenaBuffers = [this.bytes.buffer, this.ends.buffer, this.overviews.buffer, this.overviewEnds.buffer] as ArenaBuffers;
    // The largest bytes buffer given back first: a run's series then rarely outgrow it.
    this.adopt(this.spare.pop() ?? (ARENA_START.map((n, k) => new ArrayBuffer(n * ELEMENT[k])) as ArenaBuffers));
    return out;
  }

  /** Buffers handed over before, to encode other runs' series in once their own are written. */
  giveBack(buffers: ArenaBuffers): void {
    if (this.spare.length >= SPARE_SETS) return;
    this.spare.push(buffers);
    // In order of their bytes buffer's size, the largest last (taken first).
    this.spare.sort((a, b) => a[0].byteLength - b[0].byteLength);
  }

  private adopt([bytes, ends, overviews, overviewEnds]: ArenaBuffers): void {
    this.bytes = Buffer.from(bytes);
    this.ends = new Uint32Array(ends);
    this.overviews = new Float64Array(overviews);
    this.overviewEnds = new Uint32Array(overviewEnds);
    this.used = [0, 0, 0, 0];
    this.encoded = [];
  }

  /** Room for `need` more of each part: a buffer too small is replaced by one twice as large, its contents copied. */
  private reserve(need: number[]): void {
    const parts = [this.bytes, this.ends, this.overviews, this.overviewEnds];
    if (parts.every((a, k) => this.used[k] + need[k] <= a.length)) return;
    const grown = parts.map((a, k) => {
      const want = this.used[k] + need[k];
      if (want <= a.length) return a.buffer;
      const buffer = new ArrayBuffer(Math.max(2 * a.length, want) * ELEMENT[k]);
      new Uint8Array(buffer).set(new Uint8Array(a.buffer, 0, this.used[k] * ELEMENT[k]));
      return buffer;
    }) as ArenaBuffers;
    const [used, encoded] = [this.used, this.encoded];
    this.adopt(grown);
    [this.used, this.encoded] = [used, encoded];
  }
}
