import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../../src/core/index/store';
import { indexChanged, indexWorkspace } from '../../src/core/index/indexer';
import { readTfRecords } from '../../src/core/formats/tfrecord';
import { copyOf, corpus, indexInto, tempDir } from './corpus';

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
    const ws = tempDir('runlens-ws-');
    fs.cpSync(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python', 'mlruns'), path.join(ws, 'mlruns'), { recursive: true });
    const tbSrc = corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5', 'runs', 'train', 'exp2');
    const tbDir = path.join(ws, 'tb', 'exp2');
    fs.mkdirSync(tbDir, { recursive: true });
    const eventName = fs.readdirSync(tbSrc).find((f) => f.startsWith('events.out'))!;
    const eventBytes = fs.readFileSync(path.join(tbSrc, eventName));
    const offsets: number[] = [];
    readTfRecords(path.join(tbSrc, eventName), 0, (_b, _s, _e, off) => offsets.push(off));
    const half = offsets[Math.floor(offsets.length / 2)];
    fs.writeFileSync(path.join(tbDir, eventName), eventBytes.subarray(0, half + 5)); // cut inside a record
    const metricFile = path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'metrics', 'foo');

    const { store, dir } = indexInto([ws]);
    fs.appendFileSync(metricFile, '1656994882000 42.5 4\n1656994882100 nan 5\n');
    fs.appendFileSync(path.join(tbDir, eventName), eventBytes.subarray(half + 5));
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
});
