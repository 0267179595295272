/**
 * The Runs table bench's index, written by SQL instead of from files (100,000 runs × 1,000 columns would be
 * ~100 GB of MLflow folders): `runs` runs in 100 experiments; a catalogue of `params` param and `metrics`
 * metric keys, of which every run holds the first 10 params and 20 metrics and, in turn, 10 more params and
 * 30 more metrics of the rest (as sweeps over several model families log different keys). Values are a
 * fixed hash of (run, key): the same index every time. The summary indexes are built at the end, as a cold
 * pass does.
 */
import { Store } from '../src/core/index/store';

export function writeTableIndex(file: string, runs: number, params: number, metrics: number): { rows: number } {
  const store = Store.open(file);
  const db = store.db;
  store.dropSummaryIndexes();
  const h = (a: string, b: string) => `(((${a}) * 2654435761 + (${b}) * 40503) % 1000003) / 1000003.0`;
  db.transaction(() => {
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
      INSERT INTO experiments(id, source, format, native_id, name, lifecycle, created_at, unit) SELECT 'exp-' || i, '/bench/mlruns', 'mlflow', i, 'bench-' || i, 'active', NULL, 'bench' FROM n`);
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO runs(rid, id, unit, experiment_id, format, native_id, name, status, lifecycle, start_time, end_time, user, source_script, git_commit, parent_run_id, path)
      SELECT i, printf('%016x', i), 'bench', 'exp-' || (1 + i % 100), 'mlflow', printf('%032x', i), 'run-' || i,
        CASE WHEN i % 50 = 0 THEN 'FAILED' WHEN i % 97 = 0 THEN 'RUNNING' ELSE 'FINISHED' END, 'active',
        1700000000000 + i * 60000, CASE WHEN i % 97 = 0 THEN NULL ELSE 1700000000000 + i * 60000 + (i % 3600) * 1000 END,
        'bench', 'train.py', printf('%040x', i % 17), NULL, '/bench/mlruns/' || (1 + i % 100) || '/' || printf('%032x', i) FROM n`).run(runs);
    // Keys: the dense ones (k < 10 params, < 20 metrics), then 10 / 30 of the sparse ones per run, in turn.
    db.prepare(`WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 19)
      INSERT INTO params(rid, key, value) SELECT rid, printf(CASE WHEN key % 2 = 0 THEN 'model/p%03d' ELSE 'optim/p%03d' END, key),
        CASE WHEN key = 0 THEN printf('%g', 0.1 / (1 + rid % 4)) WHEN key % 3 = 1 THEN 'family-' || (rid % 5) ELSE CAST(CAST(${h('rid', 'key')} * 1000 AS INTEGER) AS TEXT) END
      FROM (SELECT r.rid AS rid, CASE WHEN k.j < 10 THEN k.j ELSE 10 + ((r.rid * 10 + k.j) % (? - 10)) END AS key FROM runs r, k) ORDER BY rid`).run(params);
    db.prepare(`WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 49)
      INSERT INTO series(rid, key, count, last, last_step, last_time, min, max)
      SELECT rid, printf(CASE WHEN key % 2 = 0 THEN 'train/m%03d' ELSE 'val/m%03d' END, key), 100, ${h('rid', 'key')}, 99, st + 99000, ${h('rid', 'key')} * 0.5, ${h('rid', 'key')} * 1.5 + 0.1
      FROM (SELECT r.rid AS rid, r.start_time AS st, CASE WHEN k.j < 20 THEN k.j ELSE 20 + ((r.rid * 30 + k.j) % (? - 20)) END AS key FROM runs r, k) ORDER BY rid`).run(metrics);
  })();
  store.buildSummaryIndexes();
  db.exec('ANALYZE');
  const rows = (db.prepare('SELECT (SELECT COUNT(*) FROM params) + (SELECT COUNT(*) FROM series)').pluck().get() as number);
  store.close();
  return { rows };
}
