/**
 * TFRecord framing, streamed: `u64 length | u32 masked crc(length) | data | u32 masked crc(data)`.
 *
 * The framing, both CRC-32C checks and (for event files) the common Event shapes run in WebAssembly
 * (`wasm/events.wat`): the file is read in 4 MiB pieces straight into the module's memory, one `scan` call
 * walks every whole record of a piece, and JavaScript sees a table of results. Memory stays flat on
 * multi-GB files; the offset just past the last complete record is reported so a growing file can be
 * resumed there.
 */
import * as fs from 'node:fs';
import { native } from '../native/native';
import { crc32cTables } from './crc32c';
import { Kernel, KernelPool, type WasmGlobal, type WasmMemory } from './wasm/instance';
import type { Diagnostic } from '../model';

const CHUNK = 4 * 1024 * 1024;

// The module's memory layout (see events.wat).
const TAG_BY_ID = 40960;
const OUT = 393216;
const ENTRY = 40;
const IN = 1 << 20;
/** Bytes kept free after the input so a fixed-width read just past a bad length stays in memory. */
const SLACK = 16;
/** Forget the tags seen in earlier files once this many are kept (the module holds 3,072). */
const TAGS_KEPT = 2048;

export const ENTRY_SCALAR = 1;
export const ENTRY_RECORD = 2;
export const ENTRY_BAD_CRC = 3;

const MODE_CRC = 1;
const MODE_EVENTS = 2;

const STOP_NEED_MORE = 0;
const STOP_OUTPUT_FULL = 1;
const STOP_LENGTH_CRC = 2;
/** A record over 512 MiB is not a summary event: the module refuses it rather than have it allocated. */
const STOP_TOO_LARGE = 3;

interface EventsExports {
  memory: WasmMemory;
  scan(pos: number, end: number, mode: number): number;
  reset(forgetTags: number): void;
  crc32c(start: number, end: number): number;
  scanPos: WasmGlobal;
  outCount: WasmGlobal;
  need: WasmGlobal;
  records: WasmGlobal;
  minWall: WasmGlobal;
  maxWall: WasmGlobal;
  tagCount: WasmGlobal;
}

const scanners = new KernelPool(() => new RecordScanner());
const tagDecoder = new TextDecoder('utf-8');

/** One instance of the module, with views of its memory (remade whenever the memory grows). */
export class RecordScanner extends Kernel<EventsExports> {
  private readonly tagNames: string[] = [];

  constructor() {
    super('events', IN, SLACK);
    crc32cTables().forEach((t, i) => this.u32.set(t, i * 256));
  }

  /** The text of a tag id from a SCALAR entry (decoded once per distinct tag). */
  tag(id: number): string {
    const names = this.tagNames;
    while (names.length <= id) {
      const i = (TAG_BY_ID >> 2) + names.length * 2;
      names.push(tagDecoder.decode(this.bytes.subarray(this.u32[i], this.u32[i] + this.u32[i + 1])));
    }
    return names[id];
  }

  startFile(): void {
    const forget = this.x.tagCount.value > TAGS_KEPT;
    if (forget) this.tagNames.length = 0;
    this.x.reset(forget ? 1 : 0);
  }

  /** CRC-32C of `data` computed by the module (for tests that hold it to the JavaScript one). */
  crc32c(data: Uint8Array): number {
    this.reserve(data.length);
    this.bytes.set(data, IN);
    return this.x.crc32c(IN, IN + data.length) >>> 0;
  }
}

/** Runs `fn` with a scanner no one else is using (readers do not nest, but nothing breaks if they do). */
export function withScanner<T>(fn: (s: RecordScanner) => T): T {
  return scanners.use(fn);
}

/** One output entry's fields, read straight from the scanner's memory. */
export interface EntryView {
  kind: number;
  a: number;
  b: number;
  /** File offset of the entry's record. */
  offset: number;
  step: number;
  wall: number;
  value: number;
}

export interface TfRecordResult {
  /** Offset just past the last complete record: where the next read should start. */
  endOffset: number;
  records: number;
  diagnostics: Diagnostic[];
  /** Earliest and latest positive wall time (seconds) of the records the module decoded. */
  minWall?: number;
  maxWall?: number;
}

export interface TfRecordOptions {
  /** Verify the masked CRC-32C of every length and payload (default true). */
  checkCrc?: boolean;
  /** Checked between pieces; stops reading early when it returns true. */
  cancelled?: () => boolean;
  /**
   * SCALAR entries, straight from the module's output (`tensor`: the value came from a tensor), in place
   * of `onEntry`: the bulk of an event file, without an entry view filled for each.
   */
  onScalar?: (s: RecordScanner, tagId: number, tensor: boolean, step: number, wall: number, value: number) => void;
}

/**
 * Walks the records of `file` from `startOffset`, calling `onEntry(scanner, entry)` for each entry of the
 * module's results (the entry object is reused; BAD_CRC entries become diagnostics here). `events` decodes
 * Event records in the module (SCALAR entries); without it every intact record is a RECORD entry.
 */
export function scanTfRecords(
  file: string,
  startOffset: number,
  events: boolean,
  onEntry: (s: RecordScanner, e: EntryView) => void,
  options: TfRecordOptions = {},
): TfRecordResult {
  const diagnostics: Diagnostic[] = [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot open: ${(err as Error).message}` });
    return { endOffset: startOffset, records: 0, diagnostics };
  }
  const mode = (options.checkCrc ?? true ? MODE_CRC : 0) | (events ? MODE_EVENTS : 0);
  const onScalar = options.onScalar;
  // Records the native module found intact with the processor's CRC-32C instruction are framed by the
  // module without checking them again (the check is most of the module's time); from the first record it
  // cannot vouch for, the module checks as before.
  const intact = mode & MODE_CRC ? native()?.tfrecordsIntact : undefined;
  return withScanner((s) => {
    s.startFile();
    const x = s.x;
    let base = startOffset; // file offset of address IN
    let pos = IN; // address of the next record
    let filled = IN; // end of the bytes read
    let eof = false;
    // The records in [pos, vouched) were found intact by the native module.
    let vouched = pos;
    const entry: EntryView = { kind: 0, a: 0, b: 0, offset: 0, step: 0, wall: 0, value: 0 };
    try {
      for (;;) {
        // Fill the input region (up to a piece beyond what is still unread).
        const limit = Math.min(IN + s.capacity, pos + Math.max(CHUNK, x.need.value));
        while (!eof && filled < limit) {
          const n = fs.readSync(fd, s.bytes, filled, limit - filled, base + (filled - IN));
          if (n === 0) eof = true;
          filled += n;
        }
        if (intact && vouched <= pos) vouched = intact(s.bytes, pos, filled);
        let stop: number;
        if (vouched > pos) {
          stop = x.scan(pos, vouched, mode & ~MODE_CRC);
          // Stopped short of what was read (a record to check, or to complete): scanned on, not refilled.
          if (stop === STOP_NEED_MORE && vouched < filled) stop = STOP_OUTPUT_FULL;
        } else stop = x.scan(pos, filled, mode);
        pos = x.scanPos.value;
        const count = x.outCount.value;
        const { u32, f64 } = s;
        for (let i = 0; i < count; i++) {
          const o = (OUT + i * ENTRY) >> 2;
          if (onScalar && u32[o] === ENTRY_SCALAR) {
            const f = (OUT + i * ENTRY + 16) >> 3;
            onScalar(s, u32[o + 1], u32[o + 2] !== 0, f64[f], f64[f + 1], f64[f + 2]);
            continue;
          }
          entry.kind = s.u32[o];
          entry.a = s.u32[o + 1];
          entry.b = s.u32[o + 2];
          entry.offset = base + (s.u32[o + 3] - IN);
          if (entry.kind === ENTRY_SCALAR) {
            const f = (OUT + i * ENTRY + 16) >> 3;
            entry.step = s.f64[f];
            entry.wall = s.f64[f + 1];
            entry.value = s.f64[f + 2];
          } else if (entry.kind === ENTRY_BAD_CRC) {
            diagnostics.push({ file, offset: entry.offset, severity: 'error', message: 'record payload fails its CRC-32C check; record skipped' });
            continue;
          }
          onEntry(s, entry);
        }
        const offset = base + (pos - IN);
        if (stop === STOP_LENGTH_CRC) {
          diagnostics.push({ file, offset, severity: 'error', message: 'record length fails its CRC-32C check; the rest of the file cannot be framed and is skipped' });
          break;
        }
        if (stop === STOP_TOO_LARGE) {
          const len = s.bytes.readUInt32LE(pos) + s.bytes.readUInt32LE(pos + 4) * 0x100000000;
          diagnostics.push({ file, offset, severity: 'error', message: `record of ${len} bytes is too large; rest of file skipped` });
          break;
        }
        if (options.cancelled?.()) break;
        if (stop === STOP_OUTPUT_FULL) continue;
        if (stop === STOP_NEED_MORE) {
          if (eof) {
            if (filled > pos) diagnostics.push(truncated(file, offset, filled - pos < 12 ? 'header' : 'payload'));
            break;
          }
          // Move the unread tail to the front, making room for the next record whatever its size.
          s.bytes.copyWithin(IN, pos, filled);
          filled -= pos - IN;
          base += pos - IN;
          vouched -= pos - IN;
          pos = IN;
          s.reserve(x.need.value + CHUNK);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    const minWall = x.minWall.value;
    return {
      endOffset: base + (pos - IN),
      records: x.records.value,
      diagnostics,
      ...(Number.isFinite(minWall) ? { minWall, maxWall: x.maxWall.value } : {}),
    };
  });
}

/**
 * Calls `onRecord(buf, start, end, offset)` for each intact record of `file` from `startOffset`. The
 * payload view is only valid during the call.
 */
export function readTfRecords(
  file: string,
  startOffset: number,
  onRecord: (buf: Buffer, start: number, end: number, offset: number) => void,
  options: TfRecordOptions = {},
): TfRecordResult {
  return scanTfRecords(file, startOffset, false, (s, e) => onRecord(s.bytes, e.a, e.b, e.offset), options);
}

function truncated(file: string, offset: number, part: string): Diagnostic {
  return {
    file,
    offset,
    severity: 'info',
    message: `last record is incomplete (${part} cut short): the file is still being written or was truncated`,
  };
}
