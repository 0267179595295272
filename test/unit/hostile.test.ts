// Hostile content: what a workspace may hold on purpose or by accident — code-running pickles, links out
// of the workspace, documents built to exhaust the stack or the memory — never runs code, never hangs,
// never reads what it should not.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { indexInto, corpus, tempDir } from './corpus';
import { flattenParams } from '../../src/core/formats/yaml';
import { Store } from '../../src/core/index/store';
import { openDatabase } from '../../src/core/index/sqlite';
import { insideFolders } from '../../src/core/artifacts/confine';
import { withoutNative } from '../../src/core/native/native';
import { readFrom } from '../../src/core/formats/files';

/** A protocol-0 pickle that, when unpickled, runs `os.system(command)`. */
const pickleRunning = (command: string) => Buffer.from(`cos\nsystem\n(S'${command}'\ntR.`, 'latin1');

/** A minimal MLflow file-store run (experiment 0) in a workspace; returns its folder. */
function mlflowRun(ws: string, id: string, metaExtra = ''): string {
  const run = path.join(ws, 'mlruns', '0', id);
  fs.mkdirSync(run, { recursive: true });
  fs.writeFileSync(path.join(ws, 'mlruns', '0', 'meta.yaml'), "experiment_id: '0'\nname: Default\nlifecycle_stage: active\n");
  fs.writeFileSync(path.join(run, 'meta.yaml'), `${metaExtra}run_id: ${id}\nexperiment_id: '0'\nstatus: 3\nstart_time: 1\nlifecycle_stage: active\n`);
  return run;
}

describe('hostile content', () => {
  it('never unpickles: a pickle built to run code is listed with its size, and the code does not run', function () {
    const ws = tempDir('runlens-hostile-');
    const marker = path.join(ws, 'PWNED');
    const payload = pickleRunning(`touch ${marker}`);
    // The payload is live: Python's pickle would run it (checked where Python is available).
    const probe = path.join(tempDir(), 'probe.pkl');
    const probeMarker = path.join(path.dirname(probe), 'PWNED');
    fs.writeFileSync(probe, pickleRunning(`touch ${probeMarker}`));
    if (spawnSync('python3', ['-c', `import pickle; pickle.load(open(${JSON.stringify(probe)}, 'rb'))`]).status === 0) assert.ok(fs.existsSync(probeMarker), 'the probe pickle runs code when unpickled');
    // A Hugging Face checkpoint's training_args.bin and an MLflow run's model.pkl, both the payload.
    const ckpt = path.join(ws, 'out', 'checkpoint-10');
    fs.mkdirSync(ckpt, { recursive: true });
    fs.writeFileSync(path.join(ckpt, 'trainer_state.json'), JSON.stringify({ global_step: 10, log_history: [{ step: 10, loss: 0.5 }] }));
    fs.writeFileSync(path.join(ckpt, 'training_args.bin'), payload);
    const run = mlflowRun(ws, 'a'.repeat(32));
    fs.mkdirSync(path.join(run, 'artifacts', 'model'), { recursive: true });
    fs.writeFileSync(path.join(run, 'artifacts', 'model', 'model.pkl'), payload);
    fs.copyFileSync(corpus('models', 'akokubo__sklearn_onnx', 'model.pkl'), path.join(run, 'artifacts', 'model', 'corpus.pkl'));
    const { store } = indexInto([ws]);
    try {
      const files = store.modelFiles().map((m) => [path.basename(m.path), m.size]);
      assert.ok(files.some(([n, size]) => n === 'model.pkl' && size === payload.length), JSON.stringify(files));
      const hf = store.queryRuns({ sql: "r.format = 'huggingface'", params: [] }, { sql: '', params: [] })[0];
      assert.deepEqual(store.artifacts(hf.rid).filter((a) => a.path.endsWith('training_args.bin')).map((a) => [a.kind, a.size]), [['pickle', payload.length]]);
      assert.equal(fs.existsSync(marker), false, 'indexing ran the pickle');
    } finally {
      store.close();
    }
  });

  it('does not follow a link to a folder that contains the workspace (it would walk the whole disk)', () => {
    const outer = tempDir('runlens-outer-');
    const ws = path.join(outer, 'ws');
    fs.mkdirSync(ws);
    fs.cpSync(corpus('keras'), path.join(ws, 'keras'), { recursive: true });
    fs.symlinkSync('/', path.join(ws, 'root-of-disk'));
    fs.symlinkSync(outer, path.join(ws, 'parent'));
    // A link to a folder elsewhere is followed: a shared store on another disk.
    const shared = tempDir('runlens-shared-');
    fs.cpSync(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python', 'mlruns'), path.join(shared, 'mlruns'), { recursive: true });
    fs.symlinkSync(shared, path.join(ws, 'shared'));
    const { store, summary } = indexInto([ws]);
    try {
      assert.ok(summary.ms < 30_000);
      const formats = new Set(store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] }).map((r) => r.format));
      assert.deepEqual([...formats].sort(), ['keras', 'mlflow']);
      const notes = store.diagnostics().filter((d) => /a folder that contains the workspace: not followed/.test(d.message)).map((d) => path.basename(d.file)).sort();
      assert.deepEqual(notes, ['parent', 'root-of-disk']);
    } finally {
      store.close();
    }
  });

  it('ignores an MLflow artifact_uri that points outside the run (nothing listed from there)', () => {
    const ws = tempDir('runlens-hostile-');
    const run = mlflowRun(ws, 'b'.repeat(32), 'artifact_uri: file:///etc\n');
    fs.mkdirSync(path.join(run, 'artifacts'), { recursive: true });
    fs.writeFileSync(path.join(run, 'artifacts', 'notes.txt'), 'mine');
    const { store } = indexInto([ws]);
    try {
      const [r] = store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] });
      assert.deepEqual(store.artifacts(r.rid).map((a) => a.path), ['notes.txt']);
    } finally {
      store.close();
    }
  });

  it('lists artifacts only inside the workspace or the store, on real paths: an mlflow.db artifact_uri of file:///proc/self/root, a path elsewhere, a link out, and a run\'s artifacts folder linked out', () => {
    const outside = tempDir('runlens-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not yours');
    const ws = path.join(tempDir('runlens-confine-'), 'ws');
    fs.cpSync(corpus('mlflow', 'Peco602__mlops-zoomcamp', '02-experiment-tracking'), ws, { recursive: true });
    fs.symlinkSync(outside, path.join(ws, 'link-out'));
    const dbFile = path.join(ws, 'mlflow.db');
    const db = openDatabase(dbFile, { fileMustExist: true });
    const ids = (db.prepare('SELECT run_uuid FROM runs ORDER BY run_uuid').pluck().all() as string[]).slice(0, 3);
    const hostile = ['file:///proc/self/root', outside, path.join(ws, 'link-out')];
    ids.forEach((id, i) => db.prepare('UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?').run(hostile[i], id));
    db.close();
    for (const f of ['-wal', '-shm']) fs.rmSync(dbFile + f, { force: true });
    // A file-store run whose artifacts folder is a link out of the workspace, and one linked inside it.
    const out = mlflowRun(ws, 'e'.repeat(32));
    fs.symlinkSync(outside, path.join(out, 'artifacts'));
    const inside = mlflowRun(ws, 'f'.repeat(32));
    fs.mkdirSync(path.join(ws, 'kept'));
    fs.writeFileSync(path.join(ws, 'kept', 'model.txt'), 'ok');
    fs.symlinkSync(path.join(ws, 'kept'), path.join(inside, 'artifacts'));
    const { store } = indexInto([ws]);
    try {
      const runs = store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] });
      const artifactsOf = (nativeId: string) => store.artifacts(runs.find((r) => r.nativeId === nativeId)!.rid).map((a) => a.path);
      for (const id of ids) assert.deepEqual(artifactsOf(id), [], id);
      const notes = store.diagnostics().filter((d) => /is outside the workspace: not listed/.test(d.message));
      for (const id of ids) assert.ok(notes.some((d) => d.file === dbFile && d.message.includes(id)), `no diagnostic for ${id}`);
      assert.deepEqual(artifactsOf('e'.repeat(32)), []);
      assert.ok(notes.some((d) => d.file === path.join(out, 'artifacts')));
      assert.deepEqual(artifactsOf('f'.repeat(32)), ['model.txt']);
      // The other database runs keep their artifacts (found below the database's folder).
      assert.ok(runs.filter((r) => r.format === 'mlflow-db' && !ids.includes(r.nativeId)).some((r) => store.artifacts(r.rid).length > 0));
      assert.ok(!store.db.prepare("SELECT 1 FROM artifacts WHERE path LIKE '%secret.txt' OR path LIKE 'etc/%'").get(), 'something outside was listed');
    } finally {
      store.close();
    }
  });

  it('lists artifacts in any workspace folder given, not only the run\'s own: a run in root A names artifacts in root B (listed) and in a folder outside both (not listed)', () => {
    const base = tempDir('runlens-two-roots-');
    const [a, b] = [path.join(base, 'a'), path.join(base, 'b')];
    fs.cpSync(corpus('mlflow', 'Peco602__mlops-zoomcamp', '02-experiment-tracking'), a, { recursive: true });
    fs.mkdirSync(path.join(b, 'store', 'model'), { recursive: true });
    fs.writeFileSync(path.join(b, 'store', 'model', 'weights.txt'), 'in b');
    const outside = tempDir('runlens-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not yours');
    const dbFile = path.join(a, 'mlflow.db');
    const db = openDatabase(dbFile, { fileMustExist: true });
    const [inB, out] = (db.prepare('SELECT run_uuid FROM runs ORDER BY run_uuid').pluck().all() as string[]).slice(0, 2);
    db.prepare('UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?').run(`file://${path.join(b, 'store')}`, inB);
    db.prepare('UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?').run(outside, out);
    db.close();
    for (const f of ['-wal', '-shm']) fs.rmSync(dbFile + f, { force: true });
    // A file-store run in A whose artifacts folder is a link into B.
    const linked = mlflowRun(a, 'e'.repeat(32));
    fs.symlinkSync(path.join(b, 'store'), path.join(linked, 'artifacts'));
    const check = (roots: string[], bAllowed: boolean) => {
      const { store } = indexInto(roots);
      try {
        const runs = store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] });
        const artifactsOf = (nativeId: string) => store.artifacts(runs.find((r) => r.nativeId === nativeId)!.rid).map((x) => x.path);
        const notes = store.diagnostics().filter((d) => /is outside the workspace: not listed/.test(d.message));
        assert.deepEqual(artifactsOf(inB), bAllowed ? ['model/weights.txt'] : [], `roots ${roots.length}`);
        assert.deepEqual(artifactsOf('e'.repeat(32)), bAllowed ? ['model/weights.txt'] : [], `roots ${roots.length}`);
        assert.equal(notes.some((d) => d.message.includes(inB)), !bAllowed);
        assert.deepEqual(artifactsOf(out), []);
        assert.ok(notes.some((d) => d.file === dbFile && d.message.includes(out)), `no diagnostic for ${out}`);
        assert.ok(!store.db.prepare("SELECT 1 FROM artifacts WHERE path LIKE '%secret.txt'").get(), 'something outside was listed');
      } finally {
        store.close();
      }
    };
    check([a, b], true);
    // With A alone, B is outside too.
    check([a], false);
  });

  it('judges a path a run names (an evaluation image) on its real path: a link or a `..` out of the workspace is outside', () => {
    const outside = tempDir('runlens-outside-');
    fs.writeFileSync(path.join(outside, 'leak.png'), 'x');
    const ws = tempDir('runlens-ws-');
    fs.mkdirSync(path.join(ws, 'eval'));
    fs.writeFileSync(path.join(ws, 'eval', 'ok.png'), 'x');
    fs.symlinkSync(path.join(outside, 'leak.png'), path.join(ws, 'eval', 'link.png'));
    fs.symlinkSync(outside, path.join(ws, 'eval', 'dir'));
    fs.symlinkSync(path.join(ws, 'eval', 'ok.png'), path.join(outside, 'back.png'));
    assert.equal(insideFolders(path.join(ws, 'eval', 'ok.png'), [ws]), true);
    assert.equal(insideFolders(path.join(ws, 'eval', 'link.png'), [ws]), false);
    assert.equal(insideFolders(path.join(ws, 'eval', 'dir', 'leak.png'), [ws]), false);
    assert.equal(insideFolders(path.join(ws, 'eval', '..', '..', path.basename(outside), 'leak.png'), [ws]), false);
    assert.equal(insideFolders(path.join(ws, 'eval', 'missing.png'), [ws]), false);
    // A link from elsewhere into the workspace leads inside.
    assert.equal(insideFolders(path.join(outside, 'back.png'), [ws]), true);
    // A folder whose name starts like the workspace's is not inside it.
    const sibling = `${ws}-2`;
    fs.mkdirSync(sibling);
    fs.writeFileSync(path.join(sibling, 'a.png'), 'x');
    assert.equal(insideFolders(path.join(sibling, 'a.png'), [ws]), false);
  });

  it('reads deeply nested configs without exhausting the stack', () => {
    const depth = 100_000;
    const nested = JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    const flat = flattenParams(nested);
    assert.equal(Object.keys(flat).length, 1);
    const ws = tempDir('runlens-hostile-');
    const ckpt = path.join(ws, 'out', 'checkpoint-1');
    fs.mkdirSync(ckpt, { recursive: true });
    fs.writeFileSync(path.join(ckpt, 'trainer_state.json'), JSON.stringify({ global_step: 1, log_history: [{ step: 1, loss: 1 }] }));
    fs.writeFileSync(path.join(ckpt, 'config.json'), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    fs.mkdirSync(path.join(ws, 'lightning_logs', 'version_0'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'lightning_logs', 'version_0', 'hparams.yaml'), 'a: '.concat('['.repeat(5000), ']'.repeat(5000), '\n'));
    fs.writeFileSync(path.join(ws, 'lightning_logs', 'version_0', 'metrics.csv'), 'step,loss\n0,1\n');
    const { store } = indexInto([ws]);
    try {
      const runs = store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] });
      assert.deepEqual(runs.map((r) => r.format).sort(), ['huggingface', 'lightning']);
      const hf = runs.find((r) => r.format === 'huggingface')!;
      const [key] = Object.keys(store.params(hf.rid)).filter((k) => k.startsWith('model.'));
      assert.ok(key && key.length < 2000, `a capped key, not ${key?.length} characters`);
    } finally {
      store.close();
    }
  });

  it('reads a gigantic line (64 MB, no newline) as one located bad record, in bounded memory', () => {
    const ws = tempDir('runlens-hostile-');
    const run = mlflowRun(ws, 'c'.repeat(32));
    fs.mkdirSync(path.join(run, 'metrics'), { recursive: true });
    fs.writeFileSync(path.join(run, 'metrics', 'loss'), '1 0.5 0\n' + 'x'.repeat(64 * 2 ** 20));
    fs.mkdirSync(path.join(ws, 'lightning_logs', 'version_0'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'lightning_logs', 'version_0', 'metrics.csv'), 'step,loss\n0,1\n' + '9'.repeat(32 * 2 ** 20) + '\n1,2\n');
    const before = process.memoryUsage().rss;
    const { store } = indexInto([ws]);
    try {
      const grew = (process.memoryUsage().rss - before) / 2 ** 20;
      assert.ok(grew < 600, `memory grew by ${grew.toFixed(0)} MB`);
      const [mlflowRun] = store.queryRuns({ sql: "r.format = 'mlflow'", params: [] }, { sql: '', params: [] });
      assert.deepEqual(store.seriesPoints(mlflowRun.rid, 'loss').map((p) => p.value), [0.5]);
      const located = store.diagnostics().filter((d) => d.file.endsWith(path.join('metrics', 'loss')) || d.file.endsWith('metrics.csv'));
      assert.ok(located.length >= 1 && located.every((d) => d.line !== undefined || d.offset !== undefined), JSON.stringify(located.map((d) => [d.file, d.line, d.message.slice(0, 80)])));
    } finally {
      store.close();
    }
  });

  it('FIFOs and links to /dev/zero or /dev/urandom named as the files Runlens reads: a located diagnostic each, in bounded time and memory', function () {
    if (process.platform === 'win32') this.skip();
    this.timeout(120_000);
    const ws = tempDir('runlens-fifo-');
    const fifo = (rel: string) => {
      fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      assert.equal(spawnSync('mkfifo', [path.join(ws, rel)]).status, 0, `mkfifo ${rel}`);
      return rel;
    };
    const link = (rel: string, target: string) => {
      fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      fs.symlinkSync(target, path.join(ws, rel));
      return rel;
    };
    const good = mlflowRun(ws, 'a'.repeat(32));
    for (const d of ['params', 'metrics', 'tags']) fs.mkdirSync(path.join(good, d));
    fs.writeFileSync(path.join(good, 'params', 'lr'), '0.1');
    fs.writeFileSync(path.join(good, 'metrics', 'loss'), '1 0.5 0\n');
    const A = path.join('mlruns', '0', 'a'.repeat(32));
    fs.mkdirSync(path.join(ws, 'mlruns', '0', 'b'.repeat(32)));
    fs.mkdirSync(path.join(ws, 'mlruns', '0', 'c'.repeat(32)));
    const reported = [
      fifo(path.join('mlruns', '0', 'b'.repeat(32), 'meta.yaml')),
      link(path.join('mlruns', '0', 'c'.repeat(32), 'meta.yaml'), '/dev/zero'),
      fifo(path.join(A, 'params', 'fifo')),
      fifo(path.join(A, 'metrics', 'fifo')),
      fifo(path.join(A, 'tags', 'fifo')),
      fifo(path.join('lightning_logs', 'version_0', 'metrics.csv')),
      link(path.join('lightning_logs', 'version_0', 'hparams.yaml'), '/dev/zero'),
      link(path.join('lightning_logs', 'version_1', 'metrics.csv'), '/dev/urandom'),
      fifo(path.join('lightning_logs', 'version_1', 'hparams.yaml')),
      fifo(path.join('out', 'checkpoint-1', 'trainer_state.json')),
      link(path.join('out2', 'checkpoint-2', 'trainer_state.json'), '/dev/zero'),
      fifo(path.join('db', 'mlflow.db')),
      link(path.join('db2', 'mlflow.db'), '/dev/urandom'),
      fifo(path.join('keras', 'history.csv')),
    ];
    // In a process of its own, with a small heap: a hang or a read without end fails here, not the suite.
    const index = path.join(tempDir(), 'index.sqlite');
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--max-old-space-size=256', path.join(__dirname, 'indexProcess.js'), '--report', index, ws], { timeout: 60_000, encoding: 'utf8' });
    const ms = Date.now() - started;
    assert.equal(child.error, undefined, `the indexer did not finish in 60 s: ${child.error?.message}`);
    assert.equal(child.status, 0, child.stderr);
    assert.ok(ms < 30_000, `${ms} ms`);
    const { points, maxRssMb } = JSON.parse(child.stdout) as { points: number; maxRssMb: number };
    assert.ok(maxRssMb < 400, `${maxRssMb} MB`);
    assert.equal(points, 1, 'the regular metric file still indexes');
    const store = Store.open(index);
    try {
      const named = new Map(store.diagnostics().map((d) => [path.relative(ws, d.file), d.message]));
      for (const rel of reported) assert.match(named.get(rel) ?? 'no diagnostic', /not a regular file/, rel);
      const run = store.resolveRun('a'.repeat(32))[0];
      assert.deepEqual(store.params(run.rid), { lr: '0.1' });
    } finally {
      store.close();
    }
  });

  it('links among an MLflow run\'s params, tags and metrics are followed as MLflow follows them: to a file in the workspace read, to /dev/zero, /dev/urandom, a FIFO or a file outside reported and never read (native and JavaScript listings)', function () {
    if (process.platform === 'win32') this.skip();
    this.timeout(60_000);
    for (const mode of ['native', 'js'] as const) {
      const ws = tempDir('runlens-links-');
      const outside = tempDir('runlens-outside-');
      fs.writeFileSync(path.join(outside, 'secret'), 'not yours');
      fs.writeFileSync(path.join(outside, 'metric'), '1 9 0\n');
      fs.mkdirSync(path.join(ws, 'shared'));
      fs.writeFileSync(path.join(ws, 'shared', 'value.txt'), '0.5');
      fs.writeFileSync(path.join(ws, 'shared', 'metric'), '1700000000000 0.25 3\n');
      assert.equal(spawnSync('mkfifo', [path.join(ws, 'shared', 'fifo')]).status, 0);
      const run = mlflowRun(ws, 'd'.repeat(32));
      for (const d of ['params', 'metrics', 'tags']) fs.mkdirSync(path.join(run, d));
      fs.writeFileSync(path.join(run, 'params', 'lr'), '0.1');
      const links: [string, string][] = [
        ['params/linked', path.join(ws, 'shared', 'value.txt')],
        ['params/zero', '/dev/zero'],
        ['params/out', path.join(outside, 'secret')],
        ['tags/t_urandom', '/dev/urandom'],
        ['tags/t_fifo', path.join(ws, 'shared', 'fifo')],
        ['tags/t_out', path.join(outside, 'secret')],
        ['metrics/m_linked', path.join(ws, 'shared', 'metric')],
        ['metrics/m_zero', '/dev/zero'],
        ['metrics/m_fifo', path.join(ws, 'shared', 'fifo')],
        ['metrics/m_out', path.join(outside, 'metric')],
      ];
      for (const [rel, target] of links) fs.symlinkSync(target, path.join(run, rel));
      const { store } = mode === 'js' ? withoutNative(() => indexInto([ws])) : indexInto([ws]);
      try {
        const rid = store.resolveRun('d'.repeat(32))[0].rid;
        assert.deepEqual({ ...store.params(rid) }, { lr: '0.1', linked: '0.5' }, mode);
        assert.deepEqual(Object.keys(store.tags(rid)).filter((k) => k.startsWith('t_')), [], mode);
        assert.deepEqual(store.seriesSummaries(rid).filter((x) => x.count > 0).map((x) => x.key), ['m_linked'], mode);
        assert.deepEqual(store.seriesPoints(rid, 'm_linked'), [{ step: 3, time: 1700000000000, value: 0.25 }], mode);
        const named = new Map(store.diagnostics().map((d) => [path.relative(run, d.file), d.message]));
        for (const rel of ['params/zero', 'tags/t_urandom', 'tags/t_fifo', 'metrics/m_zero', 'metrics/m_fifo']) assert.match(named.get(rel) ?? 'no diagnostic', /not a regular file/, `${mode} ${rel}`);
        for (const rel of ['params/out', 'tags/t_out', 'metrics/m_out']) assert.match(named.get(rel) ?? 'no diagnostic', /outside the workspace: not read/, `${mode} ${rel}`);
        assert.ok(!named.has('params/linked') && !named.has('metrics/m_linked'), mode);
      } finally {
        store.close();
      }
    }
  });

  it('reads what a growing file gained (readFrom) only up to the cap, as every other reader', () => {
    const file = path.join(tempDir('runlens-readfrom-'), 'metrics.csv');
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => 48 + (i % 10)));
    fs.writeFileSync(file, bytes);
    assert.throws(() => readFrom(file, 10, 50), /90 bytes from offset 10, more than the 50 read of one file: not read/);
    assert.deepEqual(readFrom(file, 10, 90), bytes.subarray(10));
    assert.deepEqual(readFrom(file, 100, 0), Buffer.alloc(0));
  });

  it('keys named __proto__, constructor and prototype are data: kept in params, tags and series, the prototype untouched, exact in `runlens show --json`', () => {
    const ws = tempDir('runlens-proto-');
    const id = 'd'.repeat(32);
    const run = mlflowRun(ws, id);
    for (const d of ['params', 'tags', 'metrics']) fs.mkdirSync(path.join(run, d));
    for (const k of ['__proto__', 'constructor', 'prototype', 'toString']) fs.writeFileSync(path.join(run, 'params', k), `p-${k}`);
    fs.writeFileSync(path.join(run, 'tags', '__proto__'), 't-proto');
    fs.writeFileSync(path.join(run, 'metrics', '__proto__'), '1 0.25 0\n');
    const version = path.join(ws, 'lightning_logs', 'version_0');
    fs.mkdirSync(version, { recursive: true });
    fs.writeFileSync(path.join(version, 'hparams.yaml'), '__proto__: 5\nconstructor: 6\nnested:\n  __proto__:\n    polluted: 7\n');
    fs.writeFileSync(path.join(version, 'metrics.csv'), 'step,__proto__,constructor\n0,1.5,2.5\n');
    const ckpt = path.join(ws, 'out', 'checkpoint-1');
    fs.mkdirSync(ckpt, { recursive: true });
    fs.writeFileSync(path.join(ckpt, 'trainer_state.json'), JSON.stringify({ global_step: 1, log_history: [{ step: 1, loss: 1 }] }));
    fs.writeFileSync(path.join(ckpt, 'config.json'), '{"__proto__": {"polluted": 8}, "constructor": "c", "prototype": null}');
    const dir = tempDir();
    const { store } = indexInto([ws], dir);
    try {
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was changed');
      const [m] = store.resolveRun(id);
      assert.deepEqual(Object.entries(store.params(m.rid)).sort(), [['__proto__', 'p-__proto__'], ['constructor', 'p-constructor'], ['prototype', 'p-prototype'], ['toString', 'p-toString']]);
      assert.deepEqual(Object.entries(store.tags(m.rid)).filter(([k]) => k === '__proto__'), [['__proto__', 't-proto']]);
      assert.deepEqual(store.seriesPoints(m.rid, '__proto__').map((p) => p.value), [0.25]);
      const [pl] = store.queryRuns({ sql: "r.format = 'lightning'", params: [] }, { sql: '', params: [] });
      assert.deepEqual(Object.entries(store.params(pl.rid)).sort(), [['__proto__', '5'], ['constructor', '6'], ['nested.__proto__.polluted', '7']]);
      assert.deepEqual(store.seriesSummaries(pl.rid).map((s) => s.key).sort(), ['__proto__', 'constructor']);
      const [hf] = store.queryRuns({ sql: "r.format = 'huggingface'", params: [] }, { sql: '', params: [] });
      const hfParams = store.params(hf.rid);
      assert.deepEqual([hfParams['model.__proto__.polluted'], hfParams['model.constructor'], hfParams['model.prototype']], ['8', 'c', 'null']);
    } finally {
      store.close();
    }
    const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    const show = spawnSync(process.execPath, [bin, 'show', id, '--no-index', '--json', '--index', path.join(dir, 'index.sqlite')], { encoding: 'utf8' });
    assert.equal(show.status, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as { params: Record<string, string> };
    assert.equal(Object.getOwnPropertyDescriptor(shown.params, '__proto__')?.value, 'p-__proto__', show.stdout.slice(0, 400));
  });

  it('webviews build their DOM from text only, under a CSP with nonces and no inline or remote script', () => {
    const repo = path.resolve(__dirname, '..', '..', '..');
    const webview = path.join(repo, 'webview');
    for (const f of fs.readdirSync(webview).filter((n) => n.endsWith('.ts'))) {
      const code = fs.readFileSync(path.join(webview, f), 'utf8');
      // Run names, params and table cells reach the page as textContent / attributes, never as markup.
      assert.ok(!/\.innerHTML\s*[+]?=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/.test(code), `${f} builds markup from strings`);
    }
    const html = fs.readFileSync(path.join(repo, 'src', 'extension', 'panels', 'html.ts'), 'utf8');
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-\$\{nonce\}'/);
    assert.ok(!/unsafe-inline|unsafe-eval|https?:/.test(csp), csp);
  });
});
