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
import { native, type NativeModule } from '../native/native';
import type { Columns } from './columns';
import { crc32cTables } from './crc32c';
import { Kernel, KernelPool, type WasmGlobal, type WasmMemory } from './wasm/instance';
import type { Diagnostic } from '../model';
import { openRegularFd } from './files';

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

// native/tfrecord.c scalarEvents: its tag table, why it stopped, and what a key's column may be.
const TAGS_MAX = 3072;
const TABLE_BY_ID = 64 + 8 * 4096;
const TABLE_ARENA = TABLE_BY_ID + 8 * TAGS_MAX;
const TABLE_BYTES = TABLE_ARENA + (256 << 10) + 8;
const NATIVE_SLOW = 1;
const NATIVE_TARGET = 2;
const NATIVE_FULL = 3;
const NATIVE_NONE = 4;
const KEY_UNKNOWN = -2;
const KEY_DROP = -1;
/** Set once the native decoder said it never decodes here (no CRC-32C instruction). */
let nativeScalarsOff = false;

/**
 * Where the scalars of an event file go, by tag: the tag's columns, or null to drop its points (`tensor`:
 * the points that came from scalar tensors). Asked once per tag and file, and again after each record left
 * to `onEntry` (such a record may bring plugin metadata that changes the answer).
 */
export type ScalarColumns = (tag: string, tensor: boolean) => Columns | null;

/**
 * The native event decoder's side of a scanner (native/tfrecord.c scalarEvents): its tag table, kept from
 * file to file like the module's, and the current file's columns by key (2 × tag id, plus 1 for tensors).
 */
class NativeScalars {
  private readonly table = Buffer.alloc(TABLE_BYTES);
  private readonly u32 = new Uint32Array(this.table.buffer, this.table.byteOffset, TABLE_BYTES >> 2);
  private readonly names: string[] = [];
  private readonly keyColumns = new Int32Array(2 * TAGS_MAX);
  private columns: Columns[] = [];
  private arrays: Float64Array[] = [];
  private counts = new Uint32Array(16);
  /** [why it stopped, key or column, points wanted, records taken, lowest and highest wall time]. */
  readonly state = new Float64Array(6);

  startFile(): void {
    if (this.u32[0] > TAGS_KEPT) {
      this.table.fill(0, 0, TABLE_ARENA);
      this.names.length = 0;
    }
    this.keyColumns.fill(KEY_UNKNOWN);
    this.columns = [];
    this.arrays = [];
    this.state.set([0, 0, 0, 0, Infinity, -Infinity]);
  }

  /** Tensors' answers are asked again (ScalarColumns). */
  forgetTensors(): void {
    for (let k = 1; k < this.keyColumns.length; k += 2) if (this.keyColumns[k] !== KEY_UNKNOWN) this.keyColumns[k] = KEY_UNKNOWN;
  }

  /**
   * Decodes the records of `bytes` from `pos` (within `end`) until one it does not take: returns where it
   * stopped (state[0] says why: a record to leave to the module, or no decoder here).
   */
  decode(decode: NonNullable<NativeModule['scalarEvents']>, bytes: Buffer, pos: number, end: number, columnsOf: ScalarColumns): number {
    const { columns, state } = this;
    for (;;) {
      // The columns as they are now: the module's points may have grown them since the last call.
      for (let c = 0; c < columns.length; c++) {
        this.arrays[c] = columns[c].cols;
        this.counts[c] = columns[c].n;
      }
      pos = decode(bytes, pos, end, this.table, this.arrays, this.keyColumns, this.counts, state);
      for (let c = 0; c < columns.length; c++) columns[c].n = this.counts[c];
      if (state[0] === NATIVE_TARGET) {
        const key = state[1];
        const target = columnsOf(this.tag(key >> 1), (key & 1) === 1);
        this.keyColumns[key] = target ? this.columnOf(target) : KEY_DROP;
      } else if (state[0] === NATIVE_FULL) {
        const c = columns[state[1]];
        c.reserve(state[2]);
        if (c.n + state[2] > c.cap) throw new Error(`columns of ${c.cap} points, ${c.n} held, made no room for ${state[2]} more`);
      } else return pos;
    }
  }

  private columnOf(target: Columns): number {
    const c = this.columns.indexOf(target);
    if (c >= 0) return c;
    this.columns.push(target);
    this.arrays.push(target.cols);
    if (this.counts.length < this.columns.length) this.counts = new Uint32Array(2 * this.columns.length);
    return this.columns.length - 1;
  }

  private tag(id: number): string {
    return tagName(this.names, id, this.table, this.u32, TABLE_BY_ID, TABLE_ARENA);
  }
}

/**
 * The text of tag `id` of a tag table (the module's, or the native decoder's): its (u32 address, u32
 * length) at `byId` + 8 × id in `bytes`, the address from `base`. Decoded once per tag, into `names`.
 */
function tagName(names: string[], id: number, bytes: Buffer, u32: Uint32Array, byId: number, base: number): string {
  while (names.length <= id) {
    const i = (byId >> 2) + names.length * 2;
    const at = base + u32[i];
    names.push(tagDecoder.decode(bytes.subarray(at, at + u32[i + 1])));
  }
  return names[id];
}

const scanners = new KernelPool(() => new RecordScanner());
const tagDecoder = new TextDecoder('utf-8');

/** One instance of the module, with views of its memory (remade whenever the memory grows). */
export class RecordScanner extends Kernel<EventsExports> {
  private readonly tagNames: string[] = [];
  private scalars?: NativeScalars;

  constructor() {
    super('events', IN, SLACK);
    crc32cTables().forEach((t, i) => this.u32.set(t, i * 256));
  }

  /** The text of a tag id from a SCALAR entry (decoded once per distinct tag). */
  tag(id: number): string {
    return tagName(this.tagNames, id, this.bytes, this.u32, TAG_BY_ID, 0);
  }

  startFile(): void {
    const forget = this.x.tagCount.value > TAGS_KEPT;
    if (forget) this.tagNames.length = 0;
    this.x.reset(forget ? 1 : 0);
  }

  /** The native decoder's state, begun for a file. */
  nativeScalars(): NativeScalars {
    this.scalars ??= new NativeScalars();
    this.scalars.startFile();
    return this.scalars;
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
  /** Earliest and latest positive wall time (seconds) of the records the modules decoded. */
  minWall?: number;
  maxWall?: number;
  /** Of `records`, those the native module decoded (TfRecordOptions.scalarColumns). */
  nativeRecords?: number;
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
  /**
   * With `events` and CRCs checked: where the native module (tfrecord.c scalarEvents), when built, writes
   * the scalars of the records it decodes itself — the common ones, in place of the WebAssembly module and
   * `onScalar`. It leaves every other record to the WebAssembly module, in file order.
   */
  scalarColumns?: ScalarColumns;
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
    fd = openRegularFd(file);
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
  // Scalar records decoded and put in their columns by the native module, which checks their CRCs as it goes.
  const columnsOf = options.scalarColumns;
  const decode = mode === (MODE_CRC | MODE_EVENTS) && columnsOf && !nativeScalarsOff ? native()?.scalarEvents : undefined;
  return withScanner((s) => {
    s.startFile();
    const x = s.x;
    const scalars = decode ? s.nativeScalars() : undefined;
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
        // The native decoder stops at a record it does not take: the module checks and decodes just that one
        // when it is whole (`one`: its end), and all that follows from one that is not (incomplete, damaged).
        let one = 0;
        if (scalars && !nativeScalarsOff) {
          pos = scalars.decode(decode!, s.bytes, pos, filled, columnsOf!);
          if (scalars.state[0] === NATIVE_NONE) nativeScalarsOff = true;
          else if (scalars.state[0] === NATIVE_SLOW) one = pos + 16 + s.bytes.readUInt32LE(pos);
        } else if (intact && vouched <= pos) vouched = intact(s.bytes, pos, filled);
        let stop: number;
        if (one) {
          stop = x.scan(pos, one, mode);
          if (stop === STOP_NEED_MORE) stop = STOP_OUTPUT_FULL;
        } else if (vouched > pos) {
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
          if (scalars && entry.kind === ENTRY_RECORD) scalars.forgetTensors();
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
    const st = scalars?.state;
    const minWall = st ? Math.min(x.minWall.value, st[4]) : x.minWall.value;
    return {
      endOffset: base + (pos - IN),
      records: x.records.value + (st ? st[3] : 0),
      diagnostics,
      ...(Number.isFinite(minWall) ? { minWall, maxWall: st ? Math.max(x.maxWall.value, st[5]) : x.maxWall.value } : {}),
      ...(st ? { nativeRecords: st[3] } : {}),
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
