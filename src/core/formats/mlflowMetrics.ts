/**
 * MLflow metric files (`metrics/<key>`): one `timestamp value [step [extra…]]` line per logged point,
 * appended as the run trains.
 *
 * The lines are read in 1 MiB pieces straight into a WebAssembly module (`wasm/metrics.wat`) that splits
 * them and parses their numbers exactly; the few lines it leaves (more than 19 significant digits,
 * subnormals, `nan`, anything malformed) are parsed here by `parseMetricLine`, which decides what is
 * malformed. Only complete (newline-terminated) lines are consumed, so a line still being written is
 * picked up by the next read.
 */
import * as fs from 'node:fs';
import { parseNumberBytes } from './lines';
import { Kernel, KernelPool, type WasmGlobal, type WasmMemory } from './wasm/instance';
import type { Diagnostic, MetricPoint } from '../model';
import { openRegularFd } from './files';
import { OUTSIDE_FILE, outsideLinkMessage } from '../artifacts/confine';

// The module's memory layout (see metrics.wat).
const POW10 = 12288;
const OUT_TIMES = 16384;
const OUT_VALUES = 278528;
const OUT_STEPS = 540672;
const OUT_ENTRIES = 32768;
const DEFERRED = 802816;
const IN = 1376256;
const CHUNK = 1 << 20;
const SLACK = 16;
const STOP_OUTPUT_FULL = 1;

interface MetricsExports {
  memory: WasmMemory;
  scan(pos: number, end: number): number;
  scanPos: WasmGlobal;
  outCount: WasmGlobal;
  deferCount: WasmGlobal;
  lines: WasmGlobal;
}

/** 128-bit approximations of 5^q for q in [-342, 308], normalized so the top bit is set (Eisel–Lemire). */
function powersOfFive(): BigUint64Array {
  const out = new BigUint64Array(651 * 2);
  const bits = (n: bigint) => n.toString(2).length;
  const mask64 = (1n << 64n) - 1n;
  for (let q = -342; q <= 308; q++) {
    let c: bigint;
    if (q >= 0) {
      // 5^q with its most significant bit moved to bit 127, truncated.
      const p = 5n ** BigInt(q);
      const shift = 128 - bits(p);
      c = shift >= 0 ? p << BigInt(shift) : p >> BigInt(-shift);
    } else {
      // 2^b / 5^-q rounded up, truncated to 128 bits.
      const p = 5n ** BigInt(-q);
      const z = BigInt(bits(p));
      if (q >= -27) c = (1n << (z + 127n)) / p + 1n;
      else {
        c = (1n << (2n * z + 128n)) / p + 1n;
        const excess = bits(c) - 128;
        if (excess > 0) c >>= BigInt(excess);
      }
    }
    out[2 * (q + 342)] = c >> 64n;
    out[2 * (q + 342) + 1] = c & mask64;
  }
  return out;
}

let tables: { five: BigUint64Array; ten: Float64Array } | undefined;

class MetricLineScanner extends Kernel<MetricsExports> {
  constructor() {
    super('metrics', IN, SLACK);
    tables ??= { five: powersOfFive(), ten: Float64Array.from({ length: 23 }, (_, i) => 10 ** i) };
    new BigUint64Array(this.x.memory.buffer, 0, tables.five.length).set(tables.five);
    this.f64.set(tables.ten, POW10 / 8);
  }
}

const scanners = new KernelPool(() => new MetricLineScanner());

export interface MetricFileRead {
  endOffset: number;
  nextLine: number;
  /** Points read (given to `onColumns` / `onPoint`). */
  points: number;
  /** Lines the module left to the JavaScript parser (malformed ones included). */
  deferred: number;
  diagnostics: Diagnostic[];
  /**
   * The bytes just before `endOffset` (hex, up to 32: FileState.tail), when they passed through the buffer
   * in this read; undefined otherwise.
   */
  tail?: string;
}

/**
 * Where a metric file's points go, in file order: runs of them as three columns, `[from, to)` of each —
 * views of the parser's memory, valid during the call only.
 */
export type PointColumns = (steps: Float64Array, times: Float64Array, values: Float64Array, from: number, to: number) => void;

/**
 * Streams the points of an MLflow metric file from `offset` (the line there is number `firstLine`) into
 * `onColumns`. Malformed lines are skipped with a diagnostic naming the line; an unterminated last line is
 * left for the next read. `size`, the file's size as listed, saves the read that would find the end: once
 * that much is read the read stops (a file that grew since has a new fingerprint, and the next pass reads
 * what it gained).
 */
export function readMlflowMetricColumns(file: string, offset: number, firstLine: number, onColumns: PointColumns, size = Infinity): MetricFileRead {
  // A link out of the workspace and the store (listing.ts): reported, never opened.
  if (size === OUTSIDE_FILE) return { points: 0, deferred: 0, endOffset: offset, nextLine: firstLine, diagnostics: [{ file, severity: 'warning', message: outsideLinkMessage(file) }] };
  let fd: number;
  try {
    fd = openRegularFd(file);
  } catch (err) {
    return { points: 0, deferred: 0, endOffset: offset, nextLine: firstLine, diagnostics: [{ file, severity: 'error', message: `cannot read: ${(err as Error).message}` }] };
  }
  try {
    return scanMetrics(file, offset, firstLine, onColumns, size, (into, at, length, position) => fs.readSync(fd, into, at, length, position));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * readMlflowMetricColumns of a whole file whose bytes, `bytes`, the caller read (natively, as its run was
 * listed: listing.ts walkRead).
 */
export function readMlflowMetricBytes(file: string, bytes: Uint8Array, onColumns: PointColumns): MetricFileRead {
  return scanMetrics(file, 0, 1, onColumns, bytes.length, (into, at, length, position) => {
    const n = Math.max(0, Math.min(length, bytes.length - position));
    into.set(bytes.subarray(position, position + n), at);
    return n;
  });
}

/** The metric reader, reading its bytes from `read` (into `into` at `at`, up to `length`, from file offset `position`). */
function scanMetrics(
  file: string,
  offset: number,
  firstLine: number,
  onColumns: PointColumns,
  size: number,
  read: (into: Buffer, at: number, length: number, position: number) => number,
): MetricFileRead {
  const diagnostics: Diagnostic[] = [];
  return scanners.use((s) => {
    let base = offset; // file offset of address IN
    let pos = IN;
    let filled = IN;
    let line = firstLine; // number of the line at `pos`
    let points = 0;
    let deferred = 0;
    let eof = false;
    try {
      for (;;) {
        if (!eof) {
          if (filled - pos >= s.capacity - CHUNK / 2) s.reserve(2 * (filled - pos) + CHUNK); // one long line
          while (!eof && filled < IN + s.capacity) {
            const n = read(s.bytes, filled, IN + s.capacity - filled, base + (filled - IN));
            if (n === 0 || base + (filled - IN) + n >= size) eof = true;
            filled += n;
          }
        }
        const stop = s.x.scan(pos, filled);
        const count = s.x.outCount.value;
        const { u32, f64 } = s;
        const times = f64.subarray(OUT_TIMES / 8, OUT_TIMES / 8 + OUT_ENTRIES);
        const values = f64.subarray(OUT_VALUES / 8, OUT_VALUES / 8 + OUT_ENTRIES);
        const steps = f64.subarray(OUT_STEPS / 8, OUT_STEPS / 8 + OUT_ENTRIES);
        // The lines the module left are parsed here into their entries; a malformed one splits the run.
        let from = 0;
        for (let d = 0, defers = s.x.deferCount.value; d < defers; d++) {
          const o = DEFERRED / 4 + 4 * d;
          const i = u32[o];
          deferred++;
          const p = parseMetricLine(s.bytes, u32[o + 2], u32[o + 3]);
          if (p) {
            [steps[i], times[i], values[i]] = [p.step, p.time, p.value];
            continue;
          }
          if (i > from) onColumns(steps, times, values, from, i);
          points += i - from;
          from = i + 1;
          if (diagnostics.length < 100) {
            const text = s.bytes.toString('utf8', u32[o + 2], Math.min(u32[o + 3], u32[o + 2] + 80));
            diagnostics.push({ file, line: line + u32[o + 1], severity: 'error', message: `malformed metric line ${JSON.stringify(text)}: expected "timestamp value step"` });
          }
        }
        if (count > from) onColumns(steps, times, values, from, count);
        points += count - from;
        line += s.x.lines.value;
        pos = s.x.scanPos.value;
        if (stop === STOP_OUTPUT_FULL) continue;
        if (eof) break;
        // Keep the unterminated tail and read on.
        s.bytes.copyWithin(IN, pos, filled);
        filled -= pos - IN;
        base += pos - IN;
        pos = IN;
      }
    } catch (err) {
      diagnostics.push({ file, severity: 'error', message: `cannot read: ${(err as Error).message}` });
    }
    if (filled > pos) {
      diagnostics.push({ file, line, severity: 'info', message: 'last line has no newline yet (still being written?); it is read once complete' });
    }
    const endOffset = base + (pos - IN);
    const n = Math.min(32, endOffset);
    const tail = pos - IN >= n ? s.bytes.toString('hex', pos - n, pos) : undefined;
    return { points, deferred, endOffset, nextLine: line, diagnostics, tail };
  });
}

/** The points of an MLflow metric file from `offset`, one `onPoint` call each (see readMlflowMetricColumns). */
export function readMlflowMetricPoints(
  file: string,
  offset: number,
  firstLine: number,
  onPoint: (step: number, time: number, value: number) => void,
): MetricFileRead {
  return readMlflowMetricColumns(file, offset, firstLine, (steps, times, values, from, to) => {
    for (let i = from; i < to; i++) onPoint(steps[i], times[i], values[i]);
  });
}

/** The points of a whole metric file (or from `offset`), as an array. */
export function readMlflowMetricFile(file: string, offset = 0, firstLine = 1): Omit<MetricFileRead, 'points'> & { points: MetricPoint[] } {
  const points: MetricPoint[] = [];
  const read = readMlflowMetricPoints(file, offset, firstLine, (step, time, value) => void points.push({ step, time, value }));
  return { ...read, points };
}

/** `timestamp value [step [extra…]]`, space-separated, straight from the bytes. */
export function parseMetricLine(buf: Uint8Array, start: number, end: number): MetricPoint | undefined {
  const s1 = space(buf, start, end);
  if (s1 >= end) return undefined;
  const s2 = space(buf, s1 + 1, end);
  const s3 = s2 < end ? space(buf, s2 + 1, end) : end;
  const time = parseNumberBytes(buf, start, s1);
  const value = parseNumberBytes(buf, s1 + 1, s2);
  const step = s2 < end ? parseNumberBytes(buf, s2 + 1, s3) : 0;
  if (time === undefined || value === undefined || step === undefined) return undefined;
  return { time, value, step };
}

/** The first space in [from, end), or end. */
function space(buf: Uint8Array, from: number, end: number): number {
  while (from < end && buf[from] !== 32) from++;
  return from;
}
