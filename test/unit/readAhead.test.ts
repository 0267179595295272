import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../../src/core/index/store';
import { indexWorkspace } from '../../src/core/index/indexer';
import { ReadAhead } from '../../src/core/index/readAhead';
import { readMlflowMetricFile } from '../../src/core/formats/mlflowMetrics';
import { readMlflowExperiment, readMlflowRunHeader } from '../../src/core/formats/mlflow';
import { listMlflowRun } from '../../src/core/index/listing';
import { writeMlflowStore } from '../../bench/generate';
import { corpus, tempDir } from './corpus';

/** Everything the index holds about runs, in a comparable form. */
function snapshot(store: Store) {
  return store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] }).map((r) => ({
    id: r.id,
    params: store.params(r.rid),
    tags: store.tags(r.rid),
    series: store.seriesSummaries(r.rid).map((s) => ({ ...s, points: store.seriesPoints(r.rid, s.key) })),
    diagnostics: store.diagnostics(`mlflow-run:${r.path}`),
  }));
}

function index(roots: string[], threads: number, steal = true): { store: Store; dir: string; taken: { headers: number; files: number } } {
  const dir = tempDir('read-ahead-');
  const store = Store.open(path.join(dir, 'index.sqlite'));
  const summary = indexWorkspace(store, { roots, readAhead: { threads, steal } });
  return { store, dir, taken: summary.readAhead ?? { headers: 0, files: 0 } };
}

/** Read-ahead requests for the runs of one experiment folder. */
function requests(exp: string) {
  const experiment = readMlflowExperiment(exp, false)!;
  return fs.readdirSync(exp).filter((d) => d.length === 32).map((runId) => ({ dir: path.join(exp, runId), run: { experiment, runId, dir: path.join(exp, runId) } }));
}

/** A run folder's listing, as the MLflow run unit fingerprints it. */
const listing = (dir: string) => listMlflowRun(dir, undefined).files;

describe('read-ahead of MLflow runs on a cold index', () => {
  it('builds the same index as the indexer alone, on generated runs and on the corpus MLflow stores', () => {
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(path.join(ws, 'generated'), { runs: 120, params: 5, metrics: 4, steps: 1500, runsPerExperiment: 50 });
    // A malformed line and an unterminated one: their diagnostics must come back from the threads too.
    const runs = fs.readdirSync(path.join(ws, 'generated', 'mlruns', '1')).filter((d) => d.length === 32);
    fs.appendFileSync(path.join(ws, 'generated', 'mlruns', '1', runs[3], 'metrics', 'm0'), 'garbage\n1700000000000 0.5');
    const roots = [ws, corpus('mlflow')];
    const alone = index(roots, 0);
    // Threads that read every run, and threads sharing the runs with the indexer (it reads the ones they
    // have not started).
    const ahead = index(roots, 2, false);
    const shared = index(roots, 1);
    const a = snapshot(alone.store);
    assert.ok(a.length > 200, `${a.length} runs`);
    assert.deepEqual(alone.taken, { headers: 0, files: 0 });
    assert.ok(ahead.taken.files >= 120 * 4 && ahead.taken.headers >= 120, `${JSON.stringify(ahead.taken)} taken from the threads`);
    assert.deepEqual(snapshot(ahead.store), a);
    assert.deepEqual(snapshot(shared.store), a);
    for (const s of [alone, ahead, shared]) {
      s.store.close();
      fs.rmSync(s.dir, { recursive: true });
    }
    fs.rmSync(ws, { recursive: true });
  });

  it('hands over only points read from the file state the indexer fingerprinted', () => {
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(ws, { runs: 20, params: 1, metrics: 2, steps: 100, runsPerExperiment: 20 });
    const exp = path.join(ws, 'mlruns', '1');
    const reqs = requests(exp);
    const dirs = reqs.map((r) => r.dir);
    const ahead = ReadAhead.for(reqs, { threads: 1, steal: false })!;
    try {
      // The header, from files in the states the unit's listing holds — and not when one differs.
      assert.deepEqual(ahead.header(dirs[0], listing(dirs[0])), readMlflowRunHeader(reqs[0].run));
      const changed = listing(dirs[1]);
      const param = Object.keys(changed).find((f) => f.includes(`${path.sep}params${path.sep}`))!;
      changed[param] = { ...changed[param], mtime: changed[param].mtime + 1 };
      assert.equal(ahead.header(dirs[1], changed), undefined);
      const extra = listing(dirs[3]);
      extra[path.join(dirs[3], 'tags', 'added')] = { size: 1, mtime: 1, ino: 1 };
      assert.equal(ahead.header(dirs[3], extra), undefined);
      const file = path.join(dirs[0], 'metrics', 'm1');
      const st = fs.statSync(file);
      const fingerprint = { size: st.size, mtime: st.mtimeMs, ino: st.ino };
      const got = ahead.take(dirs[0], file, fingerprint)!;
      const expected = readMlflowMetricFile(file).points;
      assert.equal(got.n, expected.length);
      expected.forEach((p, i) => assert.deepEqual([got.columns[i], got.columns[got.cap + i], got.columns[2 * got.cap + i]], [p.step, p.time, p.value]));
      // The file as the indexer saw it differs (it grew since): not taken.
      assert.equal(ahead.take(dirs[1], path.join(dirs[1], 'metrics', 'm1'), { ...fingerprint, size: fingerprint.size + 1 }), undefined);
      // A run never sent, and one the indexer is done with.
      assert.equal(ahead.take(path.join(exp, 'elsewhere'), file, fingerprint), undefined);
      ahead.done(dirs[2]);
      assert.equal(ahead.take(dirs[2], path.join(dirs[2], 'metrics', 'm0'), fingerprint), undefined);
    } finally {
      ahead.close();
    }
    fs.rmSync(ws, { recursive: true });
  });

  it('reads on without the threads when they do not answer (a missing worker script)', () => {
    const ws = tempDir('read-ahead-ws-');
    writeMlflowStore(ws, { runs: 20, params: 1, metrics: 1, steps: 10, runsPerExperiment: 20 });
    const exp = path.join(ws, 'mlruns', '1');
    const reqs = requests(exp);
    const dirs = reqs.map((r) => r.dir);
    const ahead = ReadAhead.for(reqs, { threads: 1, script: path.join(ws, 'no-such-worker.js'), patienceMs: 300, steal: false })!;
    const file = path.join(dirs[0], 'metrics', 'm0');
    const st = fs.statSync(file);
    assert.equal(ahead.abandoned, false);
    assert.equal(ahead.take(dirs[0], file, { size: st.size, mtime: st.mtimeMs, ino: st.ino }), undefined);
    // Given up on once, for every run after (the indexer does not wait again).
    assert.equal(ahead.abandoned, true);
    assert.equal(ahead.take(dirs[1], path.join(dirs[1], 'metrics', 'm0'), { size: st.size, mtime: st.mtimeMs, ino: st.ino }), undefined);
    ahead.done(dirs[0]);
    ahead.close();
    fs.rmSync(ws, { recursive: true });
  });
});
