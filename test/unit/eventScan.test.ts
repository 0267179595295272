/**
 * The WebAssembly fast path for event files (`wasm/events.wat`) against the JavaScript decoder it hands
 * everything unusual to: on every event file of the corpus, on TF2-style tensor scalars encoded by
 * protobufjs from the upstream schema, and on thousands of damaged records, both must yield the same
 * scalars, wall times, diagnostics and offsets.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEventFile, type TagKinds } from '../../src/core/formats/tensorboard';
import { ENTRY_SCALAR, readTfRecords, scanTfRecords } from '../../src/core/formats/tfrecord';
import { Columns, DrainedColumns } from '../../src/core/formats/columns';
import { execFileSync } from 'node:child_process';
import { frameRecord, rng } from '../../bench/generate';
import { corpus, tempDir } from './corpus';
import { native, withoutNative } from '../../src/core/native/native';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const protobuf = require('protobufjs') as typeof import('protobufjs');
const root = protobuf.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'event.proto'), 'utf8'), { keepCase: true }).root;
const Event = root.lookupType('Event');

interface Read {
  scalars: [string, number, number, number][];
  wall: [number, number];
  diagnostics: unknown[];
  endOffset: number;
  records: number;
  kinds: TagKinds;
}

/**
 * `targets`: through a sink that takes each tag's points in columns of their own (EventSink.target), as a
 * cold read does; its scalars come tag by tag, in the order the tags first appear (compare with `groupedByTag`).
 */
function read(file: string, fastPath: boolean, offset = 0, targets: boolean | 'drained' = false): Read {
  const scalars: Read['scalars'] = [];
  const wall: [number, number] = [Infinity, -Infinity];
  const kinds: TagKinds = {};
  // Columns that grow, or ('drained') columns of a fixed size written out to `drained` as they fill.
  const columns = new Map<string, Columns>();
  const drained = new Map<string, Read['scalars']>();
  const drainer = (tag: string) => (c: Columns) => {
    for (let i = 0; i < c.n; i++) drained.get(tag)!.push([tag, c.cols[i], c.cols[c.cap + i], c.cols[2 * c.cap + i]]);
  };
  const target = (tag: string) => {
    let c = columns.get(tag);
    if (!c) columns.set(tag, (c = targets === 'drained' ? new DrainedColumns(drainer(tag)) : new Columns()));
    if (!drained.has(tag)) drained.set(tag, []);
    return c;
  };
  const res = readEventFile(file, offset, kinds, {
    // As the read-ahead's sink (tensorboardSink): the points EventDecoder decodes go to the columns too.
    scalar: (tag, step, time, value) => void (targets ? target(tag).push(step, time, value) : scalars.push([tag, step, time, value])),
    ...(targets ? { target } : {}),
    wallTime: (t) => {
      if (t > 0) {
        wall[0] = Math.min(wall[0], t);
        wall[1] = Math.max(wall[1], t);
      }
    },
  }, undefined, fastPath);
  for (const [tag, c] of columns) {
    if (c instanceof DrainedColumns) c.flush();
    else drainer(tag)(c);
    scalars.push(...drained.get(tag)!);
  }
  return { scalars, wall, diagnostics: res.diagnostics, endOffset: res.endOffset, records: res.records, kinds };
}

/** `r` with its scalars tag by tag, in the order the tags first appear (as `read` with targets gives them). */
function groupedByTag(r: Read): Read {
  const order = new Map<string, number>();
  for (const [tag] of r.scalars) if (!order.has(tag)) order.set(tag, order.size);
  return { ...r, scalars: [...r.scalars].sort((a, b) => order.get(a[0])! - order.get(b[0])!) };
}

/** Everything a reader returns, equal (deepEqual compares with Object.is: NaN equals NaN). */
function assertSame(fast: Read, slow: Read, what: string): void {
  assert.deepEqual(fast, slow, what);
}

/** How many scalars the module decoded itself, and how many of those came from tensors. */
function fastCounts(file: string): { scalars: number; tensors: Record<string, number>; handedOver: number } {
  const n = { scalars: 0, tensors: {} as Record<string, number>, handedOver: 0 };
  scanTfRecords(file, 0, true, (s, e) => {
    if (e.kind === ENTRY_SCALAR) {
      n.scalars++;
      if (e.b) n.tensors[s.tag(e.a)] = (n.tensors[s.tag(e.a)] ?? 0) + 1;
    } else n.handedOver++;
  });
  return n;
}

/**
 * Scalars the native module decoded into columns itself (undefined where it does not decode: no module,
 * or no CRC-32C instruction), by tag and whether they came from tensors, and those it left to the
 * WebAssembly module.
 */
function nativeCounts(file: string): { columns: Record<string, number>; module: number } | undefined {
  const n = { columns: {} as Record<string, number>, module: 0 };
  const columns = new Map<string, Columns>();
  const res = scanTfRecords(file, 0, true, (_s, e) => void (e.kind === ENTRY_SCALAR && n.module++), {
    scalarColumns: (tag, tensor) => {
      const key = tensor ? `${tag} (tensor)` : tag;
      return columns.get(key) ?? columns.set(key, new Columns()).get(key)!;
    },
  });
  if (!res.nativeRecords) return undefined;
  for (const [key, c] of columns) n.columns[key] = c.n;
  return n;
}

function writeEvents(dir: string, events: object[], name = 'events.out.tfevents.1700000000.test.v2'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat(events.map((e) => frameRecord(Buffer.from(Event.encode(Event.fromObject(e)).finish())))));
  return file;
}

const f32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return b;
};
const f64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
};
const scalarsPlugin = { plugin_data: { plugin_name: 'scalars', content: Buffer.alloc(0) } };

/** What TF2's tf.summary.scalar and friends write, plus the shapes the fast path must hand over. */
function tf2Events(steps = 300): object[] {
  const events: object[] = [{ wall_time: 1_700_000_000, file_version: 'brain.Event:2' }];
  for (let step = 0; step < steps; step++) {
    const wall = 1_700_000_000 + step * 1.25;
    const value = (tag: string, tensor: object, first: boolean) => ({ tag, tensor, ...(first ? { metadata: scalarsPlugin } : {}) });
    events.push({ wall_time: wall, step, summary: { value: [value('loss', { dtype: 1, tensor_shape: {}, float_val: [1 / (step + 1)] }, step === 0)] } });
    events.push({ wall_time: wall + 0.1, step, summary: { value: [value('acc', { dtype: 1, tensor_shape: {}, tensor_content: f32(step / 300) }, step === 0)] } });
    events.push({ wall_time: wall + 0.2, step, summary: { value: [value('lr', { dtype: 2, tensor_shape: {}, tensor_content: f64(0.1 * 0.99 ** step) }, step === 0)] } });
    events.push({ wall_time: wall + 0.3, step, summary: { value: [value('grad_norm', { dtype: 2, double_val: [Math.sqrt(step)] }, step === 0)] } });
    // Two values in one summary, one a simple_value.
    events.push({ wall_time: wall + 0.4, step, summary: { value: [{ tag: 'a', simple_value: step }, value('b', { dtype: 1, float_val: [-step] }, step === 0)] } });
    // Integer tensors are the JavaScript decoder's.
    events.push({ wall_time: wall + 0.5, step, summary: { value: [value('epoch', { dtype: 3, tensor_shape: {}, int_val: [step] }, step === 0)] } });
    // A float scalar tensor under a non-scalar plugin must not become a metric.
    events.push({ wall_time: wall + 0.6, step, summary: { value: [{ tag: 'hist', tensor: { dtype: 1, float_val: [step] }, ...(step === 0 ? { metadata: { plugin_data: { plugin_name: 'histograms' } } } : {}) }] } });
    // A tag whose plugin metadata comes late: its tensors count until then, and not after.
    events.push({ wall_time: wall + 0.7, step, summary: { value: [{ tag: 'late', tensor: { dtype: 1, float_val: [step] }, ...(step === 10 ? { metadata: { plugin_data: { plugin_name: 'histograms' } } } : {}) }] } });
  }
  // Steps beyond 2^49 and below zero leave the fast path; so do non-scalar shapes.
  events.push({ wall_time: 1_700_001_000, step: 2 ** 52 + 1, summary: { value: [{ tag: 'big', simple_value: 1 }] } });
  events.push({ wall_time: 1_700_001_001, step: -3, summary: { value: [{ tag: 'neg', simple_value: 2 }] } });
  events.push({ wall_time: 1_700_001_002, step: 7, summary: { value: [{ tag: 'loss', tensor: { dtype: 1, tensor_shape: { dim: [{ size: 1 }] }, float_val: [9] } }] } });
  events.push({ wall_time: 1_700_001_003, step: 8, summary: { value: [{ tag: 'loss', tensor: { dtype: 1, tensor_shape: { dim: [{ size: 2 }] }, float_val: [9, 10] } }] } });
  return events;
}

const eventFiles = fs
  .readdirSync(corpus(), { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.startsWith('events.out.tfevents.'))
  .map((e) => path.join(e.parentPath, e.name));

describe('event files: the WebAssembly fast path against the JavaScript decoder', () => {
  it('ships module bytes assembled from the .wat sources beside them', () => {
    const repo = path.join(__dirname, '..', '..', '..');
    assert.match(execFileSync(process.execPath, [path.join(repo, 'scripts', 'build-wasm.mjs'), '--check'], { cwd: repo }).toString(), /up to date/);
  });

  it('reads every event file of the corpus exactly as the JavaScript decoder does, most records itself', () => {
    let fast = 0;
    let total = 0;
    let natives = 0;
    let nativeOff = !native()?.scalarEvents;
    for (const file of eventFiles) {
      const slow = read(file, false);
      assertSame(read(file, true), slow, path.relative(corpus(), file));
      assertSame(read(file, true, 0, true), groupedByTag(slow), `${path.relative(corpus(), file)}, points in columns`);
      assertSame(withoutNative(() => read(file, true, 0, true)), groupedByTag(slow), `${path.relative(corpus(), file)}, points in columns, no native module`);
      assertSame(withoutNative(() => read(file, true)), slow, `${path.relative(corpus(), file)}, CRCs checked by the module`);
      fast += fastCounts(file).scalars;
      total += slow.scalars.length;
      const nat = nativeCounts(file);
      if (nat) natives += Object.values(nat.columns).reduce((a, b) => a + b, 0);
      else nativeOff = true;
    }
    assert.ok(total > 10_000, `${total} scalars`);
    assert.ok(fast > 0.95 * total, `the module decoded ${fast} of ${total} scalars itself`);
    if (!nativeOff) assert.ok(natives > 0.95 * total, `the native module decoded ${natives} of ${total} scalars itself`);
  });

  it('decodes TF2 scalar tensors (float_val, tensor_content, double_val) itself and agrees with protobufjs', () => {
    const dir = tempDir('tf2-');
    const file = writeEvents(dir, tf2Events());
    const slow = read(file, false);
    const fast = read(file, true);
    assertSame(fast, slow, 'tf2');
    assertSame(read(file, true, 0, true), groupedByTag(slow), 'tf2, points in columns');
    assertSame(withoutNative(() => read(file, true, 0, true)), groupedByTag(slow), 'tf2, points in columns, no native module');
    // Every tensor scalar after the first record of its tag (which carries the plugin metadata) is the
    // module's; the one-element shape is handed over, as are integer tensors.
    const counts = fastCounts(file);
    assert.deepEqual(counts.tensors, { loss: 299, acc: 299, lr: 299, grad_norm: 299, b: 299, hist: 299, late: 299 });
    // The native decoder takes the same records (those it leaves, the WebAssembly module leaves too).
    const nat = nativeCounts(file);
    if (nat) {
      const tensors = Object.fromEntries(Object.entries(nat.columns).filter(([k]) => k.endsWith(' (tensor)')).map(([k, v]) => [k.replace(' (tensor)', ''), v]));
      assert.deepEqual(tensors, { loss: 299, acc: 299, lr: 299, grad_norm: 299, b: 299, hist: 299, late: 299 });
      assert.equal(nat.module, 0);
    }
    // The same values, straight from protobufjs.
    const byTag = new Map<string, number[]>();
    for (const [tag, , , value] of fast.scalars) byTag.set(tag, [...(byTag.get(tag) ?? []), value]);
    assert.deepEqual(byTag.get('loss')?.slice(0, 300), Array.from({ length: 300 }, (_, s) => Math.fround(1 / (s + 1))));
    assert.deepEqual(byTag.get('acc'), Array.from({ length: 300 }, (_, s) => Math.fround(s / 300)));
    assert.deepEqual(byTag.get('lr'), Array.from({ length: 300 }, (_, s) => 0.1 * 0.99 ** s));
    assert.deepEqual(byTag.get('grad_norm'), Array.from({ length: 300 }, (_, s) => Math.sqrt(s)));
    assert.deepEqual(byTag.get('b'), Array.from({ length: 300 }, (_, s) => -s));
    assert.deepEqual(byTag.get('epoch'), Array.from({ length: 300 }, (_, s) => s));
    assert.equal(byTag.get('hist'), undefined, 'a histogram-plugin tensor became a metric');
    assert.deepEqual(byTag.get('late'), Array.from({ length: 10 }, (_, s) => s));
    assert.deepEqual(fast.scalars.find(([t]) => t === 'big')?.slice(1, 2), [2 ** 52 + 1]);
    assert.deepEqual(fast.scalars.find(([t]) => t === 'neg')?.slice(1, 2), [-3]);
    assert.equal(byTag.get('loss')?.length, 301, 'the one-element tensor counts, the two-element one does not');
    assert.deepEqual(fast.wall, [1_700_000_000_000, 1_700_001_003_000]);
    fs.rmSync(dir, { recursive: true });
  });

  it('agrees with the JavaScript decoder on 3,000 damaged records (re-framed so their CRCs pass)', () => {
    const dir = tempDir('mutants-');
    const sources = [writeEvents(dir, tf2Events(), 'events.out.tfevents.1.tf2'), ...eventFiles.filter((_, i) => i % 7 === 0)];
    const payloads = sources.map((file) => {
      const out: Buffer[] = [];
      readTfRecords(file, 0, (buf, s, e) => void out.push(Buffer.from(buf.subarray(s, e))));
      return out;
    });
    const rand = rng(2026);
    const pick = (n: number) => Math.floor(rand() * n);
    const target = path.join(dir, 'events.out.tfevents.2.mutant');
    let handedOver = 0;
    let diagnosed = 0;
    for (let m = 0; m < 3000; m++) {
      const records = payloads[m % payloads.length].map((p) => p);
      const victims = 1 + pick(3);
      for (let v = 0; v < victims; v++) {
        const i = pick(records.length);
        const p = Buffer.from(records[i]);
        if (p.length === 0) continue;
        const at = pick(p.length);
        switch (pick(5)) {
          case 0:
            p[at] ^= 1 << pick(8);
            records[i] = p;
            break;
          case 1:
            p[at] = pick(256);
            records[i] = p;
            break;
          case 2:
            records[i] = p.subarray(0, at);
            break;
          case 3:
            records[i] = Buffer.concat([p.subarray(0, at), Buffer.from([pick(256), pick(256)]), p.subarray(at)]);
            break;
          default:
            records[i] = Buffer.concat([p.subarray(0, at), p.subarray(pick(p.length))]);
        }
      }
      fs.writeFileSync(target, Buffer.concat(records.map((r) => frameRecord(r))));
      const slow = read(target, false);
      assertSame(read(target, true), slow, `mutant ${m}`);
      assertSame(read(target, true, 0, true), groupedByTag(slow), `mutant ${m}, points in columns`);
      assertSame(withoutNative(() => read(target, true, 0, true)), groupedByTag(slow), `mutant ${m}, points in columns, no native module`);
      assertSame(withoutNative(() => read(target, true)), slow, `mutant ${m}, CRCs checked by the module`);
      assertSame(withoutNative(() => read(target, false)), slow, `mutant ${m}, the JavaScript decoder, CRCs checked by the module`);
      handedOver += fastCounts(target).handedOver;
      diagnosed += slow.diagnostics.length;
    }
    assert.ok(diagnosed > 300, `only ${diagnosed} malformed records among the mutants`);
    assert.ok(handedOver > 0);
    fs.rmSync(dir, { recursive: true });
  });

  it('streams series longer than their columns, grown or written out as they fill, equal to the JavaScript decoder', () => {
    // 3,000 points a tag: columns of 1,024 fill mid-file, between records the fast paths leave to EventDecoder.
    const dir = tempDir('long-');
    const file = writeEvents(dir, [...tf2Events(3000), ...Array.from({ length: 5000 }, (_, i) => ({ wall_time: 1_700_010_000 + i, step: i, summary: { value: [{ tag: 'usual', simple_value: i / 3 }] } }))]);
    const slow = groupedByTag(read(file, false));
    assert.equal(slow.scalars.filter(([tag]) => tag === 'usual').length, 5000);
    assertSame(read(file, true, 0, true), slow, 'grown');
    assertSame(read(file, true, 0, 'drained'), slow, 'written out');
    assertSame(withoutNative(() => read(file, true, 0, 'drained')), slow, 'written out, no native module');
    fs.rmSync(dir, { recursive: true });
  });

  it('reads a record larger than its 4 MiB buffer, and a file with more distinct tags than the module keeps', () => {
    const dir = tempDir('big-');
    const graph = Buffer.alloc(9 * 1024 * 1024, 7);
    const events: object[] = [{ wall_time: 1, file_version: 'brain.Event:2' }, { wall_time: 2, graph_def: graph }];
    for (let i = 0; i < 5000; i++) events.push({ wall_time: 3 + i, step: i, summary: { value: [{ tag: `class_${i}/f1`, simple_value: i / 7 }] } });
    const file = writeEvents(dir, events);
    const fast = read(file, true);
    assertSame(fast, read(file, false), 'big record, many tags');
    assert.equal(fast.scalars.length, 5000);
    assert.deepEqual(fast.scalars[4999], ['class_4999/f1', 4999, 5002_000, Math.fround(4999 / 7)]);
    assert.equal(fast.endOffset, fs.statSync(file).size);
    // The same file cut inside the large record: everything before it, an incomplete-record notice at its offset.
    const cut = path.join(dir, 'events.out.tfevents.cut');
    fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, 5 * 1024 * 1024));
    const partial = read(cut, true);
    assertSame(partial, read(cut, false), 'cut in the large record');
    assert.equal(partial.records, 1);
    assert.equal(partial.endOffset, frameRecord(Buffer.from(Event.encode(Event.fromObject(events[0])).finish())).length);
    assert.match(String((partial.diagnostics[0] as { message: string }).message), /incomplete/);
    fs.rmSync(dir, { recursive: true });
  });
});
