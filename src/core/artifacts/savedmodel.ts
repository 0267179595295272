/**
 * TensorFlow SavedModel, described without TensorFlow and without running its graph:
 *
 * - `saved_model.pb`: the SavedModel proto — per meta graph its tags, TensorFlow version, signatures
 *   (method, inputs and outputs with dtype and shape) and operator counts of the graph and its functions;
 * - `variables/variables.index`: the tensor bundle's index, a LevelDB-format table (blocks of
 *   prefix-compressed keys with restart points, a masked CRC-32C per block, a footer with a magic number)
 *   whose values are BundleEntryProto — variable names, dtypes, shapes, and so the parameter count. The
 *   weights themselves (`variables.data-*`) are never read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskedCrc32c } from '../formats/crc32c';
import { forEachField as protoFields, WIRE_LEN, WIRE_VARINT } from '../formats/protobuf';
import type { TensorInfo } from './models';
import { readRegularFile } from '../formats/files';

/** tensorflow/core/framework/types.proto */
const TF_TYPES: Record<number, string> = {
  1: 'float32', 2: 'float64', 3: 'int32', 4: 'uint8', 5: 'int16', 6: 'int8', 7: 'string', 8: 'complex64', 9: 'int64', 10: 'bool',
  11: 'qint8', 12: 'quint8', 13: 'qint32', 14: 'bfloat16', 15: 'qint16', 16: 'quint16', 17: 'uint16', 18: 'complex128', 19: 'float16',
  20: 'resource', 21: 'variant', 22: 'uint32', 23: 'uint64',
};

export interface BundleVariable extends TensorInfo {
  /** Bytes of the value in its data shard. */
  bytes: number;
  shard: number;
}

export interface TensorBundle {
  variables: BundleVariable[];
  shards: number;
  warnings: string[];
}

/** TensorShapeProto → dims, `?` for an unknown size, `[]` with unknownRank for an unknown rank. */
function shapeOf(buf: Uint8Array, s: number, e: number): { shape: (number | string)[]; unknownRank: boolean } {
  const shape: (number | string)[] = [];
  let unknownRank = false;
  protoFields(buf, s, e, (f, w, r) => {
    if (f === 3 && w === WIRE_VARINT) unknownRank = r.varint() !== 0;
    else if (f === 2 && w === WIRE_LEN) {
      const [ds, de] = r.bytes();
      let size = 0;
      protoFields(buf, ds, de, (df, dw, dr) => {
        if (df === 1 && dw === WIRE_VARINT) size = dr.int64();
      });
      shape.push(size < 0 ? '?' : size);
    }
  });
  return { shape, unknownRank };
}

// ---- variables.index: a LevelDB table ----

const TABLE_MAGIC = 0xdb4775248b80fb57n;
const FOOTER = 48;

function varint(buf: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Error(`varint past the end at byte ${pos}`);
    const b = buf[pos++];
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, pos];
    mul *= 128;
  }
  throw new Error(`varint too long at byte ${pos}`);
}

/** One block's entries (key, value range); its trailer's checksum checked. */
function readBlock(buf: Buffer, offset: number, size: number, warnings: string[], what: string): { key: string; start: number; end: number }[] {
  if (offset + size + 5 > buf.length) throw new Error(`${what} at byte ${offset} (${size} bytes) runs past the end of the file (${buf.length} bytes)`);
  const type = buf[offset + size];
  const stored = buf.readUInt32LE(offset + size + 1);
  if (maskedCrc32c(buf, offset, offset + size + 1) !== stored) warnings.push(`${what} at byte ${offset}: checksum mismatch`);
  if (type !== 0) throw new Error(`${what} at byte ${offset} is compressed (type ${type}); only uncompressed tables are read`);
  const end = offset + size;
  if (size < 4) throw new Error(`${what} at byte ${offset} is too short`);
  const restarts = buf.readUInt32LE(end - 4);
  const limit = end - 4 - restarts * 4;
  if (limit < offset) throw new Error(`${what} at byte ${offset}: ${restarts} restart points do not fit its ${size} bytes`);
  const out: { key: string; start: number; end: number }[] = [];
  let key = Buffer.alloc(0);
  for (let p = offset; p < limit; ) {
    let shared: number, unshared: number, len: number;
    [shared, p] = varint(buf, p);
    [unshared, p] = varint(buf, p);
    [len, p] = varint(buf, p);
    if (shared > key.length || p + unshared + len > limit) throw new Error(`${what}: entry at byte ${p} does not fit the block`);
    key = Buffer.concat([key.subarray(0, shared), buf.subarray(p, p + unshared)]);
    p += unshared;
    out.push({ key: key.toString('utf8'), start: p, end: p + len });
    p += len;
  }
  return out;
}

/** The variables of a tensor bundle index (`variables.index`, `model.ckpt-N.index`). */
export function readTensorBundleIndex(buf: Buffer): TensorBundle {
  const warnings: string[] = [];
  if (buf.length < FOOTER) throw new Error(`${buf.length} bytes: shorter than a table footer (${FOOTER})`);
  if (buf.readBigUInt64LE(buf.length - 8) !== TABLE_MAGIC) throw new Error('no table magic number at the end: not a tensor bundle index, or truncated');
  let p = buf.length - FOOTER;
  let metaOffset: number, metaSize: number, indexOffset: number, indexSize: number;
  [metaOffset, p] = varint(buf, p);
  [metaSize, p] = varint(buf, p);
  [indexOffset, p] = varint(buf, p);
  [indexSize, p] = varint(buf, p);
  void metaOffset;
  void metaSize;
  const bundle: TensorBundle = { variables: [], shards: 1, warnings };
  for (const handle of readBlock(buf, indexOffset, indexSize, warnings, 'index block')) {
    let [offset, q] = varint(buf, handle.start);
    let size: number;
    [size, q] = varint(buf, q);
    for (const entry of readBlock(buf, offset, size, warnings, 'data block')) {
      if (entry.key === '') {
        protoFields(buf, entry.start, entry.end, (f, w, r) => {
          if (f === 1 && w === WIRE_VARINT) bundle.shards = r.varint();
        });
        continue;
      }
      const v: BundleVariable = { name: entry.key, dtype: '?', shape: [], bytes: 0, shard: 0 };
      let sliced = false;
      protoFields(buf, entry.start, entry.end, (f, w, r) => {
        if (f === 1 && w === WIRE_VARINT) v.dtype = TF_TYPES[r.varint()] ?? 'unknown';
        else if (f === 2 && w === WIRE_LEN) {
          const [s, e] = r.bytes();
          v.shape = shapeOf(buf, s, e).shape;
        } else if (f === 3 && w === WIRE_VARINT) v.shard = r.varint();
        else if (f === 5 && w === WIRE_VARINT) v.bytes = r.int64();
        else if (f === 7 && w === WIRE_LEN) sliced = true;
      });
      if (sliced) v.name += ' (sliced)';
      bundle.variables.push(v);
    }
  }
  return bundle;
}

/**
 * The model's weights among a bundle's variables: floating-point tensors, not the checkpoint's bookkeeping
 * (save counters, the object graph), optimizer slots, or integer states (Keras 3's seed generators).
 * Keras 3 exports track every variable twice, under `variables/N` and `_all_variables/N`: when both lists
 * are there the second is the same weights again and is left out.
 */
export function modelWeights(bundle: TensorBundle): BundleVariable[] {
  const both = bundle.variables.some((v) => v.name.startsWith('variables/')) && bundle.variables.some((v) => v.name.startsWith('_all_variables/'));
  return bundle.variables.filter(
    (v) => /^(float|bfloat|complex)/.test(v.dtype) && !/OPTIMIZER_SLOT|^optimizer\/|^save_counter\//.test(v.name) && !(both && v.name.startsWith('_all_variables/')),
  );
}

export function elements(shape: (number | string)[]): number {
  return shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 0), 1);
}

// ---- saved_model.pb ----

export interface Signature {
  key: string;
  method: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface MetaGraph {
  tags: string[];
  tensorflowVersion: string;
  signatures: Signature[];
  /** Operators of the graph and of its function library, by type. */
  operators: Record<string, number>;
  functions: number;
}

function tensorInfo(buf: Uint8Array, s: number, e: number, key: string): TensorInfo {
  const t: TensorInfo = { name: key, dtype: '?', shape: [] };
  protoFields(buf, s, e, (f, w, r) => {
    if (f === 2 && w === WIRE_VARINT) t.dtype = TF_TYPES[r.varint()] ?? 'unknown';
    else if (f === 3 && w === WIRE_LEN) {
      const [ss, se] = r.bytes();
      const { shape, unknownRank } = shapeOf(buf, ss, se);
      t.shape = unknownRank ? ['…'] : shape;
    }
  });
  return t;
}

/** map<string, M> entries: (key, value range). */
function mapEntry(buf: Uint8Array, s: number, e: number): { key: string; start: number; end: number } {
  const entry = { key: '', start: 0, end: 0 };
  protoFields(buf, s, e, (f, w, r) => {
    if (f === 1 && w === WIRE_LEN) entry.key = r.string();
    else if (f === 2 && w === WIRE_LEN) [entry.start, entry.end] = r.bytes();
  });
  return entry;
}

function countNodes(buf: Uint8Array, s: number, e: number, field: number, operators: Record<string, number>): void {
  protoFields(buf, s, e, (f, w, r) => {
    if (f !== field || w !== WIRE_LEN) return;
    const [ns, ne] = r.bytes();
    protoFields(buf, ns, ne, (nf, nw, nr) => {
      if (nf === 2 && nw === WIRE_LEN) {
        const op = nr.string();
        operators[op] = (operators[op] ?? 0) + 1;
      }
    });
  });
}

export function readSavedModel(buf: Uint8Array): { schemaVersion: number; metaGraphs: MetaGraph[] } {
  let schemaVersion = 0;
  const metaGraphs: MetaGraph[] = [];
  protoFields(buf, 0, buf.length, (f, w, r) => {
    if (f === 1 && w === WIRE_VARINT) schemaVersion = r.int64();
    else if (f === 2 && w === WIRE_LEN) {
      const [ms, me] = r.bytes();
      const g: MetaGraph = { tags: [], tensorflowVersion: '', signatures: [], operators: {}, functions: 0 };
      protoFields(buf, ms, me, (mf, mw, mr) => {
        if (mw !== WIRE_LEN) return;
        const [s, e] = mr.bytes();
        if (mf === 1) {
          protoFields(buf, s, e, (xf, xw, xr) => {
            if (xf === 4 && xw === WIRE_LEN) g.tags.push(xr.string());
            else if (xf === 5 && xw === WIRE_LEN) g.tensorflowVersion = xr.string();
          });
        } else if (mf === 2) {
          countNodes(buf, s, e, 1, g.operators);
          protoFields(buf, s, e, (gf, gw, gr) => {
            if (gf !== 2 || gw !== WIRE_LEN) return; // the function library
            const [ls, le] = gr.bytes();
            protoFields(buf, ls, le, (lf, lw, lr) => {
              if (lf !== 1 || lw !== WIRE_LEN) return;
              const [fs_, fe] = lr.bytes();
              g.functions++;
              countNodes(buf, fs_, fe, 3, g.operators);
            });
          });
        } else if (mf === 5) {
          const entry = mapEntry(buf, s, e);
          const sig: Signature = { key: entry.key, method: '', inputs: [], outputs: [] };
          protoFields(buf, entry.start, entry.end, (sf, sw, sr) => {
            if (sf === 3 && sw === WIRE_LEN) sig.method = sr.string();
            else if ((sf === 1 || sf === 2) && sw === WIRE_LEN) {
              const [ts, te] = sr.bytes();
              const t = mapEntry(buf, ts, te);
              (sf === 1 ? sig.inputs : sig.outputs).push(tensorInfo(buf, t.start, t.end, t.key));
            }
          });
          g.signatures.push(sig);
        }
      });
      metaGraphs.push(g);
    }
  });
  return { schemaVersion, metaGraphs };
}

/** The SavedModel folder a file belongs to: `dir/saved_model.pb` or `dir/variables/variables.index`. */
export function savedModelDir(file: string): string | undefined {
  const base = path.basename(file);
  if (base === 'saved_model.pb' || base === 'saved_model.pbtxt') return path.dirname(file);
  if (base === 'variables.index' && path.basename(path.dirname(file)) === 'variables') return path.dirname(path.dirname(file));
  return undefined;
}

/** Both halves of a SavedModel folder, as far as they are there. */
export function readSavedModelDir(dir: string): { graph?: ReturnType<typeof readSavedModel>; bundle?: TensorBundle; warnings: string[] } {
  const warnings: string[] = [];
  const out: { graph?: ReturnType<typeof readSavedModel>; bundle?: TensorBundle; warnings: string[] } = { warnings };
  const pb = path.join(dir, 'saved_model.pb');
  const index = path.join(dir, 'variables', 'variables.index');
  for (const [file, read] of [
    [pb, () => (out.graph = readSavedModel(readRegularFile(pb)))],
    [index, () => {
      out.bundle = readTensorBundleIndex(readRegularFile(index));
      warnings.push(...out.bundle.warnings.map((w) => `variables.index: ${w}`));
    }],
  ] as const) {
    if (!fs.existsSync(file)) {
      warnings.push(`${path.relative(dir, file)} is missing`);
      continue;
    }
    try {
      read();
    } catch (e) {
      warnings.push(`${path.relative(dir, file)}: ${(e as Error).message}`);
    }
  }
  return out;
}
