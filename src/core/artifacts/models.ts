/**
 * Model artifacts described from their headers and metadata, never executed or deserialised as objects:
 *
 * - safetensors: the JSON header (tensor names, dtypes, shapes, parameter count, metadata);
 * - ONNX: the ModelProto decoded with the protobuf reader (producer, IR version, opsets, inputs and
 *   outputs with their element types and shapes, operator counts, initializer parameters);
 * - zip archives (`.keras`, PyTorch `.pt`/`.pth`/`.ckpt` zips): the central directory listed — entries are
 *   never extracted to disk; a `.keras` file's small `config.json`/`metadata.json` are inflated in memory
 *   with a size cap. Entries whose names climb out (`../`, absolute paths) and bomb-like compression
 *   ratios are flagged;
 * - MLflow `MLmodel`: flavors, signature, input example;
 * - pickles (`.pkl`, `.joblib`, `training_args.bin`) and anything else: size and SHA-256 only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { forEachField as fields, ProtoReader, WIRE_LEN, WIRE_VARINT } from '../formats/protobuf';
import { parseYaml } from '../formats/yaml';
import { sha256File } from '../cache';
import { elements, modelWeights, readSavedModelDir, savedModelDir } from './savedmodel';
import { formatBytes as bytes } from '../format';
import { openRegularFd, readRegularFile, readRegularText } from '../formats/files';

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

export interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
  method: number;
}

export interface ModelDescription {
  file: string;
  format: 'safetensors' | 'onnx' | 'savedmodel' | 'keras' | 'pytorch' | 'zip' | 'mlmodel' | 'pickle' | 'other';
  size: number;
  /** One line for a tree item or a table. */
  summary: string;
  /** Named facts, in display order. */
  facts: [string, string][];
  tensors?: TensorInfo[];
  parameters?: number;
  inputs?: TensorInfo[];
  outputs?: TensorInfo[];
  operators?: Record<string, number>;
  entries?: ZipEntry[];
  sha256?: string;
  /** What looked wrong or hostile: a damaged header, a path-traversal entry, a compression bomb. */
  warnings: string[];
  /** Why the file is not a valid model of its format (an empty or cut file, a header that does not parse). */
  invalid?: string;
}

const MAX_HEADER = 100 * 2 ** 20;
const MAX_INFLATE = 8 * 2 ** 20;
const PICKLE = /\.(pkl|pickle|joblib)$|(^|[\\/])training_args\.bin$/i;

/**
 * `hash: false` skips the SHA-256 of pickles and unknown files (it reads the whole file); `maxOnnxBytes`
 * leaves larger ONNX files undecoded (they are read whole) — for callers on an interactive thread.
 */
export function describeModel(file: string, options: { hash?: boolean; maxOnnxBytes?: number } = {}): ModelDescription {
  const stat = fs.statSync(file);
  const size = stat.size;
  const base: ModelDescription = { file, format: 'other', size, summary: '', facts: [], warnings: [] };
  try {
    // An MLflow model folder (the folder of an `MLmodel`): its MLmodel and its files.
    if (stat.isDirectory() && fs.existsSync(path.join(file, 'MLmodel'))) return mlmodelFolder(file, base);
    const savedModel = stat.isDirectory() ? file : savedModelDir(file);
    if (savedModel) return savedModelDescription(savedModel, base);
    if (/\.safetensors$/i.test(file)) return safetensors(file, base);
    if (/\.onnx$/i.test(file)) {
      if (size <= (options.maxOnnxBytes ?? Infinity)) return onnx(file, base);
      base.format = 'onnx';
      base.summary = `onnx · ${bytes(size)}`;
      base.facts.push(['details', 'not decoded here (large file): runlens model <file>']);
      return base;
    }
    if (path.basename(file) === 'MLmodel') return mlmodel(file, base);
    if (!PICKLE.test(file) && isZip(file)) return zipModel(file, base);
  } catch (e) {
    base.warnings.push(`could not be read: ${(e as Error).message}`);
    base.invalid = (e as Error).message;
  }
  // Pickles and the rest: what they are never needs opening them as objects.
  base.format = PICKLE.test(file) ? 'pickle' : base.format;
  if (options.hash !== false) {
    base.sha256 = sha256File(file);
    base.facts.push(['sha256', base.sha256]);
  }
  if (base.format === 'pickle') base.facts.push(['loaded', 'never: unpickling runs code the file chooses']);
  base.summary = `${base.format} · ${bytes(size)}`;
  return base;
}

// ---- safetensors ----

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1, U16: 2, U32: 4, U64: 8 };

function safetensors(file: string, d: ModelDescription): ModelDescription {
  d.format = 'safetensors';
  const fd = openRegularFd(file);
  try {
    const head = Buffer.alloc(8);
    if (fs.readSync(fd, head, 0, 8, 0) < 8) throw new Error('shorter than its 8-byte header length');
    const n = Number(head.readBigUInt64LE(0));
    if (n > MAX_HEADER || n + 8 > d.size) throw new Error(`header length ${n} does not fit the file (${d.size} bytes)`);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, 8);
    const header = JSON.parse(buf.toString('utf8')) as Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] } | Record<string, string>>;
    const tensors: TensorInfo[] = [];
    let parameters = 0;
    const dtypes = new Map<string, number>();
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') {
        for (const [k, v] of Object.entries(t as Record<string, string>)) d.facts.push([`metadata.${k}`, String(v)]);
        continue;
      }
      const info = t as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
      const shape = Array.isArray(info.shape) ? info.shape : [];
      const count = shape.reduce((a, b) => a * b, 1);
      tensors.push({ name, dtype: String(info.dtype), shape });
      parameters += count;
      dtypes.set(String(info.dtype), (dtypes.get(String(info.dtype)) ?? 0) + count);
      const [from, to] = info.data_offsets ?? [0, 0];
      const width = DTYPE_BYTES[String(info.dtype)];
      if (width && to - from !== count * width) d.warnings.push(`${name}: ${to - from} bytes for ${count} × ${info.dtype}`);
      if (to + 8 + n > d.size) d.warnings.push(`${name}: data beyond the end of the file`);
    }
    d.tensors = tensors;
    d.parameters = parameters;
    d.facts.unshift(['tensors', String(tensors.length)], ['parameters', parameters.toLocaleString('en-US')], ['dtypes', [...dtypes].map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')]);
    d.summary = `safetensors · ${tensors.length} tensors · ${compact(parameters)} params · ${bytes(d.size)}`;
    return d;
  } finally {
    fs.closeSync(fd);
  }
}

// ---- ONNX ----

const ONNX_TYPES: Record<number, string> = { 1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16' };

function valueInfo(buf: Uint8Array, s: number, e: number): TensorInfo {
  const info: TensorInfo = { name: '', dtype: '?', shape: [] };
  fields(buf, s, e, (f, w, r) => {
    if (f === 1 && w === WIRE_LEN) info.name = r.string();
    else if (f === 2 && w === WIRE_LEN) {
      const [ts, te] = r.bytes();
      fields(buf, ts, te, (tf, tw, tr) => {
        if (tw === WIRE_LEN && (tf === 4 || tf === 5 || tf === 9)) info.dtype = tf === 4 ? 'sequence' : tf === 5 ? 'map' : 'optional';
        if (tf !== 1 || tw !== WIRE_LEN) return; // tensor_type's element type and shape
        const [as, ae] = tr.bytes();
        fields(buf, as, ae, (af, aw, ar) => {
          if (af === 1 && aw === WIRE_VARINT) info.dtype = ONNX_TYPES[ar.varint()] ?? 'unknown';
          else if (af === 2 && aw === WIRE_LEN) {
            const [ss, se] = ar.bytes();
            fields(buf, ss, se, (sf, sw, sr) => {
              if (sf !== 1 || sw !== WIRE_LEN) return;
              const [ds, de] = sr.bytes();
              let dim: number | string = '?';
              fields(buf, ds, de, (df, dw, dr) => {
                if (df === 1 && dw === WIRE_VARINT) dim = dr.int64();
                else if (df === 2 && dw === WIRE_LEN) dim = dr.string();
              });
              info.shape.push(dim);
            });
          }
        });
      });
    }
  });
  return info;
}

function onnx(file: string, d: ModelDescription): ModelDescription {
  d.format = 'onnx';
  if (d.size > 2 ** 31) throw new Error('larger than 2 GB: ONNX keeps such weights outside the model file');
  if (d.size === 0) throw new Error('the file is empty (0 bytes)');
  const buf = readRegularFile(file);
  let graph = false;
  const opsets: string[] = [];
  const operators: Record<string, number> = {};
  const inputs: TensorInfo[] = [];
  const outputs: TensorInfo[] = [];
  const initializers = new Set<string>();
  let parameters = 0;
  let producer = '';
  let producerVersion = '';
  let irVersion = 0;
  fields(buf, 0, buf.length, (f, w, r) => {
    if (f === 1 && w === WIRE_VARINT) irVersion = r.varint();
    else if (f === 2 && w === WIRE_LEN) producer = r.string();
    else if (f === 3 && w === WIRE_LEN) producerVersion = r.string();
    else if (f === 8 && w === WIRE_LEN) {
      const [s, e] = r.bytes();
      let domain = '';
      let version = 0;
      fields(buf, s, e, (of, ow, or) => {
        if (of === 1 && ow === WIRE_LEN) domain = or.string();
        else if (of === 2 && ow === WIRE_VARINT) version = or.varint();
      });
      opsets.push(`${domain || 'ai.onnx'} ${version}`);
    } else if (f === 7 && w === WIRE_LEN) {
      graph = true;
      const [gs, ge] = r.bytes();
      fields(buf, gs, ge, (gf, gw, gr) => {
        if (gw !== WIRE_LEN) return;
        if (gf === 1) {
          const [ns, ne] = gr.bytes();
          let op = '';
          let domain = '';
          fields(buf, ns, ne, (nf, nw, nr) => {
            if (nf === 4 && nw === WIRE_LEN) op = nr.string();
            else if (nf === 7 && nw === WIRE_LEN) domain = nr.string();
          });
          const name = domain && domain !== 'ai.onnx' ? `${domain}.${op}` : op;
          operators[name] = (operators[name] ?? 0) + 1;
        } else if (gf === 5) {
          const [ts, te] = gr.bytes();
          const dims: number[] = [];
          let name = '';
          fields(buf, ts, te, (tf, tw, tr) => {
            if (tf === 1 && tw === WIRE_VARINT) dims.push(tr.int64());
            else if (tf === 1 && tw === WIRE_LEN) {
              const [ps, pe] = tr.bytes();
              const pr = new ProtoReader(buf, ps, pe);
              while (!pr.done) dims.push(pr.int64());
            } else if (tf === 8 && tw === WIRE_LEN) name = tr.string();
          });
          initializers.add(name);
          parameters += dims.reduce((a, b) => a * b, 1);
        } else if (gf === 11 || gf === 12) {
          const [vs, ve] = gr.bytes();
          (gf === 11 ? inputs : outputs).push(valueInfo(buf, vs, ve));
        }
      });
    }
  });
  // A ModelProto has an IR version and a graph; bytes that decode to neither are not a model.
  if (!graph && irVersion === 0) throw new Error(`no IR version and no graph in its ${d.size} bytes`);
  // Graph inputs that are initializers are weights, not what the model is fed.
  const fed = inputs.filter((i) => !initializers.has(i.name));
  d.inputs = fed;
  d.outputs = outputs;
  d.operators = operators;
  d.parameters = parameters;
  const shape = (t: TensorInfo) => `${t.name}: ${t.dtype}[${t.shape.join(', ')}]`;
  d.facts.push(
    ['producer', `${producer} ${producerVersion}`.trim() || '(none)'],
    ['IR version', String(irVersion)],
    ['opsets', opsets.join(', ')],
    ['inputs', fed.map(shape).join('; ')],
    ['outputs', outputs.map(shape).join('; ')],
    ['nodes', `${Object.values(operators).reduce((a, b) => a + b, 0)} (${Object.entries(operators).map(([k, v]) => `${k} ${v}`).join(', ')})`],
    ['initializer parameters', parameters.toLocaleString('en-US')],
  );
  d.summary = `onnx · ${Object.values(operators).reduce((a, b) => a + b, 0)} nodes · ${fed.length} in / ${outputs.length} out · ${bytes(d.size)}`;
  return d;
}

// ---- zip archives ----

function isZip(file: string): boolean {
  const fd = openRegularFd(file);
  try {
    const b = Buffer.alloc(4);
    return fs.readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === 0x04034b50;
  } finally {
    fs.closeSync(fd);
  }
}

/** The central directory of a zip file (ZIP64 sizes included); nothing is extracted. */
export function zipEntries(file: string): { entries: ZipEntry[]; offsets: Map<string, number>; warnings: string[] } {
  const size = fs.statSync(file).size;
  const fd = openRegularFd(file);
  const warnings: string[] = [];
  try {
    const tailLen = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLen);
    fs.readSync(fd, tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error('no zip end-of-central-directory record (a cut or damaged archive)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if ((cdOffset === 0xffffffff || count === 0xffff) && eocd >= 20 && tail.readUInt32LE(eocd - 20) === 0x07064b50) {
      const z64 = Number(tail.readBigUInt64LE(eocd - 12));
      const rec = Buffer.alloc(56);
      fs.readSync(fd, rec, 0, 56, z64);
      if (rec.readUInt32LE(0) === 0x06064b50) {
        count = Number(rec.readBigUInt64LE(32));
        cdSize = Number(rec.readBigUInt64LE(40));
        cdOffset = Number(rec.readBigUInt64LE(48));
      }
    }
    if (cdOffset + cdSize > size || cdSize > 256 * 2 ** 20) throw new Error(`central directory (${cdSize} bytes at ${cdOffset}) does not fit the file`);
    const cd = Buffer.alloc(cdSize);
    fs.readSync(fd, cd, 0, cdSize, cdOffset);
    const entries: ZipEntry[] = [];
    const offsets = new Map<string, number>();
    let p = 0;
    for (let i = 0; i < count && p + 46 <= cd.length; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) {
        warnings.push(`damaged central directory at entry ${i}`);
        break;
      }
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extra field: the 0xffffffff sizes and offset, in that order.
      for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen; ) {
        const id = cd.readUInt16LE(x);
        const len = cd.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let q = x + 4;
          if (uncompressed === 0xffffffff && q + 8 <= x + 4 + len) (uncompressed = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (compressedSize === 0xffffffff && q + 8 <= x + 4 + len) (compressedSize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (local === 0xffffffff && q + 8 <= x + 4 + len) local = Number(cd.readBigUInt64LE(q));
        }
        x += 4 + len;
      }
      entries.push({ name, size: uncompressed, compressedSize, method });
      offsets.set(name, local);
      if (/(^|[\\/])\.\.([\\/]|$)/.test(name) || /^([\\/]|[A-Za-z]:)/.test(name)) warnings.push(`entry "${name}" points outside the archive (never extracted)`);
      if (compressedSize > 0 && uncompressed / compressedSize > 1000 && uncompressed > 100 * 2 ** 20) warnings.push(`entry "${name}" expands ${Math.round(uncompressed / compressedSize)}× to ${bytes(uncompressed)} (a compression bomb; never extracted)`);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return { entries, offsets, warnings };
  } finally {
    fs.closeSync(fd);
  }
}

/** One small entry's bytes, inflated in memory with a cap; undefined when absent or too large. */
function readEntry(file: string, entry: ZipEntry, localOffset: number): Buffer | undefined {
  if (entry.size > MAX_INFLATE || entry.compressedSize > MAX_INFLATE) return undefined;
  const fd = openRegularFd(file);
  try {
    const head = Buffer.alloc(30);
    fs.readSync(fd, head, 0, 30, localOffset);
    if (head.readUInt32LE(0) !== 0x04034b50) return undefined;
    const start = localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    const data = Buffer.alloc(entry.compressedSize);
    fs.readSync(fd, data, 0, entry.compressedSize, start);
    if (entry.method === 0) return data;
    if (entry.method === 8) return zlib.inflateRawSync(data, { maxOutputLength: MAX_INFLATE });
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function zipModel(file: string, d: ModelDescription): ModelDescription {
  const { entries, offsets, warnings } = zipEntries(file);
  d.entries = entries;
  d.warnings.push(...warnings);
  const total = entries.reduce((a, e) => a + e.size, 0);
  const json = (name: string): Record<string, unknown> | undefined => {
    const e = entries.find((x) => x.name === name);
    const raw = e && readEntry(file, e, offsets.get(name)!);
    try {
      return raw ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : undefined;
    } catch {
      d.warnings.push(`${name} is not valid JSON`);
      return undefined;
    }
  };
  if (/\.keras$/i.test(file) || (entries.some((e) => e.name === 'config.json') && entries.some((e) => e.name === 'metadata.json'))) {
    d.format = 'keras';
    const meta = json('metadata.json');
    const config = json('config.json') as { class_name?: string; config?: { name?: string; layers?: { class_name?: string }[] } } | undefined;
    const layers = config?.config?.layers ?? [];
    const kinds = new Map<string, number>();
    for (const l of layers) kinds.set(String(l.class_name), (kinds.get(String(l.class_name)) ?? 0) + 1);
    if (meta?.keras_version) d.facts.push(['Keras', String(meta.keras_version)]);
    if (meta?.date_saved) d.facts.push(['saved', String(meta.date_saved)]);
    if (config?.class_name) d.facts.push(['model', `${config.class_name}${config.config?.name ? ` "${config.config.name}"` : ''}`]);
    d.facts.push(['layers', `${layers.length} (${[...kinds].map(([k, v]) => (v > 1 ? `${k} ×${v}` : k)).join(', ')})`]);
    d.summary = `keras · ${config?.class_name ?? 'model'} · ${layers.length} layers · ${bytes(d.size)}`;
  } else if (entries.some((e) => /(^|\/)data\.pkl$/.test(e.name))) {
    // torch.save's zip format: <name>/data.pkl (the object graph, a pickle: never loaded) + data/<n> storages.
    d.format = 'pytorch';
    const storages = entries.filter((e) => /\/data\/\d+$/.test(e.name));
    d.facts.push(['storages', `${storages.length} (${bytes(storages.reduce((a, e) => a + e.size, 0))})`], ['loaded', 'never: data.pkl is a pickle']);
    d.summary = `pytorch · ${storages.length} tensors' storage · ${bytes(d.size)}`;
  } else {
    d.format = 'zip';
    d.summary = `zip · ${entries.length} entries · ${bytes(d.size)}`;
  }
  d.facts.push(['entries', `${entries.length}, ${bytes(total)} uncompressed`]);
  return d;
}

// ---- MLflow MLmodel ----

function mlmodel(file: string, d: ModelDescription): ModelDescription {
  d.format = 'mlmodel';
  const { value, diagnostics } = parseYaml(readRegularText(file), file);
  for (const diag of diagnostics) d.warnings.push(diag.message);
  const doc = (value ?? {}) as { flavors?: Record<string, Record<string, unknown>>; signature?: { inputs?: string; outputs?: string }; mlflow_version?: string; run_id?: string; model_uuid?: string; saved_input_example_info?: { artifact_path?: string } };
  const flavors = Object.keys(doc.flavors ?? {});
  d.facts.push(['flavors', flavors.map((f) => { const v = doc.flavors![f]; const ver = v?.[`${f}_version`] ?? v?.python_version; return ver ? `${f} ${ver}` : f; }).join(', ')]);
  const cols = (s?: string) => {
    try {
      const parsed = s ? (JSON.parse(s) as { name?: string; type?: string; tensor_spec?: { dtype?: string; shape?: number[] } }[]) : [];
      return parsed.map((c) => `${c.name ?? '(unnamed)'}: ${c.type === 'tensor' ? `tensor ${c.tensor_spec?.dtype}[${c.tensor_spec?.shape?.join(', ')}]` : c.type}`).join('; ');
    } catch {
      return s ?? '';
    }
  };
  if (doc.signature?.inputs) d.facts.push(['signature inputs', cols(doc.signature.inputs)]);
  if (doc.signature?.outputs) d.facts.push(['signature outputs', cols(doc.signature.outputs)]);
  if (doc.saved_input_example_info?.artifact_path) d.facts.push(['input example', doc.saved_input_example_info.artifact_path]);
  if (doc.mlflow_version) d.facts.push(['MLflow', doc.mlflow_version]);
  if (doc.run_id) d.facts.push(['run', doc.run_id]);
  d.summary = `MLmodel · ${flavors.join(', ') || 'no flavor'}${doc.signature ? ' · signature' : ''}`;
  return d;
}

/** The folder of an `MLmodel`: the MLmodel described, and the folder's files counted (never loaded). */
function mlmodelFolder(dir: string, d: ModelDescription): ModelDescription {
  mlmodel(path.join(dir, 'MLmodel'), d);
  d.file = dir;
  let files = 0;
  let size = 0;
  const walk = (at: string, depth: number) => {
    for (const e of fs.readdirSync(at, { withFileTypes: true })) {
      if (files >= 10_000) return;
      const p = path.join(at, e.name);
      if (e.isDirectory() && depth < 8) walk(p, depth + 1);
      else if (e.isFile()) (files++, (size += fs.statSync(p).size));
    }
  };
  walk(dir, 0);
  d.size = size;
  d.facts.push(['files', `${files}, ${bytes(size)}`]);
  d.summary += ` · ${files} files · ${bytes(size)}`;
  return d;
}

// ---- TensorFlow SavedModel ----

function savedModelDescription(dir: string, d: ModelDescription): ModelDescription {
  d.format = 'savedmodel';
  const { graph, bundle, warnings } = readSavedModelDir(dir);
  const parts = ['SavedModel'];
  for (const g of graph?.metaGraphs ?? []) {
    const tag = g.tags.join(', ') || '(no tags)';
    if (g.tensorflowVersion) d.facts.push([`TensorFlow (${tag})`, g.tensorflowVersion]);
    for (const s of g.signatures) {
      const io = (ts: TensorInfo[]) => ts.map((t) => `${t.name}: ${t.dtype}[${t.shape.join(', ')}]`).join('; ');
      d.facts.push([`signature ${s.key}`, `${s.method || 'method?'} (${io(s.inputs)}) → (${io(s.outputs)})`]);
    }
    const ops = Object.entries(g.operators).sort((a, b) => b[1] - a[1]);
    d.facts.push([`operators (${tag})`, `${ops.reduce((a, [, n]) => a + n, 0)} in the graph and ${g.functions} functions: ${ops.slice(0, 8).map(([k, n]) => `${k} ${n}`).join(', ')}`]);
    d.operators = { ...(d.operators ?? {}), ...g.operators };
  }
  if (graph) parts.push(`${graph.metaGraphs.reduce((a, g) => a + g.signatures.length, 0)} signatures`);
  if (bundle) {
    const weights = modelWeights(bundle);
    d.tensors = weights;
    d.parameters = weights.reduce((a, v) => a + elements(v.shape), 0);
    const size = weights.reduce((a, v) => a + v.bytes, 0);
    d.facts.unshift(['variables', `${weights.length} weights of ${bundle.variables.length} entries (${bytes(size)} in ${bundle.shards} data shard${bundle.shards === 1 ? '' : 's'}, not read)`], ['parameters', d.parameters.toLocaleString('en-US')]);
    parts.push(`${weights.length} weights`, `${compact(d.parameters)} params`);
  }
  d.warnings.push(...warnings);
  d.summary = parts.join(' · ');
  return d;
}

// ---- helpers ----

function compact(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}
