import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../../src/core/index/store';
import { indexChanged, indexUnit, indexWorkspace } from '../../src/core/index/indexer';
import { discoverSources } from '../../src/core/discovery';
import { unitsOfSource, type Unit } from '../../src/core/index/units';
import { readTfRecords } from '../../src/core/formats/tfrecord';
import { copyOf, corpus, growingWorkspace, indexInto, tableRows, tempDir } from './corpus';
import { probesUnchanged, probesUnchangedInJs } from '../../src/core/index/listing';

/** Everything the index holds about runs, in a comparable form. */
function snapshot(store: Store) {
  const runs = store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] });
  return runs.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    params: store.params(r.rid),
    tags: store.tags(r.rid),
    series: store.seriesSummaries(r.rid).map((s) => ({ ...s, points: store.seriesPoints(r.rid, s.key) })),
  }));
}

describe('incremental indexing', () => {
  it('re-reads nothing when nothing changed', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const { store, dir } = indexInto([ws]);
    const again = indexWorkspace(store, { roots: [ws] });
    assert.equal(again.read, 0);
    assert.equal(again.units, indexWorkspace(store, { roots: [ws] }).units);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('after appending metric lines and event records, equals an index built from scratch', () => {
    const { ws, eventFile, eventBytes, offsets, metricFile } = growingWorkspace();
    const eventName = path.basename(eventFile);
    const half = offsets[Math.floor(offsets.length / 2)];
    fs.writeFileSync(eventFile, eventBytes.subarray(0, half + 5)); // cut inside a record

    const { store, dir } = indexInto([ws]);
    fs.appendFileSync(metricFile, '1656994882000 42.5 4\n1656994882100 nan 5\n');
    fs.appendFileSync(eventFile, eventBytes.subarray(half + 5));
    const second = indexWorkspace(store, { roots: [ws] });
    assert.equal(second.read, 2);
    assert.equal(second.appended, 2);

    const scratch = indexInto([ws]);
    assert.deepEqual(snapshot(store), snapshot(scratch.store));
    const [run] = store.resolveRun('a3112407148b4966b929bc9f8784a3d3');
    const points = store.seriesPoints(run.rid, 'foo');
    assert.equal(points.at(-2)!.value, 42.5);
    assert.ok(Number.isNaN(points.at(-1)!.value));
    assert.equal(store.diagnostics().filter((d) => d.file.endsWith(eventName)).length, 0, 'the truncation notice is gone once the record is complete');
    store.close();
    scratch.store.close();
    for (const d of [dir, scratch.dir, ws]) fs.rmSync(d, { recursive: true });
  });

  it('Lightning: CSV rows and event records appended in pieces (cut mid-row and mid-record) are read from where the last pass stopped, and each pass equals an index from scratch', () => {
    const src = path.join(__dirname, '..', '..', '..', 'demo', 'workspace', 'digits-lightning', 'lightning_logs', 'version_1');
    const ws = tempDir('runlens-ws-');
    const dir = path.join(ws, 'lightning_logs', 'version_1');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(src, 'hparams.yaml'), path.join(dir, 'hparams.yaml'));
    const eventName = fs.readdirSync(src).find((f) => f.startsWith('events.out'))!;
    const csv = fs.readFileSync(path.join(src, 'metrics.csv'));
    const events = fs.readFileSync(path.join(src, eventName));
    const offsets: number[] = [];
    readTfRecords(path.join(src, eventName), 0, (_b, _s, _e, off) => offsets.push(off));
    // Three cuts of each file: inside a row / a record, then further on, then the end.
    const csvCuts = [Math.floor(csv.length / 3) + 7, Math.floor((2 * csv.length) / 3) + 3, csv.length];
    const eventCuts = [offsets[Math.floor(offsets.length / 3)] + 5, offsets[Math.floor((2 * offsets.length) / 3)] + 9, events.length];
    fs.writeFileSync(path.join(dir, 'metrics.csv'), csv.subarray(0, csvCuts[0]));
    fs.writeFileSync(path.join(dir, eventName), events.subarray(0, eventCuts[0]));
    const { store, dir: indexDir } = indexInto([ws]);
    try {
      for (let i = 1; i < 3; i++) {
        fs.appendFileSync(path.join(dir, 'metrics.csv'), csv.subarray(csvCuts[i - 1], csvCuts[i]));
        fs.appendFileSync(path.join(dir, eventName), events.subarray(eventCuts[i - 1], eventCuts[i]));
        const pass = indexWorkspace(store, { roots: [ws] });
        assert.deepEqual([pass.read, pass.appended], [1, 1], `pass ${i}: one unit, read from its offsets`);
        const scratch = indexInto([ws]);
        assert.deepEqual(snapshot(store), snapshot(scratch.store), `pass ${i}`);
        scratch.store.close();
      }
      // The CSV's rows, counted from the file: every non-empty val_acc cell is a point.
      const [run] = store.queryRuns({ sql: "r.format = 'lightning'", params: [] }, { sql: '', params: [] });
      const rows = csv.toString('utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const col = 'epoch,step,train_loss_epoch,train_loss_step,val_acc,val_loss'.split(',').indexOf('val_acc');
      assert.deepEqual(store.seriesPoints(run.rid, 'val_acc').map((p) => p.value), rows.filter((r) => r[col] !== '').map((r) => Number(r[col])));
      assert.equal(store.diagnostics().filter((d) => d.severity !== 'info').length, 0);
      // A rewritten CSV (what the logger does when a metric appears) is read whole again.
      const header = csv.toString('utf8').split('\n')[0];
      fs.writeFileSync(path.join(dir, 'metrics.csv'), `${header},lr\n` + csv.toString('utf8').split('\n').slice(1).filter(Boolean).map((l) => `${l},0.01`).join('\n') + '\n');
      const rewrite = indexWorkspace(store, { roots: [ws] });
      assert.deepEqual([rewrite.read, rewrite.appended], [1, 0]);
      const scratch = indexInto([ws]);
      assert.deepEqual(snapshot(store), snapshot(scratch.store));
      scratch.store.close();
    } finally {
      store.close();
      for (const d of [indexDir, ws]) fs.rmSync(d, { recursive: true });
    }
  });

  it('an older event file that grows back while a newer one has points is read again with it, in file order (found by the fuzzer)', () => {
    const ws = copyOf(corpus('lightning', 'Dodsaren__weather-predder', 'lightning_logs', 'version_50'));
    const [older] = fs.readdirSync(ws).filter((f) => f.startsWith('events.out')).sort();
    const bytes = fs.readFileSync(path.join(ws, older));
    const offsets: number[] = [];
    readTfRecords(path.join(ws, older), 0, (_b, _s, _e, off) => offsets.push(off));
    fs.writeFileSync(path.join(ws, older), bytes.subarray(0, offsets[Math.floor(offsets.length / 2)]));
    const { store, dir } = indexInto([path.dirname(ws)]);
    try {
      fs.appendFileSync(path.join(ws, older), bytes.subarray(offsets[Math.floor(offsets.length / 2)]));
      const pass = indexWorkspace(store, { roots: [path.dirname(ws)] });
      assert.equal(pass.read, 1);
      const scratch = indexInto([path.dirname(ws)]);
      assert.deepEqual(snapshot(store), snapshot(scratch.store));
      scratch.store.close();
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('Keras CSVLogger: epochs appended (the last one cut mid-row) are read from the last complete row, equal to an index from scratch', () => {
    const src = path.join(__dirname, '..', '..', '..', 'demo', 'workspace', 'digits-cnn', 'training_log.csv');
    const bytes = fs.readFileSync(src);
    const ws = tempDir('runlens-ws-');
    const file = path.join(ws, 'training_log.csv');
    const cuts = [Math.floor(bytes.length / 2) + 5, bytes.length - 3, bytes.length];
    fs.writeFileSync(file, bytes.subarray(0, cuts[0]));
    const { store, dir } = indexInto([ws]);
    try {
      for (let i = 1; i < cuts.length; i++) {
        fs.appendFileSync(file, bytes.subarray(cuts[i - 1], cuts[i]));
        const pass = indexWorkspace(store, { roots: [ws] });
        assert.deepEqual([pass.read, pass.appended], [1, 1], `pass ${i}`);
        const scratch = indexInto([ws]);
        assert.deepEqual(snapshot(store), snapshot(scratch.store), `pass ${i}`);
        scratch.store.close();
      }
      const [run] = store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] });
      const rows = bytes.toString('utf8').trim().split(/\r?\n/);
      assert.equal(store.seriesPoints(run.rid, 'loss').length, rows.length - 1, 'one point per epoch row');
    } finally {
      store.close();
      for (const d of [dir, ws]) fs.rmSync(d, { recursive: true });
    }
  });

  it('W&B: history rows appended while the summary is rewritten are read from the last row, equal to an index from scratch', () => {
    const src = corpus('wandb', 'Aameer__ANN', 'wandb', 'run-20190614_133846-pgmkjezb');
    const ws = tempDir('runlens-ws-');
    const run = path.join(ws, 'wandb', path.basename(src));
    fs.cpSync(src, run, { recursive: true });
    const history = fs.readFileSync(path.join(src, 'wandb-history.jsonl'));
    const summary = JSON.parse(fs.readFileSync(path.join(src, 'wandb-summary.json'), 'utf8')) as Record<string, unknown>;
    const lines = history.toString('utf8').split('\n').filter(Boolean);
    assert.ok(lines.length >= 4, `${lines.length} history rows`);
    // As the run trains: a few rows, the summary of the last one plus a value only the summary has.
    const cuts = [Buffer.byteLength(lines.slice(0, 2).join('\n') + '\n') + 10, Math.floor(history.length * 0.7), history.length];
    const summaryAt = (rows: number, extra: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(lines[Math.max(0, rows - 1)]), ...extra });
    fs.writeFileSync(path.join(run, 'wandb-history.jsonl'), history.subarray(0, cuts[0]));
    fs.writeFileSync(path.join(run, 'wandb-summary.json'), summaryAt(2, { best_val: 0.5 }));
    const { store, dir } = indexInto([ws]);
    try {
      for (let i = 1; i < cuts.length; i++) {
        fs.appendFileSync(path.join(run, 'wandb-history.jsonl'), history.subarray(cuts[i - 1], cuts[i]));
        const rows = history.subarray(0, cuts[i]).toString('utf8').split('\n').length - 1;
        // The last pass: the real summary (best_val gone from it).
        fs.writeFileSync(path.join(run, 'wandb-summary.json'), i < cuts.length - 1 ? summaryAt(rows, { best_val: 0.6 + i / 10 }) : JSON.stringify(summary));
        const pass = indexWorkspace(store, { roots: [ws] });
        assert.deepEqual([pass.read, pass.appended], [1, 1], `pass ${i}: read from the history's offset`);
        const scratch = indexInto([ws]);
        assert.deepEqual(snapshot(store), snapshot(scratch.store), `pass ${i}`);
        scratch.store.close();
      }
      const [r] = store.resolveRun('pgmkjezb');
      assert.equal(store.seriesPoints(r.rid, 'loss').length, lines.filter((l) => 'loss' in JSON.parse(l)).length);
      assert.ok(!store.seriesSummaries(r.rid).some((s) => s.key === 'best_val'), 'a summary value that is gone is gone');
    } finally {
      store.close();
      for (const d of [dir, ws]) fs.rmSync(d, { recursive: true });
    }
  });

  it('reads a file that grew but was rewritten whole again, not from its old offset (found by the fuzzer)', () => {
    const ws = tempDir('runlens-ws-');
    fs.cpSync(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python', 'mlruns'), path.join(ws, 'mlruns'), { recursive: true });
    const tbSrc = corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5', 'runs', 'train', 'exp2');
    const eventName = fs.readdirSync(tbSrc).find((f) => f.startsWith('events.out'))!;
    const eventFile = path.join(ws, 'tb', 'exp2', eventName);
    fs.mkdirSync(path.dirname(eventFile), { recursive: true });
    const original = fs.readFileSync(path.join(tbSrc, eventName));
    const metricFile = path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'metrics', 'foo');
    const metricText = fs.readFileSync(metricFile, 'utf8');
    // Damaged copies first: a byte gone from the middle of each (same inode, smaller).
    const mid = Math.floor(original.length / 2);
    fs.writeFileSync(eventFile, Buffer.concat([original.subarray(0, mid), original.subarray(mid + 1)]));
    fs.writeFileSync(metricFile, metricText.slice(0, 5) + metricText.slice(6));
    const { store, dir } = indexInto([ws]);
    // Then the good content back: larger than before, but its start is not what was read.
    fs.writeFileSync(eventFile, original);
    fs.writeFileSync(metricFile, metricText);
    const again = indexWorkspace(store, { roots: [ws] });
    assert.equal(again.appended, 0, 'neither file is read as appended');
    const scratch = indexInto([ws]);
    assert.deepEqual(snapshot(store), snapshot(scratch.store));
    store.close();
    scratch.store.close();
    for (const d of [dir, scratch.dir, ws]) fs.rmSync(d, { recursive: true });
  });

  it('re-reads only the units that own changed paths (the live path) and names the paths it cannot place', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const runDir = path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3');
    const { store, dir } = indexInto([ws]);
    fs.appendFileSync(path.join(runDir, 'metrics', 'foo'), '1656994882000 7 4\n');
    fs.writeFileSync(path.join(runDir, 'metrics', 'bar'), '1656994882000 1 0\n');
    const newRun = path.join(ws, 'mlruns', '6', 'ffffffffffffffffffffffffffffffff', 'meta.yaml');
    const changed = indexChanged(store, [path.join(runDir, 'metrics', 'foo'), path.join(runDir, 'metrics', 'bar'), newRun]);
    assert.equal(changed.read, 1);
    assert.equal(changed.points, 2);
    assert.deepEqual(changed.unmatched, [newRun]);
    const scratch = indexInto([ws]);
    assert.deepEqual(snapshot(store), snapshot(scratch.store));
    fs.rmSync(runDir, { recursive: true });
    assert.equal(indexChanged(store, [path.join(runDir, 'metrics', 'foo')]).read, 1);
    assert.deepEqual(store.resolveRun('a3112407148b4966b929bc9f8784a3d3'), []);
    store.close();
    scratch.store.close();
    for (const d of [dir, scratch.dir]) fs.rmSync(d, { recursive: true });
  });

  it('drops runs whose folders were deleted', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const { store, dir } = indexInto([ws]);
    const before = store.countRuns();
    fs.rmSync(path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3'), { recursive: true });
    const s = indexWorkspace(store, { roots: [ws] });
    assert.equal(s.removed, 1);
    assert.equal(store.countRuns(), before - 1);
    assert.deepEqual(store.resolveRun('a3112407148b4966b929bc9f8784a3d3'), []);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('reports malformed metric lines with their line numbers and keeps the good ones', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const file = path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'metrics', 'foo');
    const good = fs.readFileSync(file, 'utf8').trim().split('\n').length;
    fs.appendFileSync(file, 'garbage here\n1656994882000 1.5 9\n');
    fs.writeFileSync(path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'meta.yaml'), 'status: [unclosed\n');
    const { store, dir } = indexInto([ws]);
    const [run] = store.resolveRun('a3112407148b4966b929bc9f8784a3d3');
    assert.equal(store.seriesPoints(run.rid, 'foo').length, good + 1);
    const diags = store.diagnostics();
    assert.ok(diags.some((d) => d.file === file && d.line === good + 1 && /malformed metric line/.test(d.message)), JSON.stringify(diags));
    assert.ok(diags.some((d) => d.file.endsWith('meta.yaml') && /invalid YAML/.test(d.message)));
    assert.ok(store.countRuns() > 1, 'the rest of the workspace still indexes');
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('never writes inside the workspace', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const list = () => fs.readdirSync(ws, { recursive: true }).map(String).sort();
    const before = list();
    const { store, dir } = indexInto([ws]);
    store.close();
    assert.deepEqual(list(), before);
    fs.rmSync(dir, { recursive: true });
  });

  it('passes over an unchanged MLflow run on its probes alone, and still reads it after every kind of change', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const runDir = path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3');
    // A dataset of the experiment, for the run to log as an input below.
    fs.mkdirSync(path.join(ws, 'mlruns', '6', 'datasets', 'd1'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'mlruns', '6', 'datasets', 'd1', 'meta.yaml'), 'name: train\ndigest: 5a1f0e2b\nsource_type: local\n');
    const { store, dir } = indexInto([ws]);
    const [bytes, seen] = store.unitProbes(`mlflow-run:${runDir}`)!;
    const probes = bytes.toString();
    // The folders, the files stated each pass (meta.yaml, tags, metrics) — not the params, which MLflow
    // never rewrites and whose folder's mtime stands for them.
    assert.match(probes, /^F.*meta\.yaml$/m);
    assert.match(probes, /^F.*metrics.foo$/m);
    assert.match(probes, /^D.*params$/m);
    assert.doesNotMatch(probes, /param1/);
    // What each saw: three numbers a file (size, mtime, inode), two a folder; all of them are checked.
    const lines = probes.split('\n');
    assert.equal(seen.length, 8 * lines.reduce((n, l) => n + (l[0] === 'F' ? 3 : 2), 0));
    const foo = fs.statSync(path.join(runDir, 'metrics', 'foo'));
    const at = 8 * lines.slice(0, lines.findIndex((l) => l.endsWith(`metrics${path.sep}foo`))).reduce((n, l) => n + (l[0] === 'F' ? 3 : 2), 0);
    assert.deepEqual([0, 8, 16].map((o) => seen.readDoubleLE(at + o)), [foo.size, foo.mtimeMs, foo.ino]);
    for (const check of [(s: Buffer) => probesUnchangedInJs(probes, s), (s: Buffer) => probesUnchanged(bytes, s)]) {
      assert.ok(check(seen));
      assert.equal(check(seen.subarray(0, seen.length - 8)), false);
      assert.equal(check(Buffer.concat([seen, seen.subarray(0, 16)])), false);
    }
    assert.equal(indexWorkspace(store, { roots: [ws] }).read, 0);
    const later = (file: string) => fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changes: [string, () => void][] = [
      ['a metric line appended', () => fs.appendFileSync(path.join(runDir, 'metrics', 'foo'), '1656994882000 7 4\n')],
      ['a tag rewritten, same size', () => {
        const tag = path.join(runDir, 'tags', 'release.version');
        fs.writeFileSync(tag, fs.readFileSync(tag, 'utf8').replace(/./, 'X'));
        later(tag);
      }],
      ['a metric in a new nested folder', () => {
        fs.mkdirSync(path.join(runDir, 'metrics', 'val'));
        fs.writeFileSync(path.join(runDir, 'metrics', 'val', 'loss'), '1656994882000 0.5 0\n');
      }],
      ['meta.yaml rewritten', () => {
        const meta = path.join(runDir, 'meta.yaml');
        fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace(/status: \d+/, 'status: 4'));
        later(meta);
      }],
      ['an artifact in a new folder', () => {
        fs.mkdirSync(path.join(runDir, 'artifacts', 'model'));
        fs.writeFileSync(path.join(runDir, 'artifacts', 'model', 'MLmodel'), 'flavors: {}\n');
      }],
      ['a metric file removed', () => fs.rmSync(path.join(runDir, 'metrics', 'val', 'loss'))],
      ['a dataset input logged', () => {
        fs.mkdirSync(path.join(runDir, 'inputs', 'i1'), { recursive: true });
        fs.writeFileSync(path.join(runDir, 'inputs', 'i1', 'meta.yaml'), 'source_type: DATASET\nsource_id: d1\ndestination_type: RUN\n');
      }],
    ];
    for (const [what, change] of changes) {
      change();
      assert.equal(indexWorkspace(store, { roots: [ws] }).read, 1, what);
      const scratch = indexInto([ws]);
      assert.deepEqual(snapshot(store), snapshot(scratch.store), what);
      const artifacts = (s: Store) => s.resolveRun('a3112407148b4966b929bc9f8784a3d3').map((r) => [r.path, s.artifacts(r.rid)]).sort();
      assert.deepEqual(artifacts(store), artifacts(scratch.store), what);
      scratch.store.close();
      fs.rmSync(scratch.dir, { recursive: true });
      assert.equal(indexWorkspace(store, { roots: [ws] }).read, 0, `${what}: read again with nothing changed`);
    }
    const [run] = store.resolveRun('a3112407148b4966b929bc9f8784a3d3').filter((r) => r.path === runDir);
    assert.deepEqual(store.datasetInputs(run.rid).map((d) => [d.name, d.digest]), [['train', '5a1f0e2b']]);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('keeps the probes of an index written before they had a table of their own (schema 7): the first pass after the upgrade reads nothing', () => {
    const ws = corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python');
    const { store, dir } = indexInto([ws]);
    const before = new Map(store.allUnitProbes());
    assert.ok(before.size > 10);
    // The same index as schema 7 kept it: the probes in two columns of the units table.
    store.db.exec(`
      ALTER TABLE units ADD COLUMN probes TEXT;
      ALTER TABLE units ADD COLUMN probes_seen BLOB;
      UPDATE units SET probes = (SELECT paths FROM probes WHERE unit = key), probes_seen = (SELECT seen FROM probes WHERE unit = key);
      DROP TABLE probes;
      DROP TABLE probes_changed;
      DELETE FROM meta WHERE key = 'probe_snapshot';
      ALTER TABLE runs DROP COLUMN datasets;
    `);
    store.db.pragma('user_version = 7');
    store.close();
    const upgraded = Store.open(path.join(dir, 'index.sqlite'));
    assert.deepEqual(upgraded.allUnitProbes(), before);
    assert.deepEqual(upgraded.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('units'), ['key', 'kind', 'state']);
    assert.equal(indexWorkspace(upgraded, { roots: [ws] }).read, 0);
    upgraded.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('passes over unchanged TensorBoard, Lightning, Hugging Face and W&B runs on their probes, and reads each after a change only a folder or a second place shows', () => {
    const ws = tempDir('runlens-ws-');
    const tbSrc = corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5', 'runs', 'train', 'exp2');
    const tbDir = path.join(ws, 'tb', 'exp2');
    fs.mkdirSync(tbDir, { recursive: true });
    const eventName = fs.readdirSync(tbSrc).find((f) => f.startsWith('events.out'))!;
    fs.copyFileSync(path.join(tbSrc, eventName), path.join(tbDir, eventName));
    fs.cpSync(corpus('lightning', 'Dodsaren__weather-predder', 'lightning_logs', 'version_4'), path.join(ws, 'lightning_logs', 'version_4'), { recursive: true });
    // A Trainer output folder with one checkpoint, and a W&B run.
    const hf = path.join(ws, 'hf', 'results');
    const hfSrc = corpus('huggingface', 'LaziestCactus__GPTLoRA', 'results');
    fs.mkdirSync(path.join(hf, 'checkpoint-872'), { recursive: true });
    fs.copyFileSync(path.join(hfSrc, 'checkpoint-872', 'trainer_state.json'), path.join(hf, 'checkpoint-872', 'trainer_state.json'));
    const wandbRun = path.join(ws, 'wandb', 'run-20190614_133846-pgmkjezb');
    fs.cpSync(corpus('wandb', 'Aameer__ANN', 'wandb', 'run-20190614_133846-pgmkjezb'), wandbRun, { recursive: true });
    const { store, dir } = indexInto([ws]);
    assert.ok(store.unitProbes(`tensorboard-run:${tbDir}`)?.[0].toString().split('\n').includes(`D${tbDir}`));
    assert.equal(indexWorkspace(store, { roots: [ws] }).read, 0);
    // A second event file in the log directory (a resumed run): only the folder's mtime tells.
    const second = eventName.replace(/tfevents\.(\d+)/, (_, t) => `tfevents.${Number(t) + 100}`);
    fs.copyFileSync(path.join(tbSrc, eventName), path.join(tbDir, second));
    assert.equal(indexWorkspace(store, { roots: [ws] }).read, 1);
    const scratch = indexInto([ws]);
    assert.deepEqual(snapshot(store), snapshot(scratch.store));
    assert.equal(indexWorkspace(store, { roots: [ws] }).read, 0);
    // A checkpoint folder made before its trainer_state.json is written, then the state; a W&B summary
    // appearing in files/ beside the one at the top.
    const later = [
      // Nothing to read yet (the unit's files are the same), but the new folder is probed from now on.
      ['a checkpoint folder', () => fs.mkdirSync(path.join(hf, 'checkpoint-1500')), 0],
      ['its trainer_state.json', () => fs.copyFileSync(path.join(hfSrc, 'checkpoint-1500', 'trainer_state.json'), path.join(hf, 'checkpoint-1500', 'trainer_state.json')), 1],
      ['a W&B file in files/', () => {
        fs.mkdirSync(path.join(wandbRun, 'files'));
        fs.writeFileSync(path.join(wandbRun, 'files', 'wandb-summary.json'), JSON.stringify({ acc: 0.5, _step: 3 }));
      }, 1],
    ] as const;
    for (const [what, change, reads] of later) {
      change();
      assert.equal(indexWorkspace(store, { roots: [ws] }).read, reads, what);
      const again = indexInto([ws]);
      assert.deepEqual(snapshot(store), snapshot(again.store), what);
      again.store.close();
      fs.rmSync(again.dir, { recursive: true });
    }
    store.close();
    scratch.store.close();
    for (const d of [dir, scratch.dir, ws]) fs.rmSync(d, { recursive: true });
  });
});

describe('a unit whose read fails', () => {
  const RUN = 'a3112407148b4966b929bc9f8784a3d3';

  /** Every row of every table, so that nothing a failed read wrote can hide. */
  function tables(store: Store, except: string[] = []): Record<string, string> {
    const out: Record<string, string> = {};
    for (const t of store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]) {
      if (!except.includes(t)) out[t] = tableRows(store, t);
    }
    return out;
  }

  /** The run's unit, made to fail after its real read and a series it began and did not close (one full chunk). */
  function failingRunUnit(ws: string): Unit {
    const units = discoverSources([ws]).sources.flatMap((s) => unitsOfSource(s));
    const unit = units.find((u) => u.key.endsWith(path.sep + RUN))!;
    return {
      ...unit,
      read(ctx) {
        unit.read(ctx);
        const rid = ctx.store.db.prepare('SELECT rid FROM runs WHERE native_id = ?').pluck().get(RUN) as number;
        const writer = ctx.store.seriesWriter(rid, 'half_written', false);
        for (let i = 0; i < 1500; i++) writer.push(i, i, i);
        throw new Error('a reader bug');
      },
    };
  }

  const failure = (store: Store) => store.diagnostics().filter((d) => d.severity === 'error' && d.message === 'could not be indexed: a reader bug');

  it('never indexed before: leaves nothing it wrote, and is read in full by the next pass', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'index.sqlite'));
    const empty = tables(store, ['diagnostics']);
    // Inside a pass's transaction, as the indexer reads units.
    assert.equal(store.transaction(() => indexUnit(store, failingRunUnit(ws))), undefined);
    assert.deepEqual(tables(store, ['diagnostics']), empty);
    assert.equal(failure(store).length, 1);
    // The run's metric files are real: its series reached the chunks table before the failure.
    const scratch = indexInto([ws]);
    assert.ok((scratch.store.db.prepare('SELECT COUNT(*) FROM chunks').pluck().get() as number) > 0);
    assert.ok(indexWorkspace(store, { roots: [ws] }).read > 0);
    assert.deepEqual(snapshot(store), snapshot(scratch.store));
    assert.equal(failure(store).length, 0);
    store.close();
    scratch.store.close();
    for (const d of [dir, scratch.dir, ws]) fs.rmSync(d, { recursive: true });
  });

  it('indexed before: its rows stay as they were', () => {
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const { store, dir } = indexInto([ws]);
    const before = tables(store, ['diagnostics']);
    const metrics = path.join(ws, 'mlruns', '6', RUN, 'metrics');
    fs.appendFileSync(path.join(metrics, fs.readdirSync(metrics)[0]), '1656994882000 42.5 99\n');
    assert.equal(store.transaction(() => indexUnit(store, failingRunUnit(ws))), undefined);
    assert.deepEqual(tables(store, ['diagnostics']), before);
    assert.equal(failure(store).length, 1);
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});

describe("a pass's batch (what the store keeps instead of asking SQLite)", () => {
  const run = (id: string) => ({ id, experimentId: 'e', format: 'tensorboard' as const, nativeId: id, name: id, status: 'FINISHED' as const, lifecycle: 'active' as const, path: `/runs/${id}`, params: {}, tags: {}, artifacts: [] });
  const write = (store: Store, rid: number, key: string, replace: boolean, points: number[]) => {
    const w = store.seriesWriter(rid, key, replace);
    for (const v of points) w.push(v, v, v);
    w.close();
  };

  it('a series begun twice in the batch that inserted its run is appended to, not begun again', () => {
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'index.sqlite'));
    store.beginBatch();
    const rid = store.putRun('u', run('a'));
    write(store, rid, 'loss', true, [1, 2]);
    write(store, rid, 'loss', false, [3]);
    write(store, rid, 'acc', true, [4]);
    store.commitBatch();
    assert.deepEqual(store.seriesPoints(rid, 'loss').map((p) => p.value), [1, 2, 3]);
    assert.deepEqual(store.seriesSummaries(rid).map((s) => [s.key, s.count]).sort(), [['acc', 1], ['loss', 3]]);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('takes its sids past those another writer committed between two batches, and forgets its runs after a rollback to a savepoint', () => {
    const dir = tempDir();
    const a = Store.open(path.join(dir, 'index.sqlite'));
    const b = Store.open(path.join(dir, 'index.sqlite'));
    a.beginBatch();
    write(a, a.putRun('u1', run('a')), 'loss', true, [1]);
    a.commitBatch();
    b.transaction(() => write(b, b.putRun('u2', run('b')), 'loss', true, [2]));
    a.beginBatch();
    const rid = a.putRun('u3', run('c'));
    write(a, rid, 'loss', true, [3]);
    // A unit re-read inside a savepoint that fails: its run and series are undone.
    a.db.exec('SAVEPOINT unit');
    write(a, rid, 'acc', true, [4]);
    a.db.exec('ROLLBACK TO unit');
    a.db.exec('RELEASE unit');
    a.rolledBack();
    write(a, rid, 'acc', true, [5]);
    a.commitBatch();
    const sids = a.db.prepare('SELECT sid FROM series ORDER BY sid').pluck().all() as number[];
    assert.equal(new Set(sids).size, 4);
    assert.deepEqual(a.seriesPoints(rid, 'acc').map((p) => p.value), [5]);
    assert.deepEqual(a.seriesPoints(a.db.prepare("SELECT rid FROM runs WHERE id = 'b'").pluck().get() as number, 'loss').map((p) => p.value), [2]);
    a.close();
    b.close();
    fs.rmSync(dir, { recursive: true });
  });
});
