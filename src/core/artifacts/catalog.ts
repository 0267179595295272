/**
 * Models and their versions, each version with the run that made it — the Models view and `runlens models`:
 *
 * - registered models (MLflow's registry): a version per registered version number, with its stage,
 *   aliases and source run;
 * - logged models (MLflow 3): a model per name, a version per logged model;
 * - model files in runs' artifacts: a model per (experiment, path) — an MLflow model folder (the folder of
 *   an `MLmodel`) or a single file, the step left out of checkpoint names — and a version per distinct
 *   content, so ten runs that saved the same bytes are one version made by ten runs, and a retrained model
 *   or a later checkpoint is a new version. An MLflow model folder's content includes its `MLmodel`, which
 *   names its run and model uuid: two runs' logged models are two versions, as MLflow shows them, even
 *   when their weights are the same bytes. Optimizer, scheduler and RNG states are not models;
 * - model files in the workspace that no run logged (workspaceModels.ts).
 *
 * File contents are hashed by the caller's `hash` (cached by path, size, mtime and inode in the content
 * cache); nothing is loaded or unpickled.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { DatasetHistory } from '../datasets/history';
import { TRAINING_STATE, artifactKind, isModelArtifact } from '../model';
import { projectDir } from '../lineage';
import type { ModelFileRow, RunRow, Store } from '../index/store';
import { artifactPath } from '../index/store';

export interface CatalogRun {
  id: string;
  name: string;
  nativeId: string;
  experimentName: string;
  startTime: number | null;
}

export interface CatalogFile {
  /** Relative to the run's artifacts. */
  path: string;
  fsPath: string;
  size: number;
  kind: string;
}

export interface CatalogVersion {
  /** Unique within its model: a version number, a logged model id, a content hash. */
  id: string;
  /** "v3", a logged model id, the first 12 hex digits of the content hash. */
  label: string;
  createdAt?: number;
  stage?: string;
  aliases?: string[];
  status?: string;
  description?: string;
  metrics?: Record<string, number>;
  /** Where it lies: a registered version's source URI, a logged model's folder. */
  source?: string;
  /** SHA-256 over the version's files (one file: its own SHA-256). */
  hash?: string;
  size?: number;
  /** A file version's paths in its runs' artifacts (`checkpoint-500/model.safetensors`). */
  where?: string[];
  /** The run(s) that made it; several when runs wrote identical bytes. */
  runs: CatalogRun[];
  /** A file model's files in each run that has this version, for opening them. */
  files: CatalogFile[];
}

export interface CatalogModel {
  key: string;
  name: string;
  kind: 'registered' | 'logged' | 'file' | 'dvc' | 'workspace';
  /** For file models: the experiment whose runs saved it. */
  experimentName?: string;
  /** For registered and logged models: the MLflow store that keeps them (an `mlruns` folder or a database); for workspace models, the workspace folder. */
  store?: string;
  /** Newest first. */
  versions: CatalogVersion[];
}

/** Hash of a file's content, or undefined when it cannot be read (gone, unreadable). */
export type FileHasher = (fsPath: string) => string | undefined;

const toRun = (r: RunRow | ModelFileRow): CatalogRun =>
  'runNativeId' in r
    ? { id: r.runId, name: r.runName, nativeId: r.runNativeId, experimentName: r.experimentName, startTime: r.startTime }
    : { id: r.id, name: r.name, nativeId: r.nativeId, experimentName: r.experimentName, startTime: r.startTime };

/**
 * The MLflow store a model row came from, by the unit that wrote it: `mlflow-db:<database>`,
 * `mlflow-experiment:<mlruns>/<experiment>`, `mlflow-registry:<mlruns>/models`.
 */
function mlflowStoreOf(unit: string): string | undefined {
  const cut = unit.indexOf(':');
  const kind = unit.slice(0, cut);
  const where = unit.slice(cut + 1);
  if (kind === 'mlflow-db') return where;
  return kind === 'mlflow-experiment' || kind === 'mlflow-registry' ? path.dirname(where) : undefined;
}

/** Registered and logged models from the index: no file is read. */
export function indexedModels(store: Store): CatalogModel[] {
  const rows = store.models();
  const runs = store.runsByNativeId(rows.flatMap((m) => (m.sourceRunNativeId ? [m.sourceRunNativeId] : [])));
  const models = new Map<string, CatalogModel>();
  for (const m of rows) {
    const kind = m.kind ?? 'logged';
    const key = `${kind}:${m.unit}:${m.name}`;
    let model = models.get(key);
    if (!model) models.set(key, (model = { key, name: m.name, kind, store: mlflowStoreOf(m.unit), versions: [] }));
    const made = m.sourceRunNativeId ? (runs.get(m.sourceRunNativeId) ?? []) : [];
    model.versions.push({
      id: kind === 'registered' ? String(m.version) : m.nativeId,
      label: kind === 'registered' ? `v${m.version}` : m.nativeId,
      createdAt: m.createdAt,
      stage: m.stage && m.stage !== 'None' ? m.stage : undefined,
      aliases: kind === 'registered' ? (m.aliases ?? []) : undefined,
      status: m.status,
      description: m.description,
      metrics: Object.keys(m.metrics).length ? m.metrics : undefined,
      source: m.path,
      runs: made.map(toRun),
      files: [],
    });
  }
  for (const model of models.values()) model.versions.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.id.localeCompare(a.id, undefined, { numeric: true }));
  return [...models.values()];
}

/**
 * Model files of runs grouped into models — by experiment and path, an MLflow model folder as one — with
 * their files per run; versions are made by `fileVersions` once the files are hashed.
 */
export interface FileModel {
  key: string;
  name: string;
  experimentName: string;
  /** Every saved copy: a run, where in its artifacts (a file, a folder), and the files there. */
  copies: { run: CatalogRun; where: string; files: CatalogFile[] }[];
}


/**
 * The model a file is a version of, by name: the checkpoints of one training differ only by their step —
 * `checkpoint-500/model.safetensors` and `checkpoint-1000/model.safetensors`, `epoch=4-step=100.ckpt` and
 * `epoch=9-step=200.ckpt` — and are versions of one model.
 */
export function modelName(relPath: string): string {
  return relPath.replace(/(^|\/)checkpoint-\d+(?=\/)/g, '$1checkpoint-*').replace(/epoch=\d+-step=\d+/g, 'epoch=*-step=*');
}

export function fileModels(store: Store, limit = 5000): FileModel[] {
  const rows = store.modelFiles(limit).filter((r) => !TRAINING_STATE.test(r.path));
  // MLflow model folders: every file under the folder of an `MLmodel` belongs to that one model.
  const mlmodelDirs = new Set(rows.filter((r) => path.posix.basename(r.path) === 'MLmodel').map((r) => `${r.runId}\0${path.posix.dirname(r.path)}`));
  const copyOf = (r: ModelFileRow): string => {
    for (let dir = path.posix.dirname(r.path); dir !== '.' && dir !== '/'; dir = path.posix.dirname(dir)) {
      if (mlmodelDirs.has(`${r.runId}\0${dir}`)) return `${dir}/`;
    }
    return r.path;
  };
  const models = new Map<string, FileModel>();
  const copies = new Map<string, FileModel['copies'][number]>();
  for (const r of rows) {
    const where = copyOf(r);
    const name = modelName(where);
    const key = `file:${r.experimentName}\0${name}`;
    let model = models.get(key);
    if (!model) models.set(key, (model = { key, name, experimentName: r.experimentName, copies: [] }));
    let copy = copies.get(`${r.runId}\0${where}`);
    if (!copy) {
      copies.set(`${r.runId}\0${where}`, (copy = { run: toRun(r), where, files: [] }));
      model.copies.push(copy);
    }
    copy.files.push({ path: r.path, fsPath: artifactPath({ format: r.format, path: r.runPath, artifactDir: r.artifactDir }, r.path), size: r.size, kind: r.kind });
  }
  return [...models.values()];
}

/**
 * A file model's versions: its copies grouped by content. A folder's content is the hash of its files'
 * (path, hash) pairs, `MLmodel` included: it names the run and the model's uuid, so each run's MLflow model
 * is its own version, as MLflow lists them. Copies whose files cannot be read are left out.
 */
export function fileVersions(model: FileModel, hash: FileHasher): CatalogModel {
  const versions = new Map<string, CatalogVersion>();
  const folder = model.name.endsWith('/');
  for (const { run, where, files } of model.copies) {
    const content = files;
    const hashes = content.map((f) => [f.path.slice(folder ? where.length : 0), hash(f.fsPath)] as const);
    if (!hashes.length || hashes.some(([, h]) => h === undefined)) continue;
    const digest = folder || hashes.length > 1 ? createHash('sha256').update(hashes.map(([p, h]) => `${p}\0${h}\n`).sort().join('')).digest('hex') : hashes[0][1]!;
    let v = versions.get(digest);
    if (!v) versions.set(digest, (v = { id: digest, label: digest.slice(0, 12), hash: digest, size: content.reduce((a, f) => a + f.size, 0), createdAt: run.startTime ?? undefined, where: [], runs: [], files: [] }));
    if (!v.runs.some((r) => r.id === run.id)) v.runs.push(run);
    if (!v.where!.includes(where)) v.where!.push(where);
    v.files.push(...files);
    // A version was made by the first run that wrote it; later runs with the same bytes reproduced it.
    if (run.startTime !== null && (v.createdAt === undefined || run.startTime < v.createdAt)) v.createdAt = run.startTime;
  }
  for (const v of versions.values()) v.runs.sort((a, b) => (a.startTime ?? 0) - (b.startTime ?? 0));
  return {
    key: model.key,
    name: model.name,
    kind: 'file',
    experimentName: model.experimentName,
    versions: [...versions.values()].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.where!.join().localeCompare(a.where!.join(), undefined, { numeric: true })),
  };
}

/** Every model with its versions (files hashed with `hash`). */
export function modelCatalog(store: Store, hash: FileHasher): CatalogModel[] {
  return [...indexedModels(store), ...fileModels(store).map((m) => fileVersions(m, hash))];
}

/** A model file a DVC stage writes (a `dvc.lock` out), with the runs that wrote each of its md5s. */
export interface DvcModel {
  key: string;
  /** As the lock file names it. */
  name: string;
  abs: string;
  /** md5 → ids of the runs that wrote it. */
  writers: Map<string, string[]>;
}

/** DVC outs that are models (`model.pkl`, `model.onnx`, …), from the index: no file is read. */
export function dvcModels(store: Store): DvcModel[] {
  const out = new Map<string, DvcModel>();
  for (const d of store.datasets()) {
    if (d.role !== 'out' || !isModelArtifact({ kind: artifactKind(d.path), path: d.path })) continue;
    const run = store.getRun(d.runIds[0]);
    const abs = run ? path.resolve(projectDir(run), d.path) : d.path;
    let m = out.get(abs);
    if (!m) out.set(abs, (m = { key: `dvc:${abs}`, name: d.path, abs, writers: new Map() }));
    m.writers.set(d.version, [...(m.writers.get(d.version) ?? []), ...d.runIds]);
  }
  return [...out.values()];
}

/**
 * A DVC-tracked model's versions: every md5 its lock entry had in git history (newest first, dated by the
 * commit that recorded it), and any md5 a run wrote that git does not show yet (an uncommitted lock).
 */
export function dvcModelVersions(store: Store, model: DvcModel, history: DatasetHistory | undefined): CatalogModel {
  const run = (id: string) => store.getRun(id);
  const runsOf = (md5: string) => (model.writers.get(md5) ?? []).flatMap((id) => {
    const r = run(id);
    return r ? [toRun(r)] : [];
  });
  const versions: CatalogVersion[] = (history?.versions ?? []).map((v) => ({
    id: v.id,
    label: v.id.slice(0, 12),
    hash: v.md5,
    size: v.size,
    createdAt: v.commits.length ? Date.parse(v.commits[v.commits.length - 1].date) : undefined,
    description: v.commits[0] ? `${v.commits[0].sha.slice(0, 8)} ${v.commits[0].subject}` : undefined,
    source: history ? path.relative(history.root, history.trackedBy) : undefined,
    runs: runsOf(v.id),
    files: [],
  }));
  for (const md5 of model.writers.keys()) {
    if (!versions.some((v) => v.id === md5)) versions.unshift({ id: md5, label: md5.slice(0, 12), hash: md5, description: 'not committed', runs: runsOf(md5), files: [] });
  }
  return { key: model.key, name: model.name, kind: 'dvc', versions };
}
