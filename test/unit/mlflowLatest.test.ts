import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpus, indexInto, tempDir } from './corpus';
import { indexWorkspace } from '../../src/core/index/indexer';
import { compileFilter, compileSort } from '../../src/core/index/query';
import { Store } from '../../src/core/index/store';
import { native, withoutNative } from '../../src/core/native/native';

const PECO = corpus('mlflow', 'Peco602__mlops-zoomcamp', '02-experiment-tracking', 'mlflow.db');
const HEART = corpus('mlflow', '2024ab05143__heart-disease-mlops', 'mlflow.db');

/** MLflow's own latest_metrics table, read with Python's sqlite3 (immutable: nothing beside the file is written). */
function latestMetricsOf(db: string): Map<string, { value: number; step: number; timestamp: number }> {
  const script = `import sqlite3, json, sys
c = sqlite3.connect('file:' + sys.argv[1] + '?immutable=1', uri=True)
print(json.dumps([list(r) for r in c.execute('select run_uuid, key, value, step, timestamp from latest_metrics')]))`;
  const rows = JSON.parse(execFileSync('python3', ['-c', script, db], { encoding: 'utf8' })) as [string, string, number, number, number][];
  return new Map(rows.map(([run, key, value, step, timestamp]) => [`${run} ${key}`, { value, step, timestamp }]));
}

function summaries(store: Store): Map<string, { last: number; lastStep: number; count: number }> {
  const out = new Map<string, { last: number; lastStep: number; count: number }>();
  for (const r of store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] })) {
    for (const s of store.seriesSummaries(r.rid)) out.set(`${r.nativeId} ${s.key}`, s);
  }
  return out;
}

/** A file store of `runs` runs, each of one metric file with `lines` as written (`timestamp value step`). */
function fileStore(root: string, lines: string[], runs = 1): { metric: string } {
  const exp = path.join(root, 'mlruns', '1');
  fs.mkdirSync(exp, { recursive: true });
  fs.writeFileSync(path.join(exp, 'meta.yaml'), 'experiment_id: "1"\nname: e\nlifecycle_stage: active\n');
  let metric = '';
  for (let i = 0; i < runs; i++) {
    const runId = String(i).padStart(32, 'a');
    const runDir = path.join(exp, runId);
    fs.mkdirSync(path.join(runDir, 'metrics'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'meta.yaml'), `run_id: ${runId}\nexperiment_id: "1"\nstatus: 3\nstart_time: ${1700000000000 + i}\nend_time: 1700000100000\nlifecycle_stage: active\n`);
    metric = path.join(runDir, 'metrics', 'loss');
    fs.writeFileSync(metric, lines.map((l) => l + '\n').join(''));
  }
  return { metric };
}

/**
 * Store `ws` (runs of one series, the same points) indexed with `threads` read-ahead threads: the series'
 * summary and points (the same in every run), how many runs came from the threads, and the chunk rows.
 */
function indexed(ws: string, threads: number) {
  const dir = tempDir('mlflow-latest-idx-');
  const store = Store.open(path.join(dir, 'index.sqlite'));
  const taken = indexWorkspace(store, { roots: [ws], readAhead: { threads, steal: false } }).readAhead?.files ?? 0;
  const each = store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] }).map((run) => ({ ...store.seriesSummaries(run.rid)[0], points: store.seriesPoints(run.rid, 'loss') }));
  for (const e of each) assert.deepEqual(e, each[0]);
  const chunks = JSON.stringify(store.db.prepare('SELECT r.path, c.seq, c.n, hex(c.data) AS data, hex(o.data) AS overview FROM chunks c JOIN series x ON x.sid = c.sid JOIN runs r ON r.rid = x.rid LEFT JOIN overviews o ON o.sid = c.sid AND o.seq = c.seq ORDER BY 1, 2').all());
  store.close();
  fs.rmSync(dir, { recursive: true });
  return { ...each[0], taken, chunks };
}

/** MLflow's file store rule, by hand: max by (step, timestamp, value) over the file's lines. */
function handLatest(file: string): { step: number; time: number; value: number } {
  let best: { step: number; time: number; value: number } | undefined;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [t, v, s] = line.split(' ');
    if (!t) continue;
    const p = { step: Number(s ?? 0), time: Number(t), value: Number(v) };
    if (!best || p.step > best.step || (p.step === best.step && (p.time > best.time || (p.time === best.time && p.value > best.value)))) best = p;
  }
  return best!;
}

describe('MLflow latest value: the highest step, then the later timestamp, then the larger value', () => {
  it('mlflow.db: every series summary agrees with MLflow\'s own latest_metrics table (Peco602, heart-disease)', () => {
    const { store, dir } = indexInto([path.dirname(PECO), path.dirname(HEART)]);
    const got = summaries(store);
    let checked = 0;
    for (const db of [PECO, HEART]) {
      for (const [key, want] of latestMetricsOf(db)) {
        const s = got.get(key);
        assert.ok(s, `${key} indexed`);
        assert.equal(s.last, want.value, key);
        assert.equal(s.lastStep, want.step, key);
        checked++;
      }
    }
    assert.ok(checked >= 173 + 12, `${checked} series checked`);
    // The run whose step 1000 row was stored before step 999.
    const peco = got.get('da641eff03ff4740bff4607ac76cf9ba validation-rmse')!;
    assert.equal(peco.last, 6.295533726959944);
    // A query and a sort by the metric see the latest value.
    const hits = store.queryRuns(compileFilter('metrics.validation-rmse < 6.296'), compileSort(undefined)).map((r) => r.nativeId);
    assert.ok(hits.includes('da641eff03ff4740bff4607ac76cf9ba'), hits.join(','));
    assert.ok(hits.includes('f539394805074f4296c1ed6b0a1d905d'), hits.join(','));
    // The points read back in step order.
    const r = store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] }).find((x) => x.nativeId === 'da641eff03ff4740bff4607ac76cf9ba')!;
    const steps = store.seriesPoints(r.rid, 'validation-rmse').map((p) => p.step);
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
    assert.equal(steps.length, 1001);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('file store: a step logged out of order, ties on step broken by timestamp then value; appended rows out of order too', () => {
    const ws = tempDir('mlflow-latest-');
    const lines = [];
    // 3000 points (three chunks), the last step written first, then a tie at step 2999 decided by timestamp.
    lines.push('1700000009000 0.25 3000');
    for (let s = 0; s < 3000; s++) lines.push(`${1700000000000 + s} ${1 / (s + 1)} ${s}`);
    lines.push('1700000008000 7.5 3000'); // same step, earlier timestamp: not the latest
    lines.push('1700000009000 0.125 3000'); // same step and timestamp, smaller value: not the latest
    // 16 runs: enough for read-ahead threads to be started.
    const { metric } = fileStore(ws, lines, 16);
    const want = handLatest(metric);
    assert.deepEqual(want, { step: 3000, time: 1700000009000, value: 0.25 });
    // The native encoder (chunks.c) and its JavaScript twin, each with and without read-ahead threads:
    // the same summary, the points in order, the same rows to the byte.
    assert.ok(native()?.encodeSeries, 'the native module is built');
    const seen: string[] = [];
    for (const off of [false, true]) {
      for (const threads of [0, 2]) {
        const got = (off ? withoutNative : (f: () => ReturnType<typeof indexed>) => f())(() => indexed(ws, threads));
        const label = `native ${!off}, threads ${threads}`;
        assert.equal(got.last, want.value, label);
        assert.equal(got.lastStep, want.step, label);
        assert.equal(got.count, 3003, label);
        assert.equal(got.taken, threads > 0 ? 16 : 0, label);
        const sorted = [...got.points].sort((a, b) => a.step - b.step || a.time - b.time || a.value - b.value);
        assert.deepEqual(got.points, sorted, label);
        seen.push(got.chunks);
      }
    }
    assert.equal(new Set(seen).size, 1, 'the same chunk rows on every path');

    // Live: rows appended out of order (an earlier step after the latest) are put in order, the summary too.
    const { store, dir } = indexInto([ws]);
    fs.appendFileSync(metric, '1700000010000 9.5 3001\n1700000010001 4.5 10\n');
    indexWorkspace(store, { roots: [ws] });
    const run = store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] }).find((r) => metric.startsWith(r.path + path.sep))!;
    const [s] = store.seriesSummaries(run.rid);
    assert.equal(s.count, 3005);
    assert.equal(s.last, 9.5);
    assert.equal(s.lastStep, 3001);
    const pts = store.seriesPoints(run.rid, 'loss');
    assert.deepEqual(pts, [...pts].sort((a, b) => a.step - b.step || a.time - b.time || a.value - b.value));
    assert.equal(pts.filter((p) => p.step === 10).length, 2);
    // Appended in order: appended as they are.
    fs.appendFileSync(metric, '1700000020000 1.5 3002\n');
    indexWorkspace(store, { roots: [ws] });
    assert.equal(store.seriesSummaries(run.rid)[0].last, 1.5);
    assert.equal(store.seriesSummaries(run.rid)[0].count, 3006);
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});
