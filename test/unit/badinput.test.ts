import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverSources } from '../../src/core/discovery';
import { indexWorkspace } from '../../src/core/index/indexer';
import type { Store } from '../../src/core/index/store';
import { copyOf, corpus, indexInto, tempDir } from './corpus';
import { writeEventFile } from '../../bench/generate';

const PACKT = corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python');
const RUN = path.join('mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3');

function cleanup(store: Store, ...dirs: string[]) {
  store.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

describe('bad input', () => {
  it('reads non-UTF-8 YAML as Latin-1 and says where the first bad byte is', () => {
    const ws = copyOf(PACKT);
    const meta = path.join(ws, 'mlruns', '6', 'meta.yaml');
    const text = fs.readFileSync(meta, 'latin1').replace('name: example1', 'name: expérience');
    fs.writeFileSync(meta, Buffer.from(text, 'latin1'));
    const { store, dir } = indexInto([ws]);
    const d = store.diagnostics().find((x) => x.file === meta);
    assert.ok(d, 'no diagnostic for the Latin-1 file');
    assert.equal(d.offset, Buffer.from(text, 'latin1').indexOf(0xe9));
    assert.match(d.message, /not valid UTF-8 \(byte 0xe9/);
    assert.ok(store.listExperiments().some((e) => e.name === 'expérience'));
    cleanup(store, dir, path.dirname(ws));
  });

  it('indexes a run folder without meta.yaml from its other files, with a warning', () => {
    const ws = copyOf(PACKT);
    fs.rmSync(path.join(ws, RUN, 'meta.yaml'));
    const { store, dir } = indexInto([ws]);
    const [run] = store.resolveRun('a3112407148b4966b929bc9f8784a3d3');
    assert.equal(run.status, 'UNKNOWN');
    assert.ok(store.seriesSummaries(run.rid).length > 0);
    assert.ok(store.diagnostics().some((d) => d.file === path.join(ws, RUN, 'meta.yaml') && d.severity === 'warning'));
    cleanup(store, dir, path.dirname(ws));
  });

  it('keeps NaN and ±inf metric values and reads two-field lines (no step) as step 0', () => {
    const ws = copyOf(PACKT);
    fs.writeFileSync(path.join(ws, RUN, 'metrics', 'odd'), '1 nan 0\n2 inf 1\n3 -inf 2\n4 0.25\n');
    const { store, dir } = indexInto([ws]);
    const [run] = store.resolveRun('a3112407148b4966b929bc9f8784a3d3');
    const pts = store.seriesPoints(run.rid, 'odd');
    assert.ok(Number.isNaN(pts[0].value));
    // In MLflow's order (step, then timestamp): the step-0 line written last comes second.
    assert.deepEqual(pts.slice(1).map((p) => [p.value, p.step]), [[0.25, 0], [Infinity, 1], [-Infinity, 2]]);
    const s = store.seriesSummaries(run.rid).find((x) => x.key === 'odd')!;
    assert.equal(s.min, -Infinity);
    assert.equal(s.max, Infinity);
    cleanup(store, dir, path.dirname(ws));
  });

  it('walks a tree with a symlink loop once and finishes', () => {
    const ws = copyOf(PACKT);
    fs.symlinkSync(ws, path.join(ws, 'loop'));
    fs.symlinkSync(path.join(ws, 'missing-target'), path.join(ws, 'dangling'));
    const found = discoverSources([ws]);
    assert.equal(found.sources.length, 1);
    assert.ok(found.diagnostics.some((d) => d.file.endsWith('dangling') && /broken symbolic link/.test(d.message)));
    fs.rmSync(path.dirname(ws), { recursive: true });
  });

  it('ends equal to a from-scratch index after a writer appended while the indexer ran', async function () {
    this.timeout(60_000);
    const ws = copyOf(PACKT);
    const metric = path.join(ws, RUN, 'metrics', 'foo');
    const { store, dir } = indexInto([ws]);
    // A separate process appends 400 lines, a few bytes at a time, while we index over and over.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      let i = 0;
      const tick = () => {
        if (i >= 400) return;
        const line = (1656994890000 + i) + ' ' + (i / 7) + ' ' + (100 + i) + '\\n';
        const cut = i % 3;
        fs.appendFileSync(${JSON.stringify(metric)}, line.slice(0, cut));
        fs.appendFileSync(${JSON.stringify(metric)}, line.slice(cut));
        i++;
        setImmediate(tick);
      };
      tick();
    `]);
    const exited = new Promise((r) => writer.on('exit', r));
    let passes = 0;
    let running = true;
    void exited.then(() => (running = false));
    while (running) {
      indexWorkspace(store, { roots: [ws] });
      passes++;
      await new Promise((r) => setImmediate(r));
    }
    indexWorkspace(store, { roots: [ws] });
    assert.ok(passes > 1, 'the indexer ran while the writer wrote');
    const scratch = indexInto([ws]);
    const [a] = store.resolveRun('a3112407148b4966b929bc9f8784a3d3');
    const [b] = scratch.store.resolveRun('a3112407148b4966b929bc9f8784a3d3');
    const pa = store.seriesPoints(a.rid, 'foo');
    assert.equal(pa.length, fs.readFileSync(metric, 'utf8').trim().split('\n').length);
    assert.deepEqual(pa, scratch.store.seriesPoints(b.rid, 'foo'));
    scratch.store.close();
    cleanup(store, dir, scratch.dir, path.dirname(ws));
  });

  it('gives a clear message when the index location is not writable', () => {
    const file = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(file, '');
    assert.throws(() => indexInto([PACKT], path.join(file, 'sub')), /ENOTDIR|not a directory/i);
  });
});

describe('bad input in framework logs', () => {
  it('refuses a YAML alias bomb in hparams.yaml with a diagnostic instead of expanding it', () => {
    const ws = tempDir();
    const v = path.join(ws, 'lightning_logs', 'version_0');
    fs.mkdirSync(v, { recursive: true });
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
    fs.writeFileSync(path.join(v, 'hparams.yaml'), levels.join('\n') + '\n');
    fs.writeFileSync(path.join(v, 'metrics.csv'), 'epoch,step,loss\n0,0,1.5\n');
    const t0 = Date.now();
    const { store, dir } = indexInto([ws]);
    assert.ok(Date.now() - t0 < 5000, 'no blow-up');
    const [run] = store.queryRuns({ sql: "r.format = 'lightning'", params: [] }, { sql: '', params: [] });
    assert.equal(store.seriesPoints(run.rid, 'loss')[0].value, 1.5, 'the rest of the run still indexes');
    assert.ok(store.diagnostics().some((d) => d.file.endsWith('hparams.yaml') && /alias|YAML/i.test(d.message)), JSON.stringify(store.diagnostics()));
    cleanup(store, dir, ws);
  });

  it('reads a metrics.csv whose columns were added mid-training (Lightning rewrites the header)', () => {
    const ws = tempDir();
    const v = path.join(ws, 'lightning_logs', 'version_3');
    fs.mkdirSync(v, { recursive: true });
    const csv = path.join(v, 'metrics.csv');
    fs.writeFileSync(csv, 'epoch,step,train_loss\n0,9,0.9\n');
    const { store, dir } = indexInto([ws]);
    fs.writeFileSync(csv, 'epoch,step,train_loss,val_acc\n0,9,0.9,\n0,9,,0.7\n1,19,0.5,\n');
    indexWorkspace(store, { roots: [ws] });
    const [run] = store.queryRuns({ sql: "r.format = 'lightning'", params: [] }, { sql: '', params: [] });
    assert.deepEqual(store.seriesPoints(run.rid, 'train_loss').map((p) => [p.step, p.value]), [[9, 0.9], [19, 0.5]]);
    assert.deepEqual(store.seriesPoints(run.rid, 'val_acc').map((p) => [p.step, p.value]), [[9, 0.7]]);
    cleanup(store, dir, ws);
  });

  it('reports files that cannot be read (a folder where a file should be, a broken link, no permission) and indexes the rest', () => {
    const ws = copyOf(PACKT);
    const runs = fs.readdirSync(path.join(ws, 'mlruns', '6')).filter((d) => /^[0-9a-f]{32}$/.test(d)).sort();
    const victim = path.join(ws, 'mlruns', '6', runs[0], 'meta.yaml');
    // EISDIR: a meta.yaml that is a folder; ENOENT through a dangling link named like an event file;
    // EACCES for a non-root user (CI runs as root, for whom permissions never refuse a read).
    fs.rmSync(victim);
    fs.mkdirSync(victim);
    const tb = path.join(ws, 'tb', 'run');
    fs.mkdirSync(tb, { recursive: true });
    const dangling = path.join(tb, 'events.out.tfevents.1700000000.host.1.0');
    fs.symlinkSync(path.join(ws, 'no-such-target'), dangling);
    const root = process.getuid?.() === 0;
    const locked = path.join(ws, 'mlruns', '6', runs[1], 'meta.yaml');
    if (!root) fs.chmodSync(locked, 0o000);
    const { store, dir } = indexInto([ws]);
    const reference = indexInto([PACKT]);
    try {
      const problems = store.diagnostics();
      const at = (f: string) => problems.find((d) => d.file === f);
      assert.match(at(victim)?.message ?? '', /cannot read: EISDIR/);
      assert.match(at(dangling)?.message ?? '', /broken symbolic link/);
      if (!root) assert.match(at(locked)?.message ?? '', /cannot read: EACCES/);
      // Every other run of the store is indexed as from the intact copy.
      const ids = (st: Store) => st.queryRuns({ sql: "r.format = 'mlflow'", params: [] }, { sql: 'r.native_id', params: [] }).map((r) => r.nativeId);
      const missing = ids(reference.store).filter((id) => !ids(store).includes(id));
      assert.ok(missing.every((id) => id === runs[0] || (!root && id === runs[1])), `lost runs: ${missing.join(', ')}`);
    } finally {
      if (!root) fs.chmodSync(locked, 0o644);
      cleanup(reference.store, reference.dir);
      cleanup(store, ws, dir);
    }
  });

  it('survives empty files of every format', () => {
    const ws = tempDir();
    fs.mkdirSync(path.join(ws, 'lightning_logs', 'version_0'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'lightning_logs', 'version_0', 'metrics.csv'), '');
    fs.writeFileSync(path.join(ws, 'lightning_logs', 'version_0', 'hparams.yaml'), '');
    fs.mkdirSync(path.join(ws, 'out', 'checkpoint-5'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'out', 'checkpoint-5', 'trainer_state.json'), '');
    fs.mkdirSync(path.join(ws, 'wandb', 'run-20240101_000000-zzz'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'wandb', 'run-20240101_000000-zzz', 'wandb-history.jsonl'), '');
    fs.writeFileSync(path.join(ws, 'dvc.yaml'), '');
    fs.mkdirSync(path.join(ws, 'tb'));
    fs.writeFileSync(path.join(ws, 'tb', 'events.out.tfevents.1.x'), '');
    const { store, dir } = indexInto([ws]);
    const formats = store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] }).map((r) => r.format).sort();
    // (A log directory whose event file holds no record is not a run.)
    assert.deepEqual(formats, ['dvc', 'lightning', 'wandb']);
    assert.ok(store.diagnostics().some((d) => d.file.endsWith('trainer_state.json') && d.severity === 'error'));
    cleanup(store, dir, ws);
  });

  it('indexes a 1 GiB event file streamed, in the memory an 18 MB one takes', function () {
    this.timeout(300_000);
    const ws = tempDir('runlens-big-');
    // 400,000 records over 8 tags (18 MB), then the same bytes 63 times more: 1.1 GB, 25.6 M scalars.
    const file = writeEventFile(path.join(ws, 'small', 'run'), 400_000, 8, 5);
    const block = fs.readFileSync(file);
    const big = path.join(ws, 'big', 'run', path.basename(file));
    fs.mkdirSync(path.dirname(big), { recursive: true });
    for (let i = 0; i < 64; i++) fs.appendFileSync(big, block);
    assert.ok(fs.statSync(big).size > 2 ** 30);
    // Each in an indexer process of its own, whose peak RSS is its own.
    const index = (root: string) => {
      const child = spawnSync(process.execPath, [path.join(__dirname, 'indexProcess.js'), '--report', path.join(ws, `${path.basename(root)}.sqlite`), root], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout) as { points: number; maxRssMb: number };
    };
    const small = index(path.join(ws, 'small'));
    const large = index(path.join(ws, 'big'));
    assert.equal(small.points, 400_000);
    assert.equal(large.points, 64 * 400_000);
    assert.ok(large.maxRssMb < small.maxRssMb + 64 && large.maxRssMb < 300, `peak RSS ${large.maxRssMb.toFixed(0)} MB for 1 GiB, ${small.maxRssMb.toFixed(0)} MB for 18 MB`);
    fs.rmSync(ws, { recursive: true, force: true });
  });
});
