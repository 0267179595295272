/**
 * MLflow file store (`mlruns/`): experiments (`<id>/meta.yaml`), runs (`<exp>/<run>/meta.yaml`, `params/`,
 * `tags/`, `metrics/` lines of `timestamp value [step]`), `.trash` (deleted experiments and runs), artifacts,
 * and the MLflow 3 `models/` layout (logged models with their params and metrics).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactKind } from '../model';
import type { Artifact, DatasetInput, Diagnostic, Lifecycle, Run, RunStatus } from '../model';
import { readMlflowMetricFile } from './mlflowMetrics';
import { mlflowLatest } from './mlflowOrder';
import { childPath, readSmallFile, readRegularFile } from './files';
import { native } from '../native/native';
import { OUTSIDE_FILE, outsideLinkMessage } from '../artifacts/confine';
import { parseYaml } from './yaml';

export const MLFLOW_STATUS: Record<string, RunStatus> = {
  '1': 'RUNNING',
  '2': 'SCHEDULED',
  '3': 'FINISHED',
  '4': 'FAILED',
  '5': 'KILLED',
  RUNNING: 'RUNNING',
  SCHEDULED: 'SCHEDULED',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
};

/** Listing caps keep a pathological artifact folder from stalling the index. */
export const MAX_ARTIFACTS = 5000;
export const MAX_DEPTH = 12;

export interface MlflowExperimentDir {
  nativeId: string;
  dir: string;
  name: string;
  lifecycle: Lifecycle;
  createdAt?: number;
  inTrash: boolean;
  diagnostics: Diagnostic[];
}

export interface MlflowRunDir {
  experiment: MlflowExperimentDir;
  runId: string;
  dir: string;
}

export interface MlflowLoggedModel {
  modelId: string;
  name: string;
  experimentId: string;
  sourceRunId?: string;
  createdAt?: number;
  status?: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  /** The model's files (`MLmodel` and the rest): its artifacts folder, or its artifact_location as written. */
  dir: string;
}

const RUN_DIR_RE = /^[0-9a-f]{32}$/i;

/** Lists experiments (live and trashed) of a store; reads only each experiment's meta.yaml. */
export function listMlflowExperiments(storeRoot: string): MlflowExperimentDir[] {
  const out: MlflowExperimentDir[] = [];
  const scan = (dir: string, inTrash: boolean): void => {
    for (const entry of safeReaddir(dir)) {
      if (!entry.isDirectory()) continue;
      if (entry.name === '.trash') {
        if (!inTrash) scan(path.join(dir, entry.name), true);
        continue;
      }
      if (entry.name.startsWith('.') || entry.name === 'models') continue;
      const exp = readMlflowExperiment(path.join(dir, entry.name), inTrash);
      if (exp) out.push(exp);
    }
  };
  scan(storeRoot, false);
  return out;
}

/** One experiment folder, or undefined when it has no meta.yaml (not an experiment). */
export function readMlflowExperiment(expDir: string, inTrash: boolean): MlflowExperimentDir | undefined {
  const metaFile = path.join(expDir, 'meta.yaml');
  if (!fs.existsSync(metaFile)) return undefined;
  const diagnostics: Diagnostic[] = [];
  const meta = readMeta(metaFile, diagnostics);
  const name = path.basename(expDir);
  return {
    nativeId: str(meta.experiment_id) ?? name,
    dir: expDir,
    name: str(meta.name) ?? name,
    lifecycle: inTrash || meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    createdAt: num(meta.creation_time),
    inTrash,
    diagnostics,
  };
}

/** Run folders of an experiment. A folder without meta.yaml is still a run (reported, not dropped). */
export function listMlflowRunDirs(exp: MlflowExperimentDir): MlflowRunDir[] {
  const out: MlflowRunDir[] = [];
  for (const entry of safeReaddir(exp.dir)) {
    if (entry.isDirectory() && RUN_DIR_RE.test(entry.name)) out.push({ experiment: exp, runId: entry.name, dir: childPath(exp.dir, entry.name) });
  }
  return out;
}

export interface MlflowRunHeader {
  run: Omit<Run, 'id' | 'experimentId'>;
  diagnostics: Diagnostic[];
}

/** Reads a run's meta, params, tags and artifact listing (everything except metric points). */
export function readMlflowRunHeader(rd: MlflowRunDir, listed?: Record<string, { size: number }>): MlflowRunHeader {
  return readListedMlflowRunHeader(rd, listed && { hasMeta: path.join(rd.dir, 'meta.yaml') in listed, folders: listedFiles(listed, rd.dir) });
}

/**
 * readMlflowRunHeader with the run's files from the caller's listing of the run folder (listMlflowRun),
 * by folder; without one, they are walked here.
 */
export function readListedMlflowRunHeader(rd: MlflowRunDir, listed?: { hasMeta: boolean; folders: RunFolders }): MlflowRunHeader {
  const diagnostics: Diagnostic[] = [];
  const metaFile = path.join(rd.dir, 'meta.yaml');
  const filesOf = (folder: string) => (listed ? listed.folders.get(folder) ?? [] : walkedFiles(path.join(rd.dir, folder)));
  let meta: Record<string, unknown> = {};
  if (listed?.hasMeta || fs.existsSync(metaFile)) meta = readMeta(metaFile, diagnostics);
  else diagnostics.push({ file: metaFile, severity: 'warning', message: 'run folder has no meta.yaml; showing what its files hold' });
  const params = readKeyFiles(filesOf('params'), diagnostics);
  const tags = readKeyFiles(filesOf('tags'), diagnostics);
  const datasets = readDatasetInputs(rd, filesOf('inputs'), diagnostics);
  const statusText = str(meta.status);
  const status = statusText === undefined ? 'UNKNOWN' : MLFLOW_STATUS[statusText] ?? 'UNKNOWN';
  if (statusText !== undefined && !MLFLOW_STATUS[statusText]) {
    diagnostics.push({ file: metaFile, severity: 'warning', message: `unknown run status ${JSON.stringify(statusText)}` });
  }
  const artifacts = listArtifacts(path.join(rd.dir, 'artifacts'), filesOf('artifacts'), diagnostics);
  const runId = str(meta.run_id) ?? str(meta.run_uuid) ?? rd.runId;
  const lifecycle: Lifecycle = rd.experiment.lifecycle === 'deleted' || meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active';
  return {
    run: {
      format: 'mlflow',
      nativeId: runId,
      name: tags['mlflow.runName'] || str(meta.run_name) || str(meta.name) || runId.slice(0, 8),
      status,
      lifecycle,
      startTime: num(meta.start_time),
      endTime: num(meta.end_time),
      user: tags['mlflow.user'] || str(meta.user_id) || undefined,
      sourceScript: tags['mlflow.source.name'] || str(meta.source_name) || undefined,
      gitCommit: tags['mlflow.source.git.commit'] || str(meta.source_version) || undefined,
      parentRunId: tags['mlflow.parentRunId'] || undefined,
      path: rd.dir,
      params,
      tags,
      artifacts,
      ...(datasets.length > 0 ? { datasets } : {}),
    },
    diagnostics,
  };
}

/**
 * The datasets a run logged as inputs (`mlflow.log_input`): `inputs/<id>/meta.yaml` names a dataset of the
 * experiment (`<experiment>/datasets/<id>/meta.yaml`: name, digest, source) and holds the input's tags (its
 * context). In the order of the input folders' names (the file store keeps no other).
 */
function readDatasetInputs(rd: MlflowRunDir, inputs: RunFile[], diagnostics: Diagnostic[]): DatasetInput[] {
  const out: DatasetInput[] = [];
  for (const [metaFile, rel] of [...inputs].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))) {
    if (!/^[^/]+\/meta\.yaml$/.test(rel)) continue;
    const input = readMeta(metaFile, diagnostics);
    if (input.source_type !== 'DATASET' || typeof input.source_id !== 'string' || !/^[\w-]+$/.test(input.source_id)) continue;
    const datasetFile = path.join(rd.experiment.dir, 'datasets', input.source_id, 'meta.yaml');
    if (!fs.existsSync(datasetFile)) {
      diagnostics.push({ file: metaFile, severity: 'warning', message: `input dataset ${input.source_id} has no ${path.relative(rd.experiment.dir, datasetFile)}` });
      continue;
    }
    const ds = readMeta(datasetFile, diagnostics);
    const inputTags = input.tags !== null && typeof input.tags === 'object' ? (input.tags as Record<string, unknown>) : {};
    out.push(datasetInput(str(ds.name) ?? input.source_id, str(ds.digest) ?? input.source_id, str(inputTags['mlflow.data.context']), str(ds.source), str(ds.source_type)));
  }
  return out;
}

/** A DatasetInput without the fields its store did not record. */
export function datasetInput(name: string, digest: string, context?: string, source?: string, sourceType?: string): DatasetInput {
  const d: DatasetInput = { name, digest };
  if (context) d.context = context;
  if (source) d.source = source;
  if (sourceType) d.sourceType = sourceType;
  return d;
}

/** Metric files of a run: key (may contain '/') → absolute file path. */
export function listMlflowMetricFiles(runDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const root = path.join(runDir, 'metrics');
  walkFiles(root, MAX_DEPTH, (file, rel) => out.set(rel, file));
  return out;
}

/** MLflow 3 logged models: `<exp>/models/m-<id>/` with meta.yaml, params/, metrics/. */
export function listMlflowLoggedModels(exp: MlflowExperimentDir, diagnostics: Diagnostic[]): MlflowLoggedModel[] {
  const out: MlflowLoggedModel[] = [];
  const root = path.join(exp.dir, 'models');
  for (const entry of safeReaddir(root)) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    const metaFile = path.join(dir, 'meta.yaml');
    const meta = fs.existsSync(metaFile) ? readMeta(metaFile, diagnostics) : {};
    const metrics: Record<string, number> = Object.create(null);
    for (const [key, file] of listMlflowMetricFiles(dir)) {
      const read = readMlflowMetricFile(file);
      diagnostics.push(...read.diagnostics.filter((d) => d.severity !== 'info'));
      const latest = mlflowLatest(read.points);
      if (latest) metrics[key] = latest.value;
    }
    out.push({
      modelId: str(meta.model_id) ?? entry.name,
      name: str(meta.name) ?? entry.name,
      experimentId: exp.nativeId,
      sourceRunId: str(meta.source_run_id),
      createdAt: num(meta.creation_timestamp),
      status: loggedModelStatus(meta.status),
      params: readKeyFiles(walkedFiles(path.join(dir, 'params')), diagnostics),
      metrics,
      // meta.yaml's artifact_location is a path on the machine that logged it; the folder is here.
      dir: path.join(dir, 'artifacts'),
    });
  }
  return out;
}

/** MLflow's LoggedModelStatus by the number both stores keep. */
const LOGGED_MODEL_STATUS: Record<string, string> = { '0': 'UNSPECIFIED', '1': 'PENDING', '2': 'READY', '3': 'FAILED' };

/** A logged model's status by name (2: READY); a value that is not one of MLflow's numbers as it is. */
export function loggedModelStatus(v: unknown): string | undefined {
  const s = str(v);
  return s === undefined ? undefined : (LOGGED_MODEL_STATUS[s] ?? s);
}

/** One version of a registered model, as both MLflow stores keep it. */
export interface MlflowModelVersion {
  name: string;
  version: number;
  createdAt?: number;
  stage?: string;
  status?: string;
  /** Where the version's files are: a run's artifact path, `runs:/…`, `models:/m-…`. */
  source: string;
  runId?: string;
  description?: string;
  aliases: string[];
  tags: Record<string, string>;
}

/**
 * The file store's model registry: `mlruns/models/<name>/meta.yaml`, `version-<N>/meta.yaml` (with
 * `tags/`), and `aliases/<alias>` files holding a version number.
 */
export function readMlflowRegistry(storeRoot: string, diagnostics: Diagnostic[]): MlflowModelVersion[] {
  const out: MlflowModelVersion[] = [];
  const root = path.join(storeRoot, 'models');
  for (const entry of safeReaddir(root)) {
    if (!entry.isDirectory()) continue;
    const modelDir = path.join(root, entry.name);
    const modelMeta = fs.existsSync(path.join(modelDir, 'meta.yaml')) ? readMeta(path.join(modelDir, 'meta.yaml'), diagnostics) : {};
    const name = str(modelMeta.name) ?? entry.name;
    const aliases = new Map<number, string[]>();
    for (const [alias, text] of Object.entries(readKeyFiles(walkedFiles(path.join(modelDir, 'aliases')), diagnostics))) {
      const v = Number(text.trim());
      if (Number.isInteger(v)) aliases.set(v, [...(aliases.get(v) ?? []), alias]);
    }
    for (const v of safeReaddir(modelDir)) {
      const m = /^version-(\d+)$/.exec(v.name);
      if (!v.isDirectory() || !m) continue;
      const metaFile = path.join(modelDir, v.name, 'meta.yaml');
      if (!fs.existsSync(metaFile)) {
        diagnostics.push({ file: path.join(modelDir, v.name), severity: 'warning', message: 'registered model version without meta.yaml' });
        continue;
      }
      const meta = readMeta(metaFile, diagnostics);
      const version = num(meta.version) ?? Number(m[1]);
      out.push({
        name,
        version,
        createdAt: num(meta.creation_timestamp),
        stage: str(meta.current_stage),
        status: str(meta.status),
        source: str(meta.source) ?? '',
        runId: str(meta.run_id) || undefined,
        description: str(meta.description) || undefined,
        aliases: aliases.get(version) ?? [],
        tags: readKeyFiles(walkedFiles(path.join(modelDir, v.name, 'tags')), diagnostics),
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8, or — for files some tool wrote in a legacy encoding — Latin-1 with a located warning. */
function decodeText(bytes: Buffer, file: string, diagnostics: Diagnostic[]): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    diagnostics.push({ file, offset: bad, line: lineAt(bytes, bad), severity: 'warning', message: `not valid UTF-8 (byte 0x${bytes[bad]?.toString(16).padStart(2, '0')} at offset ${bad}); read as Latin-1` });
    return bytes.toString('latin1');
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += n;
  }
  return i;
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 10) line++;
  return line;
}

function readMeta(file: string, diagnostics: Diagnostic[]): Record<string, unknown> {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file);
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot read: ${(err as Error).message}` });
    return {};
  }
  const text = decodeText(bytes, file, diagnostics);
  const parsed = parseYaml(text, file);
  diagnostics.push(...parsed.diagnostics);
  if (parsed.value === undefined || parsed.value === null) {
    if (parsed.diagnostics.length === 0) diagnostics.push({ file, severity: 'warning', message: 'meta.yaml is empty' });
    return {};
  }
  if (typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    diagnostics.push({ file, line: 1, severity: 'error', message: 'meta.yaml is not a mapping' });
    return {};
  }
  return parsed.value as Record<string, unknown>;
}

/**
 * A regular file of a run folder: its path, its path below the folder it is in (with '/'), its size, and
 * its content where the listing read it (PackedMlflowListing: params and tags).
 */
export type RunFile = [file: string, rel: string, size: number, content?: string];

/** The files of a run folder by the folder of the run they are in (params, tags…). */
export type RunFolders = Map<string, RunFile[]>;

/**
 * The files of a listing of run folder `dir` (listMlflowRun: the same depth, no symlinks) by the folder of
 * the run they are in (params, tags…), in one pass.
 */
function listedFiles(listed: Record<string, { size: number }>, dir: string): RunFolders {
  const prefix = dir + path.sep;
  const out = new Map<string, RunFile[]>();
  for (const file of Object.keys(listed)) {
    if (!file.startsWith(prefix)) continue;
    const cut = file.indexOf(path.sep, prefix.length);
    if (cut < 0) continue;
    const folder = file.slice(prefix.length, cut);
    let rel = file.slice(cut + 1);
    if (rel.includes(path.sep)) rel = rel.split(path.sep).join('/');
    let files = out.get(folder);
    if (!files) out.set(folder, (files = []));
    files.push([file, rel, listed[file].size]);
  }
  return out;
}

function walkedFiles(root: string): RunFile[] {
  const out: RunFile[] = [];
  walkFiles(root, MAX_DEPTH, (file, rel, size) => void out.push([file, rel, size]));
  return out;
}

/** `params/` and `tags/`: one file per key, the file's whole content is the value; keys may nest in folders. */
function readKeyFiles(listed: RunFile[], diagnostics: Diagnostic[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // keys are file names: `__proto__` is one
  // A link out of the workspace and the store is reported, never opened.
  const files = listed.some((f) => f[2] === OUTSIDE_FILE) ? listed.filter((f) => f[2] !== OUTSIDE_FILE || void diagnostics.push({ file: f[0], severity: 'warning', message: outsideLinkMessage(f[0]) })) : listed;
  if (files.every((f) => f[3] !== undefined)) {
    for (const f of files) out[f[1]] = f[3]!;
    return out;
  }
  const read = files.length > 1 ? native()?.readFiles(files.map((f) => f[0]).join('\0')) : undefined;
  if (read && read[1].length === files.length) {
    const [bytes, ends] = read;
    let start = 0;
    for (let i = 0; i < files.length; i++) {
      if (ends[i] < 0) {
        readKeyFile(files[i], out, diagnostics);
        continue;
      }
      out[files[i][1]] = bytes.toString('utf8', start, ends[i]);
      start = ends[i];
    }
    return out;
  }
  for (const f of files) readKeyFile(f, out, diagnostics);
  return out;
}

function readKeyFile([file, rel]: RunFile, out: Record<string, string>, diagnostics: Diagnostic[]): void {
  try {
    out[rel] = readSmallFile(file);
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot read: ${(err as Error).message}` });
  }
}

/**
 * The artifacts in folder `root` of a listing of it (`listed`, made to the same depth, without following
 * symlinks): a run's artifact folder found elsewhere than in its run folder (mlflow.db's artifact_uri).
 */
export function listedArtifacts(root: string, listed: Record<string, { size: number }>, diagnostics: Diagnostic[]): Artifact[] {
  return listArtifacts(root, listedFiles(listed, path.dirname(root)).get(path.basename(root)) ?? [], diagnostics);
}

function listArtifacts(root: string, listed: RunFile[], diagnostics: Diagnostic[]): Artifact[] {
  // A FIFO or a device (listed with a negative size) is no artifact: said, not listed.
  const files = listed.filter((f) => f[2] >= 0 || void diagnostics.push({ file: f[0], severity: 'warning', message: 'not a regular file (a FIFO, a device or a socket): not listed' }));
  const out = files.slice(0, MAX_ARTIFACTS).map(([, rel, size]) => ({ path: rel, size, kind: artifactKind(rel) }));
  if (files.length > MAX_ARTIFACTS) diagnostics.push({ file: root, severity: 'info', message: `more than ${MAX_ARTIFACTS} artifacts; listing cut` });
  return out;
}

/** Walks regular files below `root` without following symlinks, giving paths relative to root with '/'. */
export function walkFiles(root: string, maxDepth: number, onFile: (file: string, rel: string, size: number) => void): void {
  const visit = (dir: string, rel: string, depth: number): void => {
    if (depth > maxDepth) return;
    for (const entry of safeReaddir(dir)) {
      const full = path.join(dir, entry.name);
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(full, childRel, depth + 1);
      else if (entry.isFile()) {
        let size = 0;
        try {
          size = fs.statSync(full).size;
        } catch {
          continue;
        }
        onFile(full, childRel, size);
      }
    }
  };
  visit(root, '', 0);
}

export function safeReaddir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v);
  return s.length > 0 ? s : undefined;
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
