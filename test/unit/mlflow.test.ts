import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyOf, corpus, indexInto, tempDir } from './corpus';
import { localArtifactRoot, readMlflowDatabase } from '../../src/core/formats/mlflowdb';
import { artifactPath } from '../../src/core/index/store';
import { runEnvironment } from '../../src/core/environment';
import { listTree, statFiles } from '../../src/core/index/listing';
import { indexWorkspace } from '../../src/core/index/indexer';
import type { UnitState } from '../../src/core/index/units';
import { Store } from '../../src/core/index/store';
import { openDatabase } from '../../src/core/index/sqlite';
import { listMlflowExperiments, listMlflowRunDirs, readMlflowRunHeader } from '../../src/core/formats/mlflow';
import { listMlflowRun } from '../../src/core/index/listing';
import { childPath, readSmallFile } from '../../src/core/formats/files';

const MLFLOW = corpus('mlflow');
const RUN_DIR = /^[0-9a-f]{32}$/;

/** Expected contents computed straight from the files, independently of the reader. */
function expectedRuns(storeRoot: string) {
  const out = new Map<string, { params: number; points: Map<string, number>; deleted: boolean }>();
  const visitExperiments = (dir: string, trash: boolean) => {
    for (const exp of fs.readdirSync(dir)) {
      const expDir = path.join(dir, exp);
      if (exp === '.trash') {
        visitExperiments(expDir, true);
        continue;
      }
      if (!fs.statSync(expDir).isDirectory() || !fs.existsSync(path.join(expDir, 'meta.yaml'))) continue;
      for (const run of fs.readdirSync(expDir)) {
        if (!RUN_DIR.test(run)) continue;
        const runDir = path.join(expDir, run);
        const list = (sub: string): string[] => {
          const root = path.join(runDir, sub);
          if (!fs.existsSync(root)) return [];
          return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
        };
        const points = new Map<string, number>();
        for (const key of list('metrics')) {
          const text = fs.readFileSync(path.join(runDir, 'metrics', key), 'utf8');
          points.set(key, text.split('\n').filter((l) => l.trim() !== '').length);
        }
        const meta = fs.existsSync(path.join(runDir, 'meta.yaml')) ? fs.readFileSync(path.join(runDir, 'meta.yaml'), 'utf8') : '';
        out.set(run, { params: list('params').length, points, deleted: trash || /lifecycle_stage: deleted/.test(meta) });
      }
    }
  };
  visitExperiments(storeRoot, false);
  return out;
}

describe('MLflow file store', () => {
  const stores = fs
    .readdirSync(MLFLOW, { recursive: true, withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name === 'mlruns')
    .map((e) => path.join(e.parentPath, e.name));

  it('finds every mlruns store of the corpus', () => {
    assert.ok(stores.length >= 7, `${stores.length} stores`);
  });

  for (const store of stores) {
    it(`indexes ${path.relative(MLFLOW, store)} with the params and metric points its files hold`, () => {
      const { store: index, dir } = indexInto([path.dirname(store)]);
      try {
        const expected = expectedRuns(store);
        const runs = index.queryRuns({ sql: "r.format = 'mlflow'", params: [] }, { sql: '', params: [] });
        assert.equal(runs.length, expected.size);
        for (const r of runs) {
          const e = expected.get(r.nativeId);
          assert.ok(e, `unexpected run ${r.nativeId}`);
          assert.equal(Object.keys(index.params(r.rid)).length, e.params, `params of ${r.nativeId}`);
          const got = new Map(index.seriesSummaries(r.rid).map((s) => [s.key, s.count]));
          assert.deepEqual(got, e.points, `metric points of ${r.nativeId}`);
          assert.equal(r.lifecycle === 'deleted', e.deleted, `lifecycle of ${r.nativeId}`);
        }
      } finally {
        index.close();
        fs.rmSync(dir, { recursive: true });
      }
    });
  }

  it('keeps metric values, steps and timestamps exactly as written', () => {
    const runDir = path.join(MLFLOW, 'PacktPublishing__Hyperparameter-Tuning-with-Python', 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3');
    const { store, dir } = indexInto([path.join(MLFLOW, 'PacktPublishing__Hyperparameter-Tuning-with-Python')]);
    try {
      const [run] = store.resolveRun('a3112407148b4966b929bc9f8784a3d3');
      const lines = fs.readFileSync(path.join(runDir, 'metrics', 'foo'), 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
      assert.deepEqual(store.seriesPoints(run.rid, 'foo'), lines.map(([time, value, step]) => ({ time, value, step })));
      assert.equal(run.name, fs.readFileSync(path.join(runDir, 'tags', 'mlflow.runName'), 'utf8'));
      assert.equal(run.status, 'FINISHED');
      assert.equal(run.startTime, 1656994881395);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('reads MLflow 3 logged models with their source run and metrics', () => {
    const { store, dir } = indexInto([path.join(MLFLOW, '2024ab05143__heart-disease-mlops', 'mlruns')]);
    try {
      const models = store.models();
      assert.equal(models.length, 2);
      const m = models.find((x) => x.nativeId === 'm-aec10e0ba169444dbe2ea2085f379149')!;
      assert.equal(m.sourceRunNativeId, 'd5ba8efe051c4d25a70eb6a5b7c8dd55');
      assert.equal(m.metrics.recall, 0.875);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe('MLflow SQLite backend (mlflow.db)', () => {
  for (const rel of ['Peco602__mlops-zoomcamp/02-experiment-tracking/mlflow.db', '2024ab05143__heart-disease-mlops/mlflow.db']) {
    it(`indexes ${rel}: runs, params and metric points per key equal the database's own counts`, () => {
      const file = path.join(MLFLOW, rel);
      const db = openDatabase(file, { readonly: true, fileMustExist: true });
      const runIds = (db.prepare('SELECT run_uuid FROM runs').pluck().all() as string[]).sort();
      const points = db.prepare('SELECT run_uuid, key, COUNT(*) AS n FROM metrics GROUP BY run_uuid, key').all() as { run_uuid: string; key: string; n: number }[];
      const params = db.prepare('SELECT run_uuid, COUNT(*) AS n FROM params GROUP BY run_uuid').all() as { run_uuid: string; n: number }[];
      db.close();
      const { store, dir } = indexInto([path.dirname(file)]);
      try {
        const runs = store.queryRuns({ sql: "r.format = 'mlflow-db'", params: [] }, { sql: '', params: [] });
        assert.deepEqual(runs.map((r) => r.nativeId).sort(), runIds);
        const byId = new Map(runs.map((r) => [r.nativeId, r.rid]));
        for (const p of points) {
          const s = store.seriesSummaries(byId.get(p.run_uuid)!).find((x) => x.key === p.key);
          assert.equal(s?.count, p.n, `${p.run_uuid} ${p.key}`);
        }
        for (const p of params) assert.equal(Object.keys(store.params(byId.get(p.run_uuid)!)).length, p.n);
      } finally {
        store.close();
        fs.rmSync(dir, { recursive: true });
      }
    });
  }
});

/**
 * A run's artifacts as the test finds them, independently of the reader: its artifact_uri from the part
 * MLflow's default store puts in every path (`mlruns/…`) on, below the database's folder, walked whole.
 */
function expectedDbArtifacts(dbFile: string): Map<string, string[]> {
  const db = openDatabase(dbFile, { readonly: true, fileMustExist: true });
  const rows = db.prepare('SELECT run_uuid AS id, artifact_uri AS uri FROM runs').all() as { id: string; uri: string }[];
  db.close();
  const out = new Map<string, string[]>();
  for (const { id, uri } of rows) {
    const dir = path.join(path.dirname(dbFile), uri.slice(uri.indexOf('mlruns/')));
    const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
    out.set(id, files.map((e) => { const f = path.join(e.parentPath, e.name); return `${path.relative(dir, f).split(path.sep).join('/')} ${fs.statSync(f).size}`; }).sort());
  }
  return out;
}

describe('mlflow.db runs\' artifacts (artifact_uri)', () => {
  it('lists the files of the folder each run\'s artifact_uri names, by path and size, found from the database\'s folder (a relative ./mlruns, and another machine\'s C:/…/mlruns)', () => {
    let listed = 0;
    for (const rel of ['Peco602__mlops-zoomcamp/02-experiment-tracking/mlflow.db', '2024ab05143__heart-disease-mlops/mlflow.db']) {
      const file = path.join(MLFLOW, rel);
      const expected = expectedDbArtifacts(file);
      const { store, dir } = indexInto([path.dirname(file)]);
      try {
        const runs = store.queryRuns({ sql: "r.format = 'mlflow-db'", params: [] }, { sql: '', params: [] });
        assert.equal(runs.length, expected.size);
        for (const run of runs) {
          const got = store.artifacts(run.rid).map((a) => `${a.path} ${a.size}`).sort();
          assert.deepEqual(got, expected.get(run.nativeId), run.nativeId);
          listed += got.length;
          for (const a of store.artifacts(run.rid)) {
            // Each artifact resolves to its file, and the file to its run.
            const abs = artifactPath(run, a.path);
            assert.equal(fs.statSync(abs).size, a.size);
            assert.ok(store.runsWithArtifact(abs).some((r) => r.rid === run.rid), abs);
          }
        }
      } finally {
        store.close();
        fs.rmSync(dir, { recursive: true });
      }
    }
    // The zoomcamp database's runs have 44 artifact files here; the heart-disease one's name runs not kept.
    assert.equal(listed, 44);
  });

  it('gives a database run the environment its logged model records (python_env.yaml)', () => {
    const file = path.join(MLFLOW, 'Peco602__mlops-zoomcamp/02-experiment-tracking/mlflow.db');
    const { store, dir } = indexInto([path.dirname(file)]);
    try {
      const run = store.queryRuns({ sql: "r.format = 'mlflow-db' AND EXISTS (SELECT 1 FROM artifacts a WHERE a.rid = r.rid AND a.path = 'model/python_env.yaml')", params: [] }, { sql: '', params: [] })[0];
      const env = runEnvironment(run, store.tags(run.rid), store.artifacts(run.rid));
      const text = fs.readFileSync(artifactPath(run, 'model/python_env.yaml'), 'utf8');
      const python = /^python: (.+)$/m.exec(text)![1];
      assert.deepEqual(env.facts.find((f) => f.key === 'python'), { key: 'python', value: python, from: 'model/python_env.yaml' });
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('a new artifact re-reads the database on the next pass, and an unchanged workspace reads nothing', () => {
    const ws = copyOf(path.join(MLFLOW, 'Peco602__mlops-zoomcamp/02-experiment-tracking'));
    const idx = tempDir();
    const store = Store.open(path.join(idx, 'index.sqlite'));
    try {
      assert.equal(indexWorkspace(store, { roots: [ws] }).read, 1);
      // The folders' mtimes are kept from the read, so that the next pass stats them instead of walking them.
      const state = store.unitState<UnitState>(`mlflow-db:${path.join(ws, 'mlflow.db')}`)!;
      const roots = state.extra!.artifactRoots as string[];
      assert.equal(roots.length, 9);
      for (const root of roots) assert.equal(state.dirs![root], fs.statSync(root).mtimeMs, root);
      assert.equal(indexWorkspace(store, { roots: [ws] }).read, 0);
      assert.deepEqual(store.unitState<UnitState>(`mlflow-db:${path.join(ws, 'mlflow.db')}`), state);
      const run = store.queryRuns({ sql: "r.format = 'mlflow-db' AND EXISTS (SELECT 1 FROM artifacts a WHERE a.rid = r.rid)", params: [] }, { sql: '', params: [] })[0];
      const before = store.artifacts(run.rid).length;
      fs.mkdirSync(artifactPath(run, 'plots'));
      fs.writeFileSync(artifactPath(run, 'plots/residuals.png'), 'png');
      assert.equal(indexWorkspace(store, { roots: [ws] }).read, 1);
      assert.deepEqual(store.artifacts(run.rid).find((a) => a.path === 'plots/residuals.png'), { path: 'plots/residuals.png', size: 3, kind: 'image' });
      assert.equal(store.artifacts(run.rid).length, before + 1);
      fs.rmSync(run.artifactDir!, { recursive: true });
      assert.equal(indexWorkspace(store, { roots: [ws] }).read, 1);
      assert.equal(store.artifacts(run.rid).length, 0);
    } finally {
      store.close();
      fs.rmSync(idx, { recursive: true });
      fs.rmSync(path.dirname(ws), { recursive: true });
    }
  });

  it('resolves artifact_uri forms to a folder that exists, and remote stores to none', () => {
    const ws = tempDir();
    const db = path.join(ws, 'mlflow.db');
    for (const d of ['mlruns/1/abc/artifacts', 'mlartifacts/2/def/artifacts', 'elsewhere/x', 'secret']) fs.mkdirSync(path.join(ws, d), { recursive: true });
    const cases: [string, string | undefined][] = [
      ['./mlruns/1/abc/artifacts', 'mlruns/1/abc/artifacts'],
      ['mlruns/1/abc/artifacts', 'mlruns/1/abc/artifacts'],
      [`file://${path.join(ws, 'elsewhere', 'x')}`, 'elsewhere/x'],
      [path.join(ws, 'elsewhere', 'x'), 'elsewhere/x'],
      ['file:C:/Users/me/project/mlruns/1/abc/artifacts', 'mlruns/1/abc/artifacts'],
      ['/home/someone/project/mlruns/1/abc/artifacts', 'mlruns/1/abc/artifacts'],
      ['mlflow-artifacts:/2/def/artifacts', 'mlartifacts/2/def/artifacts'],
      ['mlflow-artifacts://tracking:5000/2/def/artifacts', 'mlartifacts/2/def/artifacts'],
      ['s3://bucket/mlruns/1/abc/artifacts', undefined],
      ['gs://bucket/2/def', undefined],
      ['./mlruns/9/missing/artifacts', undefined],
      // Found below the database's folder from its mlruns/ on, but never above that part.
      ['file:C:/work/mlruns/../secret', undefined],
    ];
    for (const [uri, want] of cases) assert.equal(localArtifactRoot(db, uri), want && path.join(ws, want), uri);
    fs.rmSync(ws, { recursive: true });
  });

  it('lists at most the files it is allowed below a folder, and the same ones again from the previous listing', () => {
    const root = path.join(MLFLOW, 'Peco602__mlops-zoomcamp/02-experiment-tracking/mlruns');
    const first = statFiles([]);
    listTree(root, 12, first, undefined, 'fingerprints', 7);
    assert.equal(Object.keys(first.files).length, 7);
    const again = statFiles([]);
    listTree(root, 12, again, first, 'fingerprints', 7);
    assert.deepEqual(again.files, first.files);
  });
});

describe("mlflow.db's logged models (MLflow 3)", () => {
  it('reads each with its params, the value of each metric and the run that logged it, as the tables hold them (one row a metric); READY as the file store says it', () => {
    const file = path.join(MLFLOW, '2024ab05143__heart-disease-mlops/mlflow.db');
    const db = openDatabase(file, { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT model_id, name, source_run_id, creation_timestamp_ms FROM logged_models WHERE lifecycle_stage = 'active'").all() as { model_id: string; name: string; source_run_id: string; creation_timestamp_ms: number }[];
    const expected = rows.map((r) => {
      const metrics: Record<string, number> = {};
      for (const m of db.prepare('SELECT metric_name AS k, metric_value AS v FROM logged_model_metrics WHERE model_id = ? ORDER BY rowid').all(r.model_id) as { k: string; v: number }[]) metrics[m.k] = m.v;
      const params = Object.fromEntries((db.prepare('SELECT param_key AS k, param_value AS v FROM logged_model_params WHERE model_id = ?').all(r.model_id) as { k: string; v: string }[]).map((p) => [p.k, p.v]));
      return { nativeId: r.model_id, name: r.name, sourceRunNativeId: r.source_run_id, createdAt: r.creation_timestamp_ms, status: 'READY', params, metrics };
    });
    db.close();
    assert.equal(expected.length, 3);
    const { store, dir } = indexInto([path.dirname(file)]);
    try {
      const logged = store.models().filter((m) => m.kind === 'logged');
      const fromDb = logged.filter((m) => m.unit === `mlflow-db:${file}`).map((m) => ({ nativeId: m.nativeId, name: m.name, sourceRunNativeId: m.sourceRunNativeId, createdAt: m.createdAt, status: m.status, params: m.params, metrics: m.metrics }));
      assert.deepEqual(fromDb.sort((a, b) => a.nativeId.localeCompare(b.nativeId)), expected.sort((a, b) => a.nativeId.localeCompare(b.nativeId)));
      // Each was logged by a run of the same database.
      for (const m of fromDb) assert.deepEqual(store.runsByNativeId([m.sourceRunNativeId!]).get(m.sourceRunNativeId!)!.map((r) => r.format), ['mlflow-db']);
      // The file store's models/ beside it: status 2 in meta.yaml.
      const fileStore = logged.filter((m) => m.unit.startsWith('mlflow-experiment:'));
      assert.ok(fileStore.length >= 2 && fileStore.every((m) => m.status === 'READY'));
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe("mlflow.db's logged model metrics (MLflow 3)", () => {
  it("takes each metric's latest value by MLflow's rule (highest step, then later timestamp, then larger value), not the last row stored", () => {
    const dir = tempDir('runlens-logged-metrics-');
    const file = path.join(dir, 'mlflow.db');
    fs.copyFileSync(path.join(MLFLOW, '2024ab05143__heart-disease-mlops/mlflow.db'), file);
    const model = 'm-2187688f812445e88cb8625e1561a188';
    const db = openDatabase(file, { fileMustExist: true });
    const { experiment_id: exp, source_run_id: run } = db.prepare('SELECT experiment_id, source_run_id FROM logged_models WHERE model_id = ?').get(model) as { experiment_id: number; source_run_id: string };
    const other = (db.prepare('SELECT source_run_id AS r FROM logged_models WHERE source_run_id != ?').get(run) as { r: string }).r;
    const add = db.prepare('INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
    // Stored in this order; MLflow's latest is the first of each pair below.
    add.run(model, 'accuracy', 1000, 7, 0.5, exp, run);
    add.run(model, 'accuracy', 9_000_000_000_000, 3, 0.99, exp, run);
    add.run(model, 'recall', 1766802543300, 0, 0.2, exp, run);
    add.run(model, 'recall', 1766802543290, 0, 0.3, exp, run);
    add.run(model, 'precision', 1766802543400, 0, 0.7, exp, run);
    add.run(model, 'precision', 1766802543400, 0, 0.6, exp, other);
    db.close();
    const { logged } = readMlflowDatabase(file, () => {}, () => {});
    const metrics = logged.find((m) => m.modelId === model)!.metrics;
    // roc_auc has one row in the corpus db (step 0): 0.947337962962963, read with python3's sqlite3.
    assert.deepEqual(metrics, { accuracy: 0.5, recall: 0.2, precision: 0.7, roc_auc: 0.947337962962963 });
    fs.rmSync(dir, { recursive: true });
  });
});

describe('MLflow database reads never lock out a writer', () => {
  it('holds no read lock while it hands rows over, so MLflow can commit mid-read', () => {
    const dir = tempDir();
    const file = path.join(dir, 'mlflow.db');
    fs.copyFileSync(path.join(MLFLOW, 'Peco602__mlops-zoomcamp/02-experiment-tracking/mlflow.db'), file);
    const writer = openDatabase(file, { timeoutMs: 0 });
    let commits = 0;
    let rows = 0;
    readMlflowDatabase(file, () => undefined, (uuid) => {
      rows++;
      if (rows % 500 === 0) {
        // A rollback-journal database: this commit fails with SQLITE_BUSY if our reader holds its lock.
        writer.prepare("INSERT INTO tags(key, value, run_uuid) VALUES (?, 'x', ?)").run(`runlens.probe.${rows}`, uuid);
        commits++;
      }
    });
    writer.close();
    assert.ok(commits >= 5, `${commits} commits during ${rows} rows`);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('MLflow run header from the run listing', () => {
  it('is the same read from the listing (listMlflowRun) as walking the run folder, for every run of the corpus', () => {
    const stores = fs
      .readdirSync(corpus(), { recursive: true, withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name === 'mlruns')
      .map((e) => path.join(e.parentPath, e.name));
    let runs = 0;
    let withInputs = 0;
    let artifacts = 0;
    for (const store of stores) {
      for (const exp of listMlflowExperiments(store)) {
        for (const rd of listMlflowRunDirs(exp)) {
          const listing = listMlflowRun(rd.dir, undefined);
          const fromListing = readMlflowRunHeader(rd, listing.files);
          assert.deepEqual(fromListing, readMlflowRunHeader(rd), rd.dir);
          runs++;
          if (fs.existsSync(path.join(rd.dir, 'inputs'))) withInputs++;
          artifacts += fromListing.run.artifacts.length;
        }
      }
    }
    assert.ok(runs > 100 && withInputs > 0 && artifacts > 50, `${runs} runs, ${withInputs} with inputs, ${artifacts} artifacts`);
  });
});

describe('readSmallFile', () => {
  it('gives what readFileSync gives: every param and tag of the corpus, a file past its buffer, bad UTF-8, an empty file; and fails as it does', () => {
    const files = fs
      .readdirSync(MLFLOW, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /[\\/](params|tags)$/.test(e.parentPath))
      .map((e) => path.join(e.parentPath, e.name));
    assert.ok(files.length > 1000, `${files.length} files`);
    const dir = tempDir('small-files-');
    const extra = { big: Buffer.from('é'.repeat(40_000)), exact: Buffer.alloc(65_536, 97), bad: Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3]), empty: Buffer.alloc(0) };
    for (const [name, bytes] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), bytes);
    for (const file of [...files, ...Object.keys(extra).map((n) => path.join(dir, n))]) assert.equal(readSmallFile(file), fs.readFileSync(file, 'utf8'), file);
    for (const bad of [path.join(dir, 'missing'), dir]) {
      const code = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          return (err as { code?: string }).code;
        }
        return 'no error';
      };
      assert.equal(code(() => readSmallFile(bad)), code(() => fs.readFileSync(bad, 'utf8')), bad);
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe('childPath', () => {
  it('gives what path.join gives for every folder of the corpus and the entries listed in it, the root too', () => {
    const dirs = fs
      .readdirSync(MLFLOW, { recursive: true, withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(e.parentPath, e.name));
    assert.ok(dirs.length > 500, `${dirs.length} folders`);
    let pairs = 0;
    for (const dir of [path.parse(MLFLOW).root, ...dirs]) {
      for (const name of fs.readdirSync(dir)) {
        assert.equal(childPath(dir, name), path.join(dir, name));
        pairs++;
      }
    }
    assert.ok(pairs > 1000);
  });
});
