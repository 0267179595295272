import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileSort } from '../../src/core/index/query';
import type { Store } from '../../src/core/index/store';
import { copyOf, corpus, indexInto } from './corpus';

const BIN = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
const DEMO = path.join(__dirname, '..', '..', '..', 'demo', 'workspace');

function runsOf(store: Store, format: string) {
  return store.queryRuns({ sql: 'r.format = ?', params: [format] }, { sql: 'r.name', params: [] });
}

/** Removes a temp folder this test made, and nothing else. */
function removeTemp(dir: string): void {
  assert.match(path.relative(os.tmpdir(), dir), /^runlens-[^/\\]+$/, `not a test's temp folder: ${dir}`);
  fs.rmSync(dir, { recursive: true });
}

/** Copies a folder and dates every file in it now, as a fresh checkout or copy does. */
function copiedNow(src: string): string {
  const dest = copyOf(src);
  const now = new Date();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else fs.utimesSync(p, now, now);
    }
  };
  walk(dest);
  return dest;
}

describe('run times only from what the files record', () => {
  it('leaves a Lightning version without event files undated, and dates one with them by their records', () => {
    const ws = copiedNow(corpus('lightning', 'DanyaSH759__MLOps_homework'));
    const events = copiedNow(corpus('lightning', 'Dodsaren__weather-predder', 'lightning_logs', 'version_4'));
    const { store, dir } = indexInto([ws, path.dirname(events)]);
    const runs = runsOf(store, 'lightning');
    const csvOnly = runs.find((r) => r.path.startsWith(ws))!;
    assert.deepEqual([csvOnly.startTime, csvOnly.endTime], [null, null]);
    // version_4's two event files, their records past the file_version ones (Python TFRecord walker):
    // 1672519486.571462 … 1672519550.7808562.
    const v4 = runs.find((r) => r.name === 'version_4')!;
    assert.deepEqual([v4.startTime, v4.endTime], [1672519486571, 1672519550781]);
    store.close();
    removeTemp(dir);
    removeTemp(path.dirname(ws));
    removeTemp(path.dirname(events));
  });

  it('dates a copied Hugging Face run by its runs/ TensorBoard log (2 s), and one without a log not at all', () => {
    const bert = copiedNow(path.join(DEMO, 'tiny-bert'));
    const ner = copiedNow(corpus('huggingface', 'lukhha__Pio-NER'));
    const { store, dir } = indexInto([bert, ner]);
    const byPath = new Map(runsOf(store, 'huggingface').map((r) => [r.path, r]));
    // results/runs/Nov23_07-05-29_vm's records: 1795417529.1787651 … 1795417531.2494817 (Python walker).
    const b = byPath.get(path.join(bert, 'results'))!;
    assert.deepEqual([b.startTime, b.endTime], [1795417529179, 1795417531249]);
    const n = byPath.get(path.join(ner, 'results'))!;
    assert.deepEqual([n.startTime, n.endTime], [null, null]);
    store.close();
    removeTemp(dir);
    removeTemp(path.dirname(bert));
    removeTemp(path.dirname(ner));
  });

  it('leaves Keras runs undated; sorts unknown times last both ways; the CLI says unknown', () => {
    const keras = copiedNow(corpus('keras', 'AkshatSharma5__Brain_Tumor_Image_Classification_using_CNN'));
    const tb = copyOf(corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5'));
    const ws = path.dirname(keras);
    fs.renameSync(tb, path.join(ws, 'yolo'));
    removeTemp(path.dirname(tb));
    const { store, dir } = indexInto([ws]);
    for (const r of runsOf(store, 'keras')) assert.deepEqual([r.startTime, r.endTime], [null, null], r.name);
    const all = store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] }).length;
    for (const spec of ['start_time', 'start_time desc', 'end_time', 'end_time desc', 'duration', 'duration desc']) {
      const order = store.queryRuns({ sql: '', params: [] }, compileSort(spec)).map((r) => r.format);
      assert.equal(order.length, all);
      // The two YOLOv5 runs (dated) first, the four Keras trainings after them.
      assert.deepEqual(order, ['tensorboard', 'tensorboard', 'keras', 'keras', 'keras', 'keras'], spec);
    }
    // The default order (newest first) too.
    assert.deepEqual(store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] }).map((r) => r.format).slice(2), ['keras', 'keras', 'keras', 'keras']);
    store.close();
    const index = path.join(dir, 'index.sqlite');
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--dir', ws, '--index', index, '--no-index'], { encoding: 'utf8' });
    const metrics = cli('metrics', 'training_log#2', 'loss');
    assert.equal(metrics.status, 0, metrics.stderr);
    // (Past the header and its rule.)
    const rows = metrics.stdout.trim().split('\n').slice(2);
    // training 2 of the file: its 4 rows (epochs 0–3), no wall times.
    assert.deepEqual(rows.map((l) => l.trim().split(/\s+/)[1]), ['unknown', 'unknown', 'unknown', 'unknown']);
    const show = cli('show', 'training_log#2');
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /^ {2}start {7}unknown$/m);
    assert.match(show.stdout, /^ {2}duration {4}unknown$/m);
    assert.doesNotMatch(show.stdout + metrics.stdout, /1970|NaN|Invalid/);
    const runs = cli('runs', '--query', 'format = "keras"');
    assert.equal(runs.status, 0, runs.stderr);
    const lines = runs.stdout.trim().split('\n').filter((l) => / keras /.test(l));
    assert.equal(lines.length, 4);
    for (const l of lines) assert.match(l, / UNKNOWN +unknown +unknown /, l);
    removeTemp(dir);
    removeTemp(ws);
  });
});
