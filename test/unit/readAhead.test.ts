import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../../src/core/index/store';
import { indexUnit, indexWorkspace } from '../../src/core/index/indexer';
import { tailAt } from '../../src/core/index/listing';
import { discoverSources } from '../../src/core/discovery';
import { unitsOfSource } from '../../src/core/index/units';
import { ReadAhead } from '../../src/core/index/readAhead';
import { readMlflowMetricFile } from '../../src/core/formats/mlflowMetrics';
import { readMlflowExperiment, readMlflowRunHeader } from '../../src/core/formats/mlflow';
import { listMlflowRun, probesForIndex } from '../../src/core/index/listing';
import { writeEventFile, writeMlflowStore } from '../../bench/generate';
import { decodeChunk } from '../../src/core/index/chunks';
import { CHUNK_POINTS } from '../../src/core/index/schema';
import { corpus, tempDir } from './corpus';

/** Everything the index holds about runs, in a comparable form. */
function snapshot(store: Store) {
  return store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] }).map((r) => ({
    id: r.id,
    params: store.params(r.rid),
    tags: store.tags(r.rid),
    series: store.seriesSummaries(r.rid).map((s) => ({ ...s, points: store.seriesPoints(r.rid, s.key) })),
    diagnostics: store.diagnostics(r.unit),
  }));
}

function index(roots: string[], threads: number, steal = true, maxPoints?: number): { store: Store; dir: string; taken: { headers: number; files: number; tensorboard: number } } {
  const dir = tempDir('read-ahead-');
  const store = Store.open(path.join(dir, 'index.sqlite'));
  const summary = indexWorkspace(store, { roots, readAhead: { threads, steal, maxPoints } });
  return { store, dir, taken: summary.readAhead ?? { headers: 0, files: 0, tensorboard: 0 } };
}

/** Read-ahead requests for the runs of one experiment folder. */
function requests(exp: string) {
  const experiment = readMlflowExperiment(exp, false)!;
  return fs.readdirSync(exp).filter((d) => d.length === 32).map((runId) => ({ kind: 'mlflow' as const, dir: path.join(exp, runId), run: { experiment, runId, dir: path.join(exp, runId) } }));
}

describe('read-ahead of MLflow and TensorBoard runs on a cold index', () => {
  it('builds the same index as the indexer alone, on generated runs and on the corpus MLflow stores and TensorBoard logs', function () {
    // Slow, not stuck: four cold indexes of every corpus MLflow store took 19 s on an idle 2-core machine and
    // 89 s on a loaded one, most of it LCB0B__adaptive_cut's 1,670 runs (left out here: mlflow.test.ts and
    // the whole-corpus test index it); bounded for a loaded machine.
    this.timeout(120_000);
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(path.join(ws, 'generated'), { runs: 120, params: 5, metrics: 4, steps: 1500, runsPerExperiment: 50 });
    // Runs whose metric files are more than a thread's scratch buffer holds (1 MiB): read into a Buffer of
    // their own, between runs that fit.
    writeMlflowStore(path.join(ws, 'large'), { runs: 3, params: 5, metrics: 4, steps: 12_000, runsPerExperiment: 50 });
    // A malformed line and an unterminated one: their diagnostics must come back from the threads too.
    const runs = fs.readdirSync(path.join(ws, 'generated', 'mlruns', '1')).filter((d) => d.length === 32);
    fs.appendFileSync(path.join(ws, 'generated', 'mlruns', '1', runs[3], 'metrics', 'm0'), 'garbage\n1700000000000 0.5');
    // Runs that started at the same moment: listed in the same order however the threads delivered them.
    for (const run of runs.slice(0, 30)) {
      const meta = path.join(ws, 'generated', 'mlruns', '1', run, 'meta.yaml');
      fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace(/start_time: \d+/, 'start_time: 1700000000000'));
    }
    // TensorBoard runs too: generated log directories (some past a thread's budget, read by the indexer)
    // and the corpus's, with hparams, plugin data and tensors.
    for (let i = 0; i < 6; i++) writeEventFile(path.join(ws, 'tb', `run${i}`), i === 5 ? 600_000 : 3000 + i * 1000, 4, i + 1);
    const mlflowStores = fs.readdirSync(corpus('mlflow')).filter((d) => d !== 'LCB0B__adaptive_cut').map((d) => corpus('mlflow', d));
    const roots = [ws, ...mlflowStores, corpus('tensorboard')];
    const alone = index(roots, 0);
    // Threads that read every run, and threads sharing the runs with the indexer (it reads the ones they
    // have not started).
    const ahead = index(roots, 2, false);
    const shared = index(roots, 1);
    // Threads with a budget most generated runs are past: those come with their listing and some of their
    // files, and the indexer reads the rest.
    const partly = index(roots, 1, false, 3000);
    const a = snapshot(alone.store);
    assert.ok(a.length > 200, `${a.length} runs`);
    assert.deepEqual(alone.taken, { headers: 0, files: 0, tensorboard: 0 });
    assert.ok(ahead.taken.files >= 120 * 4 && ahead.taken.headers >= 120, `${JSON.stringify(ahead.taken)} taken from the threads`);
    // Every TensorBoard run but the one past the budget came from the threads.
    const tensorboardRuns = alone.store.counts().byFormat.tensorboard;
    assert.ok(tensorboardRuns >= 6 + 3, `${tensorboardRuns} TensorBoard runs`);
    assert.equal(ahead.taken.tensorboard, tensorboardRuns - 1);
    assert.ok(partly.taken.files >= 120 * 2 && partly.taken.files <= ahead.taken.files - 120 * 2, `${JSON.stringify(partly.taken)} taken from the threads`);
    const others = [ahead, shared, partly];
    for (const s of others) assert.deepEqual(snapshot(s.store), a);
    const listed = (s: Store) => s.queryRuns({ sql: '', params: [] }, { sql: '', params: [] }).map((r) => r.path);
    for (const s of others) assert.deepEqual(listed(s.store), listed(alone.store));
    // And the same unit states: fingerprints, resume offsets, the bytes before them, folder mtimes, probes.
    // The same rows to the byte: the threads encode points as the indexer's series writers do.
    const chunks = (s: Store) =>
      s.db
        .prepare('SELECT r.path, x.key, c.seq, c.n, c.data, o.data AS overview FROM chunks c JOIN series x ON x.sid = c.sid JOIN runs r ON r.rid = x.rid LEFT JOIN overviews o ON o.sid = c.sid AND o.seq = c.seq ORDER BY 1, 2, 3')
        .all();
    const a2 = chunks(alone.store);
    assert.ok(a2.length > 1000, `${a2.length} chunks`);
    for (const s of others) assert.deepEqual(chunks(s.store), a2);
    const units = (s: Store) => s.db.prepare("SELECT key, state, paths, seen FROM units LEFT JOIN probes ON unit = key WHERE key != 'discovery' ORDER BY key").all();
    for (const s of others) assert.deepEqual(units(s.store), units(alone.store));
    for (const s of [alone, ...others]) {
      s.store.close();
      fs.rmSync(s.dir, { recursive: true });
    }
    fs.rmSync(ws, { recursive: true });
  });

  it('hands over a run a thread read whole as the state and probes the indexer would write, with its header and points', () => {
    // In a folder whose name JSON escapes (a quote, a backslash, a control character) or not (accents).
    const ws = path.join(tempDir('read-ahead-ws-'), 'exp "odd" \\ \t é');
    writeMlflowStore(ws, { runs: 20, params: 1, metrics: 2, steps: 100, runsPerExperiment: 20 });
    const exp = path.join(ws, 'mlruns', '1');
    const reqs = requests(exp);
    const dirs = reqs.map((r) => r.dir);
    fs.appendFileSync(path.join(dirs[0], 'metrics', 'm0'), '1700000000000 0.5');
    const ahead = ReadAhead.for(reqs, { threads: 1, steal: false })!;
    try {
      assert.equal(ahead.packed(dirs[0]), undefined);
      assert.equal(ahead.claim(), dirs[0]);
      assert.equal(ahead.header(dirs[0]), undefined);
      const got = ahead.packed(dirs[0])!;
      assert.equal(ahead.listing(dirs[0]), undefined);
      // The unit's listing, each metric file with where its read stopped: a line still being written is
      // left for the next read.
      const listing = listMlflowRun(dirs[0], undefined);
      const metricFiles = ['m0', 'm1'].map((m) => path.join(dirs[0], 'metrics', m));
      const ends = [fs.statSync(metricFiles[0]).size - '1700000000000 0.5'.length, fs.statSync(metricFiles[1]).size];
      metricFiles.forEach((f, i) => Object.assign(listing.files[f], { offset: ends[i], line: 101, tail: tailAt(f, ends[i]) }));
      assert.equal(got.state, JSON.stringify({ files: listing.files, dirs: listing.dirs }));
      const [paths, seen] = probesForIndex(listing.probes!);
      assert.equal(got.probePaths, paths);
      assert.deepEqual(Buffer.from(got.probeSeen), seen);
      assert.deepEqual(got.metricFiles, metricFiles);
      assert.deepEqual(ahead.header(dirs[0]), structuredClone(readMlflowRunHeader(reqs[0].run))); // as a thread hands it over (params and tags lose their null prototype)
      for (const [i, f] of metricFiles.entries()) assert.equal(ahead.take(dirs[0], f)!.endOffset, ends[i]);
      ahead.done(dirs[0]);
      assert.equal(ahead.packed(dirs[0]), undefined);
    } finally {
      ahead.close();
    }
    fs.rmSync(path.dirname(ws), { recursive: true });
  });

  it('hands over the listing a thread made before reading part of a run, and that run\'s header and points once it is taken', () => {
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(ws, { runs: 20, params: 1, metrics: 2, steps: 100, runsPerExperiment: 20 });
    const exp = path.join(ws, 'mlruns', '1');
    const reqs = requests(exp);
    const dirs = reqs.map((r) => r.dir);
    // A budget of one metric file a run: the second is the indexer's.
    const ahead = ReadAhead.for(reqs, { threads: 1, steal: false, maxPoints: 100 })!;
    try {
      // Nothing is handed over for a run not handed to the indexer, nor for one whose listing it did not take.
      const file = path.join(dirs[0], 'metrics', 'm0');
      assert.equal(ahead.listing(dirs[0]), undefined);
      assert.equal(ahead.claim(), dirs[0]);
      assert.equal(ahead.header(dirs[0]), undefined);
      assert.equal(ahead.take(dirs[0], file), undefined);
      assert.equal(ahead.packed(dirs[0]), undefined);
      // The listing is the unit's own, probes and folder mtimes included.
      assert.deepEqual(ahead.listing(dirs[0]), listMlflowRun(dirs[0], undefined));
      assert.deepEqual(ahead.header(dirs[0]), structuredClone(readMlflowRunHeader(reqs[0].run))); // as a thread hands it over (params and tags lose their null prototype)
      const got = ahead.take(dirs[0], file)!;
      const expected = readMlflowMetricFile(file);
      // Encoded as the index stores them: chunks that decode to the file's points, and their summary.
      const { summary, bytes, ends } = got.series;
      assert.equal(summary.count, expected.points.length);
      const points: { step: number; time: number; value: number }[] = [];
      for (let c = 0, from = 0; c < ends.length; from = ends[c++]) {
        const n = Math.min(CHUNK_POINTS, summary.count - c * CHUNK_POINTS);
        const f = decodeChunk(bytes.subarray(from, ends[c]), n);
        for (let i = 0; i < n; i++) points.push({ step: f[i], time: f[n + i], value: f[2 * n + i] });
      }
      assert.deepEqual(points, expected.points.map((p) => ({ step: p.step, time: p.time, value: p.value })));
      assert.equal(summary.last, expected.points.at(-1)!.value);
      // The bytes before the resume offset, as the indexer would read them from the file.
      assert.equal(got.endOffset, fs.statSync(file).size);
      assert.equal(got.tail, tailAt(file, got.endOffset));
      // Each file once, and none past the budget; a run never sent, and one the indexer is done with, are
      // the indexer's to read.
      assert.equal(ahead.take(dirs[0], file), undefined);
      assert.equal(ahead.take(dirs[0], path.join(dirs[0], 'metrics', 'm1')), undefined);
      assert.equal(ahead.listing(path.join(exp, 'elsewhere')), undefined);
      ahead.done(dirs[0]);
      assert.equal(ahead.listing(dirs[0]), undefined);
      assert.equal(ahead.take(dirs[0], path.join(dirs[0], 'metrics', 'm0')), undefined);
    } finally {
      ahead.close();
    }
    fs.rmSync(ws, { recursive: true });
  });

  it('stores the fingerprints from before the read: a file that grew after a thread read it is read on at the next pass', () => {
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(ws, { runs: 20, params: 1, metrics: 2, steps: 100, runsPerExperiment: 20 });
    const found = discoverSources([ws]);
    const all = found.sources.flatMap((s) => unitsOfSource(s));
    const units = all.filter((u) => u.ahead);
    const dir = tempDir('read-ahead-');
    const store = Store.open(path.join(dir, 'index.sqlite'));
    const ahead = ReadAhead.for(units.map((u) => u.ahead!), { threads: 1, steal: false })!;
    const unit = units[0];
    const file = path.join(unit.ahead!.dir, 'metrics', 'm0');
    try {
      // The thread has read the run (its listing is here); then the run logs two more points.
      assert.equal(ahead.claim(), unit.ahead!.dir);
      fs.appendFileSync(file, '1800000000000 0.25 100\n1800000000100 0.125 101\n');
      store.db.exec('BEGIN');
      assert.equal(indexUnit(store, unit, undefined, ahead)?.points, 200);
      for (const other of all) if (other !== unit) indexUnit(store, other);
      store.db.exec('COMMIT');
    } finally {
      ahead.close();
    }
    const rid = store.db.prepare('SELECT rid FROM runs WHERE path = ?').pluck().get(unit.ahead!.dir) as number;
    assert.equal(store.seriesPoints(rid, 'm0').length, 100);
    // The stored fingerprint is the one before the append: the next pass reads the two new lines only.
    const again = indexWorkspace(store, { roots: [ws] });
    assert.equal(again.appended, 1);
    assert.equal(again.points, 2);
    assert.deepEqual(store.seriesPoints(rid, 'm0'), readMlflowMetricFile(file).points);
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });

  it('shares the runs between a thread (from the front) and the indexer (from the back), each run once', () => {
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(ws, { runs: 120, params: 1, metrics: 2, steps: 2000, runsPerExperiment: 120 });
    const reqs = requests(path.join(ws, 'mlruns', '1'));
    const ahead = ReadAhead.for(reqs, { threads: 1 })!;
    const byThread: string[] = [];
    const byIndexer: string[] = [];
    try {
      for (let d = ahead.claim(); d; d = ahead.claim()) {
        // Runs the thread read count as taken from it; the others the indexer reads itself.
        const taken = ahead.taken.headers;
        assert.ok(ahead.packed(d) && ahead.header(d));
        if (ahead.taken.headers > taken) byThread.push(d);
        else {
          byIndexer.push(d);
          // The time the indexer would take to read the run (enough for the thread to start).
          for (const t = Date.now() + 10; Date.now() < t; );
        }
        ahead.done(d);
      }
    } finally {
      ahead.close();
    }
    const dirs = reqs.map((r) => r.dir);
    assert.deepEqual([...byThread, ...byIndexer].sort(), [...dirs].sort());
    assert.ok(byThread.length > 0 && byIndexer.length > 0, `${byThread.length} by the thread, ${byIndexer.length} by the indexer`);
    // The thread read from the front, the indexer from the back: they met once, in between.
    const seq = (d: string) => dirs.indexOf(d);
    assert.ok(Math.max(...byThread.map(seq)) < Math.min(...byIndexer.map(seq)));
    assert.equal(seq(byThread[0]), 0);
    fs.rmSync(ws, { recursive: true });
  });

  it('reads on without the threads when they do not answer (a missing worker script)', () => {
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(ws, { runs: 20, params: 1, metrics: 1, steps: 10, runsPerExperiment: 20 });
    const exp = path.join(ws, 'mlruns', '1');
    const reqs = requests(exp);
    const dirs = reqs.map((r) => r.dir);
    const ahead = ReadAhead.for(reqs, { threads: 1, script: path.join(ws, 'no-such-worker.js'), patienceMs: 300, steal: false })!;
    assert.equal(ahead.abandoned, false);
    // Given up on once, after which every run is the indexer's, each handed out once, without waiting again.
    const handed = [ahead.claim()!];
    assert.equal(ahead.abandoned, true);
    for (let d = ahead.claim(); d; d = ahead.claim()) handed.push(d);
    assert.deepEqual([...handed].sort(), [...dirs].sort());
    for (const d of handed) {
      assert.equal(ahead.listing(d), undefined);
      ahead.done(d);
    }
    ahead.close();
    fs.rmSync(ws, { recursive: true });
  });
});
