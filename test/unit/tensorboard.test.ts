import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEventFile } from '../../src/core/formats/tensorboard';
import { readTfRecords } from '../../src/core/formats/tfrecord';
import { copyOf, corpus, indexInto, tempDir } from './corpus';
import { encodeScalarEvent, frameRecord } from '../../bench/generate';
import { indexWorkspace } from '../../src/core/index/indexer';
import type { Store } from '../../src/core/index/store';
import { withoutNative } from '../../src/core/native/native';

const YOLO = corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5', 'runs', 'train', 'exp2');

function eventFile(dir: string): string {
  return path.join(dir, fs.readdirSync(dir).find((f) => f.startsWith('events.out.tfevents.'))!);
}

function scalars(file: string, offset = 0) {
  const series = new Map<string, { step: number; value: number; time: number }[]>();
  const res = readEventFile(file, offset, {}, {
    scalar(tag, step, time, value) {
      if (!series.has(tag)) series.set(tag, []);
      series.get(tag)!.push({ step, value, time });
    },
  });
  return { series, res };
}

describe('TensorBoard event files', () => {
  it('reads YOLOv5 scalars equal, epoch for epoch, to the results.txt YOLOv5 wrote beside them', () => {
    // results.txt: epoch/total mem box obj cls total targets img P R mAP.5 mAP.5:.95 val_box val_obj val_cls (%10.4g)
    const rows = fs.readFileSync(path.join(YOLO, 'results.txt'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/));
    const columns: Record<string, number> = {
      'train/box_loss': 2, 'train/obj_loss': 3, 'train/cls_loss': 4, 'metrics/precision': 8, 'metrics/recall': 9,
      'metrics/mAP_0.5': 10, 'metrics/mAP_0.5:0.95': 11, 'val/box_loss': 12, 'val/obj_loss': 13, 'val/cls_loss': 14,
    };
    const { series, res } = scalars(eventFile(YOLO));
    assert.equal(res.diagnostics.filter((d) => d.severity !== 'info').length, 0);
    for (const [tag, col] of Object.entries(columns)) {
      const points = series.get(tag);
      assert.ok(points, `missing ${tag}`);
      assert.equal(points.length, rows.length, tag);
      points.forEach((p, i) => {
        assert.equal(p.step, i);
        const expected = Number(rows[i][col]);
        assert.ok(Math.abs(p.value - expected) <= 5e-4 * Math.max(Math.abs(expected), 1e-3), `${tag}[${i}]: ${p.value} vs ${expected}`);
      });
    }
  });

  it('reads a TF 2.2 Keras .v2 file (its epoch scalars are simple_value, with TF2 framing records)', () => {
    const dir = corpus('tensorboard', 'Nivesara__project_fashion_mnist', 'logs', 'cnn_1layer', 'validation');
    const { series, res } = scalars(eventFile(dir));
    assert.deepEqual(res.diagnostics, []);
    assert.ok(series.size > 0, 'no scalars decoded');
    for (const [tag, points] of series) {
      for (const p of points) assert.ok(Number.isFinite(p.value), `${tag} has a non-finite value`);
    }
  });

  it('keeps every complete record of a file cut mid-record and resumes exactly where it stopped', () => {
    const src = eventFile(YOLO);
    const bytes = fs.readFileSync(src);
    const offsets: number[] = [];
    readTfRecords(src, 0, (_b, _s, _e, off) => offsets.push(off));
    const cutRecord = Math.floor(offsets.length / 2);
    const cutAt = offsets[cutRecord] + 7; // inside the header of that record
    const dir = tempDir();
    const file = path.join(dir, path.basename(src));
    fs.writeFileSync(file, bytes.subarray(0, cutAt));
    const partial = scalars(file);
    assert.equal(partial.res.records, cutRecord);
    assert.equal(partial.res.endOffset, offsets[cutRecord]);
    const info = partial.res.diagnostics.find((d) => d.severity === 'info');
    assert.ok(info && info.offset === offsets[cutRecord], 'truncation is reported at the cut record');
    fs.appendFileSync(file, bytes.subarray(cutAt));
    const rest = scalars(file, partial.res.endOffset);
    assert.equal(partial.res.records + rest.res.records, offsets.length);
    const whole = scalars(src);
    for (const [tag, points] of whole.series) {
      const joined = [...(partial.series.get(tag) ?? []), ...(rest.series.get(tag) ?? [])];
      assert.deepEqual(joined, points, tag);
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('reports a payload CRC mismatch at its offset and still reads the other records', () => {
    const src = eventFile(YOLO);
    const offsets: number[] = [];
    readTfRecords(src, 0, (_b, _s, _e, off) => offsets.push(off));
    const copy = copyOf(YOLO);
    const file = eventFile(copy);
    const bytes = fs.readFileSync(file);
    bytes[offsets[5] + 12] ^= 0x40; // first payload byte of record 5
    fs.writeFileSync(file, bytes);
    // CRCs checked by the processor's instruction (native module) and by the WebAssembly module's tables.
    for (const res of [scalars(file).res, withoutNative(() => scalars(file).res)]) {
      const errors = res.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1);
      assert.equal(errors[0].offset, offsets[5]);
      assert.match(errors[0].message, /CRC/);
      assert.equal(res.records, offsets.length - 1);
    }
    // Unchecked, the damaged record is framed like the others.
    const unchecked: number[] = [];
    const res = readTfRecords(file, 0, (_b, _s, _e, off) => unchecked.push(off), { checkCrc: false });
    assert.deepEqual([unchecked, res.diagnostics], [offsets, []]);
  });

  it('stops framing at a corrupted length and says where', () => {
    const copy = copyOf(YOLO);
    const file = eventFile(copy);
    const offsets: number[] = [];
    readTfRecords(file, 0, (_b, _s, _e, off) => offsets.push(off));
    const bytes = fs.readFileSync(file);
    bytes[offsets[3]] ^= 0x01;
    fs.writeFileSync(file, bytes);
    const { res } = scalars(file);
    assert.equal(res.records, 3);
    assert.equal(res.diagnostics[0].offset, offsets[3]);
    assert.match(res.diagnostics[0].message, /length fails its CRC/);
  });

  it('survives zero-byte files and binary garbage named like an event file', () => {
    const dir = tempDir();
    const empty = path.join(dir, 'events.out.tfevents.1.empty');
    fs.writeFileSync(empty, '');
    assert.deepEqual(scalars(empty).res, { endOffset: 0, records: 0, diagnostics: [] });
    const garbage = path.join(dir, 'events.out.tfevents.2.garbage');
    fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)));
    const { res } = scalars(garbage);
    assert.equal(res.records, 0);
    assert.equal(res.diagnostics.length, 1);
    assert.equal(res.diagnostics[0].offset, 0);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('TensorBoard decoding against an independent decoder (protobufjs + the upstream field numbers)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  const root = protobuf.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'event.proto'), 'utf8'), { keepCase: true }).root;
  const Event = root.lookupType('Event');

  function oracle(file: string): Map<string, { step: number; value: number }[]> {
    const out = new Map<string, { step: number; value: number }[]>();
    const scalarTags = new Set<string>();
    readTfRecords(file, 0, (buf, s, e) => {
      const ev = Event.toObject(Event.decode(buf.subarray(s, e)), { longs: Number, defaults: false }) as any;
      for (const v of ev.summary?.value ?? []) {
        const plugin = v.metadata?.plugin_data?.plugin_name;
        if (plugin !== undefined) (plugin === 'scalars' || v.metadata?.data_class === 1 ? scalarTags.add(v.tag) : scalarTags.delete(v.tag));
        let value: number | undefined;
        if (v.simple_value !== undefined) value = v.simple_value;
        else if (v.tensor && scalarTags.has(v.tag) && !(v.tensor.tensor_shape?.dim?.length)) {
          const t = v.tensor;
          if (t.tensor_content) {
            const b = Buffer.from(t.tensor_content);
            value = t.dtype === 1 ? b.readFloatLE(0) : t.dtype === 2 ? b.readDoubleLE(0) : t.dtype === 3 ? b.readInt32LE(0) : undefined;
          } else value = t.float_val?.[0] ?? t.double_val?.[0] ?? t.int_val?.[0];
        }
        if (value === undefined) continue;
        if (!out.has(v.tag)) out.set(v.tag, []);
        out.get(v.tag)!.push({ step: ev.step ?? 0, value });
      }
    });
    return out;
  }

  const files = fs
    .readdirSync(corpus(), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.startsWith('events.out.tfevents.'))
    .map((e) => path.join(e.parentPath, e.name));

  it('covers every event file of the corpus', () => {
    assert.ok(files.length >= 100, `${files.length} event files`);
  });

  it('yields, for every event file of the corpus, exactly the scalars protobufjs decodes', () => {
    let compared = 0;
    for (const file of files) {
      const expected = oracle(file);
      const { series } = scalars(file);
      const got = new Map([...series].map(([tag, pts]) => [tag, pts.map((p) => ({ step: p.step, value: p.value }))]));
      assert.deepEqual(got, expected, path.relative(corpus(), file));
      compared += [...expected.values()].reduce((n, v) => n + v.length, 0);
    }
    assert.ok(compared > 10_000, `only ${compared} scalars compared`);
  });
});

describe('TensorBoard run spans', () => {
  /** The Event{wall_time, file_version} record every writer opens a file with. */
  function versionRecord(wallSec: number): Buffer {
    const wall = Buffer.alloc(8);
    wall.writeDoubleLE(wallSec);
    const version = Buffer.from('brain.Event:2');
    return frameRecord(Buffer.concat([Buffer.from([0x09]), wall, Buffer.from([0x1a, version.length]), version]));
  }
  const runsOf = (store: Store) => store.queryRuns({ sql: "r.format = 'tensorboard'", params: [] }, { sql: 'r.path', params: [] });

  it('takes a run span from its records, not from the file_version record of a profiler stub written 80 minutes earlier', () => {
    const dir = corpus('tensorboard', 'Nivesara__project_fashion_mnist', 'logs', 'cnn_1layer');
    const stub = path.join(dir, 'train', 'events.out.tfevents.1594056838.DESKTOP-IJHBKKC.profile-empty');
    assert.equal(fs.statSync(stub).size, 40);
    const { store, dir: idx } = indexInto([dir]);
    // Earliest and latest wall time of the records past each file's file_version record, read with a
    // small Python TFRecord walker (rounded to the millisecond as the index keeps them):
    // train 1594061604.2044019 … 1594061810.369977, validation 1594061623.766946 … 1594061810.261507.
    const byName = new Map(runsOf(store).map((r) => [r.name, r]));
    assert.deepEqual([byName.get('train')?.startTime, byName.get('train')?.endTime], [1594061604204, 1594061810370]);
    assert.deepEqual([byName.get('validation')?.startTime, byName.get('validation')?.endTime], [1594061623767, 1594061810262]);
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('does not make a run of a log directory whose files log nothing, until they do', () => {
    const ws = tempDir();
    const lone = path.join(ws, 'profile-only');
    const both = path.join(ws, 'train');
    fs.mkdirSync(lone);
    fs.mkdirSync(both);
    const stubFile = path.join(lone, 'events.out.tfevents.1700000000.host.profile-empty');
    fs.writeFileSync(stubFile, versionRecord(1_700_000_000));
    fs.writeFileSync(path.join(both, 'events.out.tfevents.1700000000.host.profile-empty'), versionRecord(1_700_000_000));
    // The training's own file: opened 80 minutes after the stub, three minutes of scalars.
    const start = 1_700_000_000 + 80 * 60;
    fs.writeFileSync(
      path.join(both, 'events.out.tfevents.1700004800.host.1.v2'),
      Buffer.concat([versionRecord(start), ...[0, 1, 2, 3].map((i) => frameRecord(encodeScalarEvent('loss', i, start + 1 + i * 60, 1 / (i + 1))))]),
    );
    const { store, dir: idx } = indexInto([ws]);
    assert.deepEqual(runsOf(store).map((r) => [r.name, r.startTime, r.endTime]), [['train', (start + 1) * 1000, (start + 181) * 1000]]);
    // Something logged in the stub's folder: it is a run from the next pass on.
    fs.appendFileSync(stubFile, frameRecord(encodeScalarEvent('acc', 5, 1_700_000_100, 0.5)));
    indexWorkspace(store, { roots: [ws] });
    assert.deepEqual(runsOf(store).map((r) => [r.name, r.startTime, r.endTime]), [['profile-only', 1_700_000_100_000, 1_700_000_100_000], ['train', (start + 1) * 1000, (start + 181) * 1000]]);
    store.close();
    fs.rmSync(idx, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});
