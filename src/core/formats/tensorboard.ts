/**
 * TensorBoard event files (`events.out.tfevents.*`): Event protos in TFRecord framing. Decodes scalars
 * from `simple_value` (TF1, PyTorch SummaryWriter, Lightning) and from scalar tensors (TF2 `.v2` files),
 * and hparams plugin data (session start info → params, session end → status).
 *
 * Field numbers follow tensorflow/core/util/event.proto and framework/summary.proto.
 */
import * as fs from 'node:fs';
import { maskedCrc32c } from './crc32c';
import { scanTfRecords, type ScalarColumns } from './tfrecord';
import type { Columns } from './columns';
import { ProtoReader, ProtobufError, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf';
import type { Diagnostic, RunStatus } from '../model';

export const EVENT_FILE_RE = /^events\.out\.tfevents\./;

/** Per-tag state that must survive across resumed reads: TF2 writes plugin metadata only once per tag. */
export interface TagKinds {
  [tag: string]: 'scalar' | 'other';
}

export interface EventSink {
  scalar(tag: string, step: number, timeMs: number, value: number): void;
  /**
   * Where a tag's scalars go, in place of `scalar`: asked once per tag and file (again after a record
   * the fast paths left to EventDecoder), then given each point — written straight into the columns by the
   * native decoder, pushed by the WebAssembly one. A cold read's hot path: no tag text, no lookup by tag and
   * no call per point.
   */
  target?(tag: string): Columns;
  param?(key: string, value: string): void;
  status?(status: RunStatus, timeMs: number | undefined): void;
  /**
   * Wall times of records (not the file_version record a file opens with): called at least with the
   * earliest and the latest (keep a min and a max).
   */
  wallTime?(timeMs: number): void;
}

export interface EventFileResult {
  endOffset: number;
  records: number;
  diagnostics: Diagnostic[];
}

// Field keys (field number << 3 | wire type) of the hot path.
const KEY_WALL_TIME = (1 << 3) | WIRE_I64; // Event.wall_time
const KEY_STEP = (2 << 3) | WIRE_VARINT; // Event.step
const KEY_FILE_VERSION = (3 << 3) | WIRE_LEN; // Event.file_version
const KEY_SUMMARY = (5 << 3) | WIRE_LEN; // Event.summary
const KEY_SUMMARY_VALUE = (1 << 3) | WIRE_LEN; // Summary.value
const KEY_TAG = (1 << 3) | WIRE_LEN; // Summary.Value.tag
const KEY_SIMPLE_VALUE = (2 << 3) | WIRE_I32; // Summary.Value.simple_value
const KEY_TENSOR = (8 << 3) | WIRE_LEN; // Summary.Value.tensor
const KEY_METADATA = (9 << 3) | WIRE_LEN; // Summary.Value.metadata

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_UINT8 = 4;
const DT_INT16 = 5;
const DT_INT8 = 6;
const DT_INT64 = 9;
const DT_BOOL = 10;
const DT_HALF = 19;
const DT_BFLOAT16 = 14;

/**
 * Reads an event file from `startOffset`, streaming every scalar into `sink`. The WebAssembly framing
 * decodes the common records (`simple_value` and float/double scalar tensors, see `wasm/events.wat`);
 * every other record — plugin metadata, hparams, other tensor types, anything unusual — is decoded here by
 * EventDecoder, in file order.
 */
export function readEventFile(
  file: string,
  startOffset: number,
  kinds: TagKinds,
  sink: EventSink,
  cancelled?: () => boolean,
  /** false: every record through EventDecoder (the reference the fast path is tested against). */
  fastPath = true,
): EventFileResult {
  const diagnostics: Diagnostic[] = [];
  // The file's opening file_version record is dated when its writer was made, not when anything was
  // logged (a profiler's `.profile-empty` stub is that record alone): it is passed over, so that a run's
  // span is that of the records that log something, and a file of that record alone logs nothing.
  const version = startOffset === 0 ? versionRecordEnd(file) : 0;
  const decoder = new EventDecoder(kinds, sink);
  // sink.target's answers, for simple values and for scalar tensors (null: the tag's plugin metadata says
  // its tensors are not scalars). A record decoded here may bring such metadata: the tensors' answers are
  // asked again after one. By the WebAssembly module's tag id here; the native decoder keeps its own.
  const columnsOf: ScalarColumns | undefined = sink.target && ((tag, tensor) => (tensor && kinds[tag] === 'other' ? null : sink.target!(tag)));
  const targets: (Columns | undefined)[] = [];
  let tensorTargets: (Columns | null | undefined)[] = [];
  const result = scanTfRecords(
    file,
    startOffset + version,
    fastPath,
    (s, e) => {
      if (tensorTargets.length) tensorTargets = [];
      try {
        decoder.decode(s.bytes, e.a, e.b);
      } catch (err) {
        if (!(err instanceof ProtobufError)) throw err;
        diagnostics.push({
          file,
          offset: e.offset,
          severity: 'error',
          message: `malformed Event record: ${err.message} (at byte ${err.offset - e.a} of the record)`,
        });
      }
    },
    {
      cancelled,
      scalarColumns: columnsOf,
      onScalar(s, tagId, tensor, step, wall, value) {
        if (columnsOf) {
          const known = tensor ? tensorTargets : targets;
          let target = known[tagId];
          if (target === undefined) target = known[tagId] = columnsOf(s.tag(tagId), tensor);
          target?.push(step, wall * 1000, value);
          return;
        }
        const tag = s.tag(tagId);
        // A scalar tensor counts unless the tag's plugin metadata (seen earlier) said it is not a scalar.
        if (!tensor || kinds[tag] !== 'other') sink.scalar(tag, step, wall * 1000, value);
      },
    },
  );
  if (result.minWall !== undefined) {
    sink.wallTime?.(result.minWall * 1000);
    sink.wallTime?.(result.maxWall! * 1000);
  }
  return { endOffset: result.endOffset, records: result.records + (version ? 1 : 0), diagnostics: [...result.diagnostics, ...diagnostics] };
}

/**
 * The end of the file's first record where it is whole, passes its CRC checks and is an Event of a
 * wall time, a step and a file_version only; else 0 (the scan reads and reports it as any other).
 */
function versionRecordEnd(file: string): number {
  const head = Buffer.alloc(256);
  let n: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      n = fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return 0;
  }
  if (n < 16 || head.readUInt32LE(4) !== 0) return 0;
  const len = head.readUInt32LE(0);
  if (16 + len > n || head.readUInt32LE(8) !== maskedCrc32c(head, 0, 8) || head.readUInt32LE(12 + len) !== maskedCrc32c(head, 12, 12 + len)) return 0;
  const r = new ProtoReader(head, 12, 12 + len);
  let versioned = false;
  try {
    while (!r.done) {
      const key = r.rawKey();
      if (key === KEY_FILE_VERSION) versioned = true;
      else if (key !== KEY_WALL_TIME && key !== KEY_STEP) return 0;
      r.skip(key & 7);
    }
  } catch (err) {
    if (err instanceof ProtobufError) return 0;
    throw err;
  }
  return versioned ? 16 + len : 0;
}

class EventDecoder {
  constructor(
    private readonly kinds: TagKinds,
    private readonly sink: EventSink,
  ) {}

  // One reader per message level, reused for every record (the hot path allocates nothing per event).
  private readonly event = new ProtoReader(new Uint8Array(0));
  private readonly summary = new ProtoReader(new Uint8Array(0));
  private readonly value = new ProtoReader(new Uint8Array(0));

  decode(buf: Uint8Array, start: number, end: number): void {
    const r = this.event.reset(buf, start, end);
    let wallTime = 0;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    while (r.pos < r.end) {
      const key = r.rawKey();
      if (key === KEY_WALL_TIME) wallTime = r.double();
      else if (key === KEY_STEP) step = r.int64();
      else if (key === KEY_SUMMARY) {
        summaryStart = r.lenStart();
        summaryEnd = r.lenEnd;
      } else r.skip(key & 7);
    }
    const timeMs = wallTime * 1000;
    this.sink.wallTime?.(timeMs);
    if (summaryStart >= 0) this.decodeSummary(buf, summaryStart, summaryEnd, step, timeMs);
  }

  private decodeSummary(buf: Uint8Array, start: number, end: number, step: number, timeMs: number): void {
    const r = this.summary.reset(buf, start, end);
    while (r.pos < r.end) {
      const key = r.rawKey();
      if (key === KEY_SUMMARY_VALUE) {
        const s = r.lenStart();
        this.decodeValue(buf, s, r.lenEnd, step, timeMs);
      } else r.skip(key & 7);
    }
  }

  private decodeValue(buf: Uint8Array, start: number, end: number, step: number, timeMs: number): void {
    const r = this.value.reset(buf, start, end);
    let tag = '';
    let simple: number | undefined;
    let tensorStart = -1;
    let tensorEnd = -1;
    let plugin: string | undefined;
    let pluginContent: [number, number] | undefined;
    let dataClass = 0;
    while (r.pos < r.end) {
      const key = r.rawKey();
      if (key === KEY_TAG) tag = r.string();
      else if (key === KEY_SIMPLE_VALUE) simple = r.float();
      else if (key === KEY_TENSOR) {
        tensorStart = r.lenStart();
        tensorEnd = r.lenEnd;
      } else if (key === KEY_METADATA) {
        const s = r.lenStart();
        const meta = decodeMetadata(buf, s, r.lenEnd);
        plugin = meta.plugin;
        pluginContent = meta.content;
        dataClass = meta.dataClass;
      } else r.skip(key & 7);
    }
    if (plugin !== undefined || dataClass !== 0) {
      this.kinds[tag] = plugin === 'scalars' || dataClass === 1 ? 'scalar' : 'other';
    }
    if (plugin === 'hparams' && pluginContent) {
      this.decodeHparams(buf, pluginContent[0], pluginContent[1]);
      return;
    }
    if (simple !== undefined) {
      this.sink.scalar(tag, step, timeMs, simple);
      return;
    }
    if (tensorStart >= 0) {
      const kind = this.kinds[tag];
      if (kind === 'other') return;
      const value = scalarFromTensor(buf, tensorStart, tensorEnd);
      if (value !== undefined) this.sink.scalar(tag, step, timeMs, value);
    }
  }

  private decodeHparams(buf: Uint8Array, start: number, end: number): void {
    const r = new ProtoReader(buf, start, end);
    while (!r.done) {
      const [field, wire] = r.key();
      if (field === 3 && wire === WIRE_LEN) {
        const [s, e] = r.bytes();
        this.decodeSessionStart(buf, s, e);
      } else if (field === 4 && wire === WIRE_LEN) {
        const [s, e] = r.bytes();
        this.decodeSessionEnd(buf, s, e);
      } else r.skip(wire);
    }
  }

  private decodeSessionStart(buf: Uint8Array, start: number, end: number): void {
    const r = new ProtoReader(buf, start, end);
    while (!r.done) {
      const [field, wire] = r.key();
      if (field === 1 && wire === WIRE_LEN) {
        const [s, e] = r.bytes();
        const entry = new ProtoReader(buf, s, e);
        let key = '';
        let value = '';
        while (!entry.done) {
          const [f, w] = entry.key();
          if (f === 1 && w === WIRE_LEN) key = entry.string();
          else if (f === 2 && w === WIRE_LEN) {
            const [vs, ve] = entry.bytes();
            value = decodeStructValue(buf, vs, ve);
          } else entry.skip(w);
        }
        if (key) this.sink.param?.(key, value);
      } else r.skip(wire);
    }
  }

  private decodeSessionEnd(buf: Uint8Array, start: number, end: number): void {
    const r = new ProtoReader(buf, start, end);
    let status = 0;
    let endSecs: number | undefined;
    while (!r.done) {
      const [field, wire] = r.key();
      if (field === 1 && wire === WIRE_VARINT) status = r.varint();
      else if (field === 2 && wire === WIRE_I64) endSecs = r.double();
      else r.skip(wire);
    }
    const names: RunStatus[] = ['UNKNOWN', 'FINISHED', 'FAILED', 'RUNNING'];
    this.sink.status?.(names[status] ?? 'UNKNOWN', endSecs !== undefined ? endSecs * 1000 : undefined);
  }
}

function decodeMetadata(buf: Uint8Array, start: number, end: number): { plugin?: string; content?: [number, number]; dataClass: number } {
  const r = new ProtoReader(buf, start, end);
  let plugin: string | undefined;
  let content: [number, number] | undefined;
  let dataClass = 0;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1 && wire === WIRE_LEN) {
      const [s, e] = r.bytes();
      const p = new ProtoReader(buf, s, e);
      while (!p.done) {
        const [f, w] = p.key();
        if (f === 1 && w === WIRE_LEN) plugin = p.string();
        else if (f === 2 && w === WIRE_LEN) content = p.bytes();
        else p.skip(w);
      }
    } else if (field === 4 && wire === WIRE_VARINT) dataClass = r.varint();
    else r.skip(wire);
  }
  return { plugin, content, dataClass };
}

/** google.protobuf.Value → a display string (numbers in shortest round-trip form). */
function decodeStructValue(buf: Uint8Array, start: number, end: number): string {
  const r = new ProtoReader(buf, start, end);
  let out = '';
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1 && wire === WIRE_VARINT) {
      r.varint();
      out = 'null';
    } else if (field === 2 && wire === WIRE_I64) out = String(r.double());
    else if (field === 3 && wire === WIRE_LEN) out = r.string();
    else if (field === 4 && wire === WIRE_VARINT) out = r.varint() ? 'true' : 'false';
    else r.skip(wire);
  }
  return out;
}

/** The single value of a rank-0 (or one-element) numeric TensorProto, or undefined. */
export function scalarFromTensor(buf: Uint8Array, start: number, end: number): number | undefined {
  const r = new ProtoReader(buf, start, end);
  let dtype = 0;
  let elements = 1;
  let content: [number, number] | undefined;
  const vals: number[] = [];
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1 && wire === WIRE_VARINT) dtype = r.varint();
    else if (field === 2 && wire === WIRE_LEN) {
      const [s, e] = r.bytes();
      elements = shapeElements(buf, s, e);
    } else if (field === 4 && wire === WIRE_LEN) content = r.bytes();
    else if (field === 5) readRepeated(r, wire, WIRE_I32, () => r.float(), vals);
    else if (field === 6) readRepeated(r, wire, WIRE_I64, () => r.double(), vals);
    else if (field === 7 || field === 13) readRepeated(r, wire, WIRE_VARINT, () => r.int64(), vals, dtype === DT_HALF || field === 13 ? 'half' : undefined);
    else if (field === 10) readRepeated(r, wire, WIRE_VARINT, () => r.int64(), vals);
    else if (field === 11) readRepeated(r, wire, WIRE_VARINT, () => r.varint(), vals);
    else r.skip(wire);
  }
  if (elements !== 1) return undefined;
  if (content) {
    const view = new DataView(buf.buffer, buf.byteOffset + content[0], content[1] - content[0]);
    const n = content[1] - content[0];
    switch (dtype) {
      case DT_FLOAT:
        return n >= 4 ? view.getFloat32(0, true) : undefined;
      case DT_DOUBLE:
        return n >= 8 ? view.getFloat64(0, true) : undefined;
      case DT_INT32:
        return n >= 4 ? view.getInt32(0, true) : undefined;
      case DT_INT64:
        return n >= 8 ? Number(view.getBigInt64(0, true)) : undefined;
      case DT_INT16:
        return n >= 2 ? view.getInt16(0, true) : undefined;
      case DT_INT8:
        return n >= 1 ? view.getInt8(0) : undefined;
      case DT_UINT8:
      case DT_BOOL:
        return n >= 1 ? view.getUint8(0) : undefined;
      case DT_HALF:
        return n >= 2 ? halfToFloat(view.getUint16(0, true)) : undefined;
      case DT_BFLOAT16:
        return n >= 2 ? bfloat16ToFloat(view.getUint16(0, true)) : undefined;
      default:
        return undefined;
    }
  }
  if (vals.length === 0) return undefined;
  if (dtype === DT_HALF) return halfToFloat(vals[0]);
  if (dtype === DT_BFLOAT16) return bfloat16ToFloat(vals[0]);
  return vals[0];
}

function readRepeated(
  r: ProtoReader,
  wire: number,
  elementWire: number,
  one: () => number,
  out: number[],
  _mode?: 'half',
): void {
  if (wire === WIRE_LEN) {
    const [s, e] = r.bytes();
    const saved = r.pos;
    r.pos = s;
    // Read packed elements through the same reader, bounded by the field's end.
    while (r.pos < e && out.length < 2) out.push(one());
    r.pos = saved;
  } else if (wire === elementWire) out.push(one());
  else r.skip(wire);
}

function shapeElements(buf: Uint8Array, start: number, end: number): number {
  const r = new ProtoReader(buf, start, end);
  let n = 1;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 2 && wire === WIRE_LEN) {
      const [s, e] = r.bytes();
      const d = new ProtoReader(buf, s, e);
      let size = 0;
      while (!d.done) {
        const [f, w] = d.key();
        if (f === 1 && w === WIRE_VARINT) size = d.int64();
        else d.skip(w);
      }
      n *= size;
    } else if (field === 3 && wire === WIRE_VARINT) {
      if (r.varint()) return -1;
    } else r.skip(wire);
  }
  return n;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bfloat16ToFloat(b: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, b << 16);
  return view.getFloat32(0);
}
