/**
 * The binary W&B transaction log (`run-<id>.wandb`): a 7-byte file header (`:W&B`, magic 0xBEE1, version 0)
 * and LevelDB-style blocks of 32 KiB holding records with a 7-byte header (CRC-32 of type byte + data,
 * uint16 length, uint8 type FULL/FIRST/MIDDLE/LAST). Each record is a protobuf `wandb.Record`; history,
 * summary, config, run and exit records are decoded (field numbers of wandb_internal.proto), everything else
 * skipped. A cut or damaged record is reported at its offset; the ones before it are kept.
 * Objects built from the log's keys have no prototype: `__proto__`, `constructor` are keys like any other.
 */
import type { Diagnostic } from '../model';
import { crc32 } from './crc32';
import { readFrom } from './files';
import { parsePythonJson } from './json';
import { ProtoReader, ProtobufError, WIRE_LEN, WIRE_VARINT } from './protobuf';

const BLOCK = 32768;
const HEADER = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
const IDENT = ':W&B';
const MAGIC = 0xbee1;

export interface WandbLog {
  history: { step?: number; values: Record<string, unknown> }[];
  summary: Record<string, unknown>;
  config: Record<string, string>;
  run: { runId?: string; displayName?: string; project?: string; gitCommit?: string; startTime?: number };
  /** The exit record, once written: the run ended. Proto3 leaves a 0 out, so an exit record without a code is 0. */
  exit?: WandbExit;
  diagnostics: Diagnostic[];
}

export interface WandbExit {
  code: number;
  /** Seconds the run ran (whole seconds; a resumed run counts its earlier parts too). */
  runtime?: number;
}

/** Where a log was read to and what its records had set by then, to read only what is appended next. */
export interface WandbLogPosition {
  /** Just after the last whole record (a record split over blocks counts once its last part is read). */
  offset: number;
  summary: Record<string, unknown>;
  config: Record<string, string>;
  run: WandbLog['run'];
  exit?: WandbExit;
}

/**
 * Reads a log from its start, or from `from` (a position an earlier read returned, in the same file):
 * `history` then holds the records appended since, and summary, config and run what all records set.
 */
export function readWandbLog(file: string, from?: WandbLogPosition): WandbLog & { position: WandbLogPosition } {
  const out: WandbLog = { history: [], summary: dict(from?.summary), config: dict(from?.config), run: { ...(from?.run ?? {}) }, exit: from?.exit, diagnostics: [] };
  const base = from?.offset ?? 0;
  const position = () => ({ offset: safe, summary: out.summary, config: out.config, run: out.run, exit: out.exit });
  let safe = base;
  let buf: Buffer;
  try {
    buf = readFrom(file, base);
  } catch (err) {
    out.diagnostics.push({ file, severity: 'error', message: `cannot read: ${(err as Error).message}` });
    return { ...out, position: position() };
  }
  if (base === 0 && buf.length === 0) {
    // W&B creates the file before it writes the header; some runs never get further.
    out.diagnostics.push({ file, offset: 0, severity: 'warning', message: 'empty file: the run wrote no records' });
    return { ...out, position: position() };
  }
  if (base === 0 && (buf.length < HEADER || buf.toString('latin1', 0, 4) !== IDENT || buf.readUInt16LE(4) !== MAGIC)) {
    out.diagnostics.push({ file, offset: 0, severity: 'error', message: 'not a W&B transaction log (bad header)' });
    return { ...out, position: position() };
  }
  const typeSeeds = [0, 1, 2, 3, 4].map((t) => crc32(Uint8Array.of(t)));
  // Absolute file offsets: blocks are 32 KiB from the file's start, wherever the read starts.
  let pos = base === 0 ? HEADER : base;
  let pending: Buffer[] = [];
  let pendingOffset = 0;
  const end = base + buf.length;
  const at = (abs: number) => abs - base;
  while (pos < end) {
    const left = BLOCK - (pos % BLOCK);
    if (left < HEADER) {
      pos += left; // zero padding at the end of a block
      if (!pending.length) safe = Math.min(pos, end);
      continue;
    }
    if (pos + HEADER > end) {
      out.diagnostics.push({ file, offset: pos, severity: 'info', message: 'last record is incomplete (header cut short): still being written or truncated' });
      break;
    }
    const checksum = buf.readUInt32LE(at(pos));
    const length = buf.readUInt16LE(at(pos) + 4);
    const type = buf[at(pos) + 6];
    if (type === 0 && length === 0 && checksum === 0) {
      // Preallocated / padded tail of a block — or, at the very end, zeros not yet overwritten.
      if (pos + left > end) break;
      pos += left;
      if (!pending.length) safe = pos;
      continue;
    }
    const start = pos + HEADER;
    if (type < FULL || type > LAST || length > left - HEADER) {
      out.diagnostics.push({ file, offset: pos, severity: 'error', message: `bad record header (type ${type}, length ${length}); rest of the block skipped` });
      pos += left;
      pending = [];
      safe = Math.min(pos, end);
      continue;
    }
    if (start + length > end) {
      out.diagnostics.push({ file, offset: pos, severity: 'info', message: 'last record is incomplete (payload cut short): still being written or truncated' });
      break;
    }
    if (crc32(buf, typeSeeds[type], at(start), at(start) + length) !== checksum) {
      out.diagnostics.push({ file, offset: pos, severity: 'error', message: 'record fails its CRC-32 check; record skipped' });
      pos = start + length;
      pending = [];
      safe = pos;
      continue;
    }
    const data = buf.subarray(at(start), at(start) + length);
    if (type === FULL) decodeRecord(data, pos, file, out);
    else if (type === FIRST) {
      pending = [data];
      pendingOffset = pos;
    } else if ((type === MIDDLE || type === LAST) && pending.length > 0) {
      pending.push(data);
      if (type === LAST) {
        decodeRecord(Buffer.concat(pending), pendingOffset, file, out);
        pending = [];
      }
    }
    pos = start + length;
    if (!pending.length) safe = pos;
  }
  return { ...out, position: position() };
}

// wandb.Record fields
const R_HISTORY = 2;
const R_SUMMARY = 3;
const R_CONFIG = 5;
const R_RUN = 17;
const R_EXIT = 18;

function decodeRecord(data: Buffer, offset: number, file: string, out: WandbLog): void {
  try {
    const r = new ProtoReader(data);
    while (!r.done) {
      const [field, wire] = r.key();
      if (wire !== WIRE_LEN) {
        r.skip(wire);
        continue;
      }
      const [s, e] = r.bytes();
      if (field === R_HISTORY) out.history.push(decodeHistory(data, s, e));
      else if (field === R_SUMMARY) applyItems(data, s, e, out.summary);
      else if (field === R_CONFIG) applyConfig(data, s, e, out.config);
      else if (field === R_RUN) decodeRun(data, s, e, out);
      else if (field === R_EXIT) {
        // RunExitRecord { int32 exit_code = 1; int32 runtime = 2 }
        const exit: WandbExit = { code: 0 };
        const x = new ProtoReader(data, s, e);
        while (!x.done) {
          const [f, w] = x.key();
          if (f === 1 && w === WIRE_VARINT) exit.code = x.int64();
          else if (f === 2 && w === WIRE_VARINT) exit.runtime = x.int64();
          else x.skip(w);
        }
        out.exit = exit;
      }
    }
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
    out.diagnostics.push({ file, offset, severity: 'error', message: `malformed record: ${err.message}` });
  }
}

/** HistoryRecord { repeated HistoryItem item = 1; HistoryStep step = 2 } */
function decodeHistory(data: Buffer, start: number, end: number): { step?: number; values: Record<string, unknown> } {
  const values = dict<unknown>();
  let step: number | undefined;
  const r = new ProtoReader(data, start, end);
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1 && wire === WIRE_LEN) {
      const [s, e] = r.bytes();
      const item = decodeItem(data, s, e);
      if (item) setNested(values, item.path, item.value);
    } else if (field === 2 && wire === WIRE_LEN) {
      const [s, e] = r.bytes();
      const st = new ProtoReader(data, s, e);
      step = 0; // proto3 leaves out a step of 0
      while (!st.done) {
        const [f, w] = st.key();
        if (f === 1 && w === WIRE_VARINT) step = st.int64();
        else st.skip(w);
      }
    } else r.skip(wire);
  }
  if (step === undefined && typeof values._step === 'number') step = values._step;
  return { step, values };
}

/** HistoryItem / SummaryItem / ConfigItem { string key = 1; repeated string nested_key = 2; string value_json = 16 } */
function decodeItem(data: Buffer, start: number, end: number): { path: string[]; value: unknown } | undefined {
  const r = new ProtoReader(data, start, end);
  let key = '';
  const nested: string[] = [];
  let json: string | undefined;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1 && wire === WIRE_LEN) key = r.string();
    else if (field === 2 && wire === WIRE_LEN) nested.push(r.string());
    else if (field === 16 && wire === WIRE_LEN) json = r.string();
    else r.skip(wire);
  }
  if (json === undefined) return undefined;
  const parsed = parsePythonJson(json, '');
  return { path: nested.length ? nested : [key], value: parsed.value };
}

function applyItems(data: Buffer, start: number, end: number, target: Record<string, unknown>): void {
  const r = new ProtoReader(data, start, end);
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1 && wire === WIRE_LEN) {
      const [s, e] = r.bytes();
      const item = decodeItem(data, s, e);
      if (item) setNested(target, item.path, item.value);
    } else r.skip(wire);
  }
}

function applyConfig(data: Buffer, start: number, end: number, target: Record<string, string>): void {
  const values = dict<unknown>();
  applyItems(data, start, end, values);
  for (const [k, v] of Object.entries(values)) {
    if (k === '_wandb' || k === 'wandb_version') continue;
    const value = v && typeof v === 'object' && Object.hasOwn(v, 'value') ? (v as { value: unknown }).value : v;
    target[k] = typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/** RunRecord: run_id 1, project 3, config 4, display_name 8, start_time 17 (Timestamp), git 21 (commit 2). */
function decodeRun(data: Buffer, start: number, end: number, out: WandbLog): void {
  const r = new ProtoReader(data, start, end);
  while (!r.done) {
    const [field, wire] = r.key();
    if (wire !== WIRE_LEN) {
      r.skip(wire);
      continue;
    }
    const [s, e] = r.bytes();
    const text = () => data.toString('utf8', s, e);
    if (field === 1) out.run.runId = text();
    else if (field === 3) out.run.project = text();
    else if (field === 8) out.run.displayName = text();
    else if (field === 4) applyConfig(data, s, e, out.config);
    else if (field === 17) {
      const t = new ProtoReader(data, s, e);
      let secs = 0;
      let nanos = 0;
      while (!t.done) {
        const [f, w] = t.key();
        if (f === 1 && w === WIRE_VARINT) secs = t.int64();
        else if (f === 2 && w === WIRE_VARINT) nanos = t.int64();
        else t.skip(w);
      }
      out.run.startTime = secs * 1000 + Math.floor(nanos / 1e6);
    } else if (field === 21) {
      const g = new ProtoReader(data, s, e);
      while (!g.done) {
        const [f, w] = g.key();
        if (f === 2 && w === WIRE_LEN) out.run.gitCommit = g.string();
        else g.skip(w);
      }
    }
  }
}

function setNested(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    if (!Object.hasOwn(obj, k) || !obj[k] || typeof obj[k] !== 'object') obj[k] = dict();
    obj = obj[k] as Record<string, unknown>;
  }
  obj[keys[keys.length - 1]] = value;
}

/** An object for keys a file names: no prototype, so that no key reaches Object.prototype. */
export function dict<T>(from?: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, from);
}
