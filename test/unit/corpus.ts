/** Paths into ../shared/corpus (real files from public projects) and temp-dir helpers for tests. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store } from '../../src/core/index/store';
import { indexWorkspace } from '../../src/core/index/indexer';
import { readTfRecords } from '../../src/core/formats/tfrecord';

export const CORPUS = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'corpus');

export function corpus(...parts: string[]): string {
  return path.join(CORPUS, ...parts);
}

export function tempDir(prefix = 'runlens-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Indexes `roots` into a fresh index in a temp dir; the caller closes the store. */
export function indexInto(roots: string[], dir = tempDir()): { store: Store; dir: string; summary: ReturnType<typeof indexWorkspace> } {
  const store = Store.open(path.join(dir, 'index.sqlite'));
  const summary = indexWorkspace(store, { roots });
  return { store, dir, summary };
}

/** Every row of index table `table`, ordered by all its columns, as one comparable text. */
export function tableRows(store: Store, table: string): string {
  const n = (store.db.prepare(`SELECT * FROM ${table} LIMIT 1`).columns() as unknown[]).length;
  const order = Array.from({ length: n }, (_, i) => i + 1).join(', ');
  return JSON.stringify(store.db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).raw().all());
}

/**
 * Everything an index holds, in a form that does not depend on the order runs were written in (the
 * read-ahead threads and the indexer share the runs out as they come): the tables keyed by unit as rows,
 * each run with its rows by its stable id.
 */
export function indexContents(store: Store): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of ['units', 'probes', 'experiments', 'models', 'diagnostics']) out[t] = tableRows(store, t);
  for (const r of store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] })) {
    const { rid, ...run } = r;
    out[`run ${r.id}`] = JSON.stringify({
      run,
      params: store.params(rid),
      tags: store.tags(rid),
      artifacts: store.db.prepare('SELECT path, size, kind FROM artifacts WHERE rid = ? ORDER BY path').raw().all(rid),
      series: store.seriesSummaries(rid).map((s) => ({ ...s, points: store.seriesPoints(rid, s.key) })),
    });
  }
  return out;
}

/** Copies a corpus folder to a temp dir so a test can append to, cut or corrupt it. */
export function copyOf(src: string): string {
  const dir = tempDir('runlens-copy-');
  const dest = path.join(dir, path.basename(src));
  fs.cpSync(src, dest, { recursive: true });
  return dest;
}

/** A new git repository in a temp folder, and a function running git in it. */
export function newRepo(prefix: string): { repo: string; git: (...args: string[]) => string } {
  const repo = tempDir(prefix);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: repo }, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'runlens@example.com');
  git('config', 'user.name', 'runlens');
  return { repo, git };
}

/**
 * A workspace to grow: an MLflow store (PacktPublishing's hyperparameter tuning) and a TensorBoard run
 * (a YOLOv5 training's event file), whose event file the caller writes, whole or in pieces (`offsets`: its
 * records' offsets), and a metric file of one of the MLflow runs to append to.
 */
export function growingWorkspace() {
  const ws = tempDir('runlens-ws-');
  fs.cpSync(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python', 'mlruns'), path.join(ws, 'mlruns'), { recursive: true });
  const tbSrc = corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5', 'runs', 'train', 'exp2');
  const tbDir = path.join(ws, 'tb', 'exp2');
  fs.mkdirSync(tbDir, { recursive: true });
  const eventName = fs.readdirSync(tbSrc).find((f) => f.startsWith('events.out'))!;
  const offsets: number[] = [];
  readTfRecords(path.join(tbSrc, eventName), 0, (_b, _s, _e, off) => offsets.push(off));
  return {
    ws,
    eventFile: path.join(tbDir, eventName),
    eventBytes: fs.readFileSync(path.join(tbSrc, eventName)),
    offsets,
    metricFile: path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'metrics', 'foo'),
  };
}
