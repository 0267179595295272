import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../../src/core/index/sqlite';
import { corpus, tempDir } from './corpus';

const BIN = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');

describe('runlens CLI on the demo workspace', () => {
  let dir: string;
  let index: string;
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--index', index], { encoding: 'utf8' });
  before(() => {
    dir = tempDir();
    index = path.join(dir, 'index.sqlite');
  });
  after(() => fs.rmSync(dir, { recursive: true }));

  it('indexes the bundled demo workspace named as npm start names it', () => {
    const r = cli('index', path.join(__dirname, '..', '..', '..', 'demo', 'workspace'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.workspace, /demo[/\\]workspace$/);
    // The databases' runs, counted by SQLite itself.
    const demo = path.join(__dirname, '..', '..', '..', 'demo', 'workspace');
    const dbRuns = ['heart-disease', 'nyc-taxi'].reduce((n, d) => {
      const db = openDatabase(path.join(demo, d, 'mlflow.db'), { readonly: true, fileMustExist: true });
      n += db.prepare('SELECT COUNT(*) FROM runs').pluck().get() as number;
      db.close();
      return n;
    }, 0);
    assert.deepEqual(out.counts.byFormat, { dvc: 1, huggingface: 2, keras: 1, lightning: 19, mlflow: 21, 'mlflow-db': dbRuns, tensorboard: 4 });
    assert.equal(out.problems, 0);
  });

  it('lists runs as stable JSON, filtered and sorted', () => {
    const r = cli('runs', '--json', '--no-index', '--query', 'format = "tensorboard"', '--sort', 'metrics.`metrics/mAP_0.5` desc');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.total, 4);
    // Runs without the metric sort last.
    assert.deepEqual(out.runs.map((x: { name: string }) => x.name).slice(0, 2), ['exp2', 'exp']);
  });

  it('lists deleted runs only when asked, and then only them', () => {
    const active = JSON.parse(cli('runs', '--json', '--no-index', '--all').stdout).total;
    const deleted = JSON.parse(cli('runs', '--json', '--no-index', '--all', '--deleted').stdout);
    const byQuery = JSON.parse(cli('runs', '--json', '--no-index', '--query', 'lifecycle = "deleted"').stdout).total;
    assert.equal(active + deleted.total, 176);
    assert.equal(deleted.total, byQuery);
    assert.ok(deleted.total > 0);
    assert.ok(deleted.runs.every((r: { lifecycle: string }) => r.lifecycle === 'deleted'));
  });

  it('compares runs of different formats side by side', () => {
    const r = cli('compare', 'exp2', 'training_log', '--json', '--no-index');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.runs.map((x: { format: string }) => x.format), ['tensorboard', 'keras']);
    assert.ok(out.metrics['metrics/mAP_0.5'][0].last > 0.5);
    assert.equal(out.metrics['metrics/mAP_0.5'][1], null);
    assert.equal(out.metrics.val_loss[0], null);
    assert.equal(out.metrics.val_loss[1].count, 30);
  });

  it('prints every point of a series, exactly as stored', () => {
    const r = cli('metrics', 'training_log', 'val_loss', '--json', '--no-index');
    const file = path.join(__dirname, '..', '..', '..', 'demo', 'workspace', 'digits-cnn', 'training_log.csv');
    const expected = fs.readFileSync(file, 'utf8').trim().split(/\r*\n/).slice(1).map((l) => Number(l.split(',')[5]));
    assert.deepEqual(JSON.parse(r.stdout).points.map((p: { value: number }) => p.value), expected);
  });

  it('answers a bad query with the column of the wrong token and exit code 2', () => {
    const r = cli('runs', '--no-index', '--query', 'metrics.acc >> 1');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /column 14/);
    assert.match(r.stderr, /\n\s+\^/);
  });

  it('says which runs an ambiguous or unknown reference matches', () => {
    assert.match(cli('show', 'no-such-run', '--no-index').stderr, /no run matches 'no-such-run'/);
    const r = cli('show', 'CHILD_RUN', '--no-index');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /matches \d+ runs/);
  });

  it('refuses an index inside the workspace', () => {
    const ws = tempDir();
    const r = spawnSync(process.execPath, [BIN, 'index', ws, '--index', path.join(ws, 'index.sqlite')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /outside the workspace/);
    assert.deepEqual(fs.readdirSync(ws), []);
    fs.rmSync(ws, { recursive: true });
  });

  it('analyzes a run’s prediction table found among its artifacts (../shared/corpus)', () => {
    const ws = corpus('mlflow', '01rahulsingh86__mlflow-groq-eval');
    const r = cli('analyze', '91e0bc6a', '--dir', ws, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const file = path.join(ws, 'mlruns', '852045333675594180', '91e0bc6a944f4453912aa817c55be0ca', 'artifacts', 'predictions.csv');
    assert.equal(out.file, file);
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    assert.equal(out.report.n, rows.length);
    assert.equal(out.report.accuracy, rows.filter((c) => c[1] === c[2]).length / rows.length);
    assert.equal(out.mapping.text, 'prompt');
  });

  it('analyzes a prediction file: numbers, and a clear message for a column that is not there', () => {
    const file = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'generated', 'eval', 'digits_predictions.csv');
    const r = cli('analyze', file, '--segment', 'ink', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.report.n, 540);
    assert.deepEqual(Object.keys(out.segments), ['ink']);
    const bad = cli('analyze', file, '--truth', 'nope');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no column 'nope'/);
  });
});
