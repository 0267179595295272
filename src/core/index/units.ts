/**
 * Units of indexing: the smallest things re-read when their files change — an MLflow run folder, an MLflow
 * experiment (meta + logged models), an MLflow database, a TensorBoard log directory. Each unit lists its
 * files (for fingerprints) and knows how to write itself into the store, fully or from resume offsets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DiscoveredSource } from '../discovery';
import type { Diagnostic, Format } from '../model';
import {
  MAX_ARTIFACTS,
  MAX_DEPTH,
  listedArtifacts,
  listMlflowExperiments,
  listMlflowLoggedModels,
  listMlflowRunDirs,
  readMlflowExperiment,
  readMlflowRegistry,
  readMlflowRunHeader,
} from '../formats/mlflow';
import type { MlflowExperimentDir, MlflowLoggedModel, MlflowModelVersion, MlflowRunDir, MlflowRunHeader } from '../formats/mlflow';
import { localArtifactRoot, readMlflowDatabase } from '../formats/mlflowdb';
import { EVENT_FILE_RE, readEventFile } from '../formats/tensorboard';
import { DrainedColumns } from '../formats/columns';
import { readMlflowMetricColumns, type MetricFileRead } from '../formats/mlflowMetrics';
import type { PackedRun, ReadAhead, ReadAheadFile, ReadAheadRequest } from './readAhead';
import type { SeriesWriter, Store } from './store';
import { appendsInOrder, listMlflowRun, listTree, statFiles } from './listing';
import { dvcUnit, huggingfaceUnit, kerasUnit, lightningUnit, wandbUnit } from './frameworkUnits';
import { listTensorboardRun, newTensorboardExtra, tensorboardArtifacts, tensorboardRunIsEmpty, tensorboardSink, type TensorboardExtra } from './tensorboardRun';
import type { Listing } from './listing';
import { stableId } from './store';
import { childPath } from '../formats/files';
import { insideFolders, outsideMessage } from '../artifacts/confine';

export interface FileState {
  size: number;
  mtime: number;
  ino: number;
  /** Resume offset for append-only files. */
  offset?: number;
  /**
   * The bytes just before `offset` (hex, up to 32): a file that grew is only read from `offset` when they
   * are still there — a file rewritten with different content and a larger size is read again whole.
   */
  tail?: string;
  line?: number;
}

export interface UnitState {
  files: Record<string, FileState>;
  /** Folder mtimes from the last listing (see listing.ts). */
  dirs?: Record<string, number>;
  extra?: Record<string, unknown>;
  /** How to build the unit again without discovery (live updates of one unit). */
  origin?: UnitOrigin;
}

export interface UnitOrigin {
  source: DiscoveredSource;
  /** The unit's own folder (MLflow run or experiment folder); absent for database and log-dir units. */
  dir?: string;
  inTrash?: boolean;
}

export type FileChange = 'same' | 'append' | 'new' | 'changed';

export interface UnitReadContext {
  store: Store;
  prev: UnitState | undefined;
  /** Current fingerprints of the unit's files. */
  now: Record<string, FileState>;
  /** Per-file change since `prev`; incremental reads use 'append'/'new' files only. */
  changes: Record<string, FileChange>;
  incremental: boolean;
  cancelled?: () => boolean;
  /** Metric files of MLflow runs read ahead by worker threads (cold index). */
  readAhead?: ReadAhead;
}

export interface UnitReadResult {
  state: UnitState;
  diagnostics: Diagnostic[];
  /** Files whose diagnostics were replaced by this read (incremental reads keep the others). */
  reread?: Set<string>;
  points: number;
}

/** Every kind of unit; a unit's key is `<kind>:<path>`. */
export const UNIT_KINDS = ['mlflow-run', 'tensorboard-run', 'lightning-run', 'huggingface-output', 'keras-log', 'wandb-run', 'dvc-project', 'mlflow-experiment', 'mlflow-registry', 'mlflow-db'] as const;

export type UnitKind = (typeof UNIT_KINDS)[number];

export interface Unit {
  key: string;
  origin: UnitOrigin;
  kind: UnitKind;
  /** Whether appended files can be read from their last offset instead of re-reading the unit. */
  appendable: boolean;
  /**
   * Small files the unit reads whole on every pass (a summary rewritten as training goes): their changes
   * do not force the unit's appended files to be read again from the start.
   */
  rewritable?(file: string): boolean;
  /** Whether a change at `file` is this unit's to read (watcher events are routed with it). */
  owns(file: string): boolean;
  /** The unit's files with their fingerprints; `prev` lets unchanged folders skip readdir and stat. */
  fingerprint(prev: UnitState | undefined): Listing;
  /**
   * Whether the fingerprint is made only of statFiles and listTree over fixed paths, so that its probes
   * (Listing.probes) tell an unchanged unit on their own. Not for units that find their files another way
   * (a readdir of their own, git refs).
   */
  probed?: boolean;
  /**
   * Whether the fingerprint also looks at files found by the unit's last read (`prev.files`: those a DVC
   * project's dvc.yaml names): the probes of a listing made before a read lack what that read found, so a
   * read keeps none, and the next pass lists the unit in full and keeps its probes from then on.
   */
  listsFromState?: boolean;
  /** What read-ahead threads need to read this unit before the indexer gets to it (MLflow runs). */
  ahead?: ReadAheadRequest;
  read(ctx: UnitReadContext): UnitReadResult;
  /**
   * Writes the rows of a unit never indexed that a read-ahead thread read whole (`packed`), in place of
   * `fingerprint` and `read`: the indexer keeps the state and probes the thread made.
   */
  readPacked?(store: Store, readAhead: ReadAhead, packed: PackedRun): { diagnostics: Diagnostic[]; points: number };
}

/** Formats whose every source is one unit (an MLflow store is many: see mlflowStoreUnits). */
const ONE_UNIT: Record<Exclude<Format, 'mlflow'>, { kind: UnitKind; make: (source: DiscoveredSource) => Unit }> = {
  'mlflow-db': { kind: 'mlflow-db', make: mlflowDbUnit },
  tensorboard: { kind: 'tensorboard-run', make: tensorboardUnit },
  lightning: { kind: 'lightning-run', make: lightningUnit },
  huggingface: { kind: 'huggingface-output', make: huggingfaceUnit },
  keras: { kind: 'keras-log', make: kerasUnit },
  wandb: { kind: 'wandb-run', make: wandbUnit },
  dvc: { kind: 'dvc-project', make: dvcUnit },
};

/** The folders `source`'s runs may name files in: the workspace folders and configured sources, and its own `store` folder. */
function allowedFolders(source: DiscoveredSource, store: string): string[] {
  return [...(source.allowed ?? [source.root]), store];
}

export function unitsOfSource(source: DiscoveredSource): Unit[] {
  return source.format === 'mlflow' ? mlflowStoreUnits(source) : [ONE_UNIT[source.format].make(source)];
}

function isUnder(file: string, dir: string): boolean {
  return file.startsWith(dir + path.sep);
}

// ---- MLflow file store ----

function mlflowStoreUnits(source: DiscoveredSource): Unit[] {
  const units: Unit[] = [];
  for (const exp of listMlflowExperiments(source.path)) {
    const experimentId = mlflowExperimentId(source, exp);
    units.push(mlflowExperimentUnit(source, exp, experimentId));
    for (const rd of listMlflowRunDirs(exp)) units.push(mlflowRunUnit(source, rd, experimentId));
  }
  if (fs.existsSync(path.join(source.path, 'models'))) units.push(mlflowRegistryUnit(source));
  return units;
}

function mlflowExperimentId(source: DiscoveredSource, exp: MlflowExperimentDir): string {
  return stableId('mlflow', source.path, exp.nativeId, exp.inTrash ? 'trash' : '');
}

/** Rebuilds a unit from the origin stored with it, or undefined when its folder is gone. */
export function unitFromOrigin(kind: UnitKind, origin: UnitOrigin): Unit | undefined {
  const { source } = origin;
  if (kind === 'mlflow-experiment') {
    const exp = origin.dir ? readMlflowExperiment(origin.dir, origin.inTrash ?? false) : undefined;
    return exp && mlflowExperimentUnit(source, exp, mlflowExperimentId(source, exp));
  }
  if (kind === 'mlflow-run') {
    if (!origin.dir) return undefined;
    const exp = readMlflowExperiment(path.dirname(origin.dir), origin.inTrash ?? false);
    return exp && mlflowRunUnit(source, { experiment: exp, runId: path.basename(origin.dir), dir: origin.dir }, mlflowExperimentId(source, exp));
  }
  if (kind === 'mlflow-registry') return fs.existsSync(path.join(source.path, 'models')) ? mlflowRegistryUnit(source) : undefined;
  const one = source.format === 'mlflow' ? undefined : ONE_UNIT[source.format];
  return one?.kind === kind ? one.make(source) : undefined;
}

function mlflowExperimentUnit(source: DiscoveredSource, exp: MlflowExperimentDir, experimentId: string): Unit {
  const key = `mlflow-experiment:${exp.dir}`;
  return {
    key,
    origin: { source, dir: exp.dir, inTrash: exp.inTrash },
    owns: (f) => f === path.join(exp.dir, 'meta.yaml') || isUnder(f, path.join(exp.dir, 'models')),
    kind: 'mlflow-experiment',
    appendable: false,
    probed: true,
    fingerprint(prev) {
      const out = statFiles([path.join(exp.dir, 'meta.yaml')]);
      listTree(path.join(exp.dir, 'models'), 8, out, prev, 'names');
      return out;
    },
    read(ctx) {
      const diagnostics: Diagnostic[] = [...exp.diagnostics];
      ctx.store.upsertExperiment(key, { id: experimentId, source: source.path, format: 'mlflow', nativeId: exp.nativeId, name: exp.name, lifecycle: exp.lifecycle, createdAt: exp.createdAt });
      ctx.store.clearModelsOfUnit(key);
      for (const m of listMlflowLoggedModels(exp, diagnostics)) putLoggedModel(ctx.store, key, source.path, experimentId, m);
      return { state: { files: ctx.now }, diagnostics, points: 0 };
    },
  };
}

/** A logged model (MLflow 3), as either store keeps it, in the store's `models` rows. */
function putLoggedModel(store: Store, unit: string, source: string, experimentId: string, m: MlflowLoggedModel): void {
  store.putModel(unit, {
    id: stableId('mlflow-model', source, m.modelId),
    experimentId,
    nativeId: m.modelId,
    name: m.name,
    sourceRunNativeId: m.sourceRunId,
    createdAt: m.createdAt,
    status: m.status,
    params: m.params,
    metrics: m.metrics,
    path: m.dir,
  });
}

/** Registered model versions as MLflow's registry keeps them, in the store's `models` rows. */
export function putRegisteredVersions(store: Store, unit: string, source: string, versions: MlflowModelVersion[]): void {
  for (const v of versions) {
    store.putModel(unit, {
      id: stableId('mlflow-registered', source, v.name, String(v.version)),
      experimentId: '',
      nativeId: `${v.name}/${v.version}`,
      name: v.name,
      sourceRunNativeId: v.runId,
      createdAt: v.createdAt,
      status: v.status,
      params: v.tags,
      metrics: {},
      path: v.source,
      kind: 'registered',
      version: v.version,
      stage: v.stage,
      aliases: v.aliases,
      description: v.description,
    });
  }
}

/** The file store's model registry (`mlruns/models/`): one unit, re-read whole when any file in it changes. */
function mlflowRegistryUnit(source: DiscoveredSource): Unit {
  const root = path.join(source.path, 'models');
  const key = `mlflow-registry:${root}`;
  return {
    key,
    origin: { source },
    owns: (f) => isUnder(f, root),
    kind: 'mlflow-registry',
    appendable: false,
    probed: true,
    fingerprint(prev) {
      const out = statFiles([]);
      listTree(root, 6, out, prev, 'fingerprints');
      return out;
    },
    read(ctx) {
      const diagnostics: Diagnostic[] = [];
      ctx.store.clearModelsOfUnit(key);
      putRegisteredVersions(ctx.store, key, source.path, readMlflowRegistry(source.path, diagnostics));
      return { state: { files: ctx.now }, diagnostics, points: 0 };
    },
  };
}

function mlflowRunUnit(source: DiscoveredSource, rd: MlflowRunDir, experimentId: string): Unit {
  const key = `mlflow-run:${rd.dir}`;
  const metricsDir = childPath(rd.dir, 'metrics') + path.sep;
  return {
    key,
    origin: { source, dir: rd.dir, inTrash: rd.experiment.inTrash },
    owns: (f) => isUnder(f, rd.dir),
    kind: 'mlflow-run',
    appendable: true,
    probed: true,
    ahead: { kind: 'mlflow', dir: rd.dir, run: rd, within: allowedFolders(source, source.path) },
    fingerprint: (prev) => listMlflowRun(rd.dir, prev, allowedFolders(source, source.path)),
    read(ctx) {
      const { store } = ctx;
      const { rid, diagnostics } = putHeader(store, ctx.readAhead?.header(rd.dir) ?? readMlflowRunHeader(rd, ctx.now), !ctx.incremental);
      const reread = new Set<string>();
      // The listing's own record, completed with resume offsets (a copy of a record of tens of paths costs
      // more than the rest of a run's bookkeeping; the listing is not used after the read).
      const state: UnitState = { files: ctx.now };
      let points = 0;
      for (const file of metricFilesOf(Object.keys(ctx.now))) {
        const change = ctx.changes[file] ?? 'new';
        const prevFile = ctx.prev?.files[file];
        let offset = 0;
        let line = 1;
        if (ctx.incremental) {
          if (change === 'same') {
            state.files[file] = { ...ctx.now[file], offset: prevFile?.offset, line: prevFile?.line };
            continue;
          }
          if (change === 'append' && prevFile?.offset !== undefined) {
            offset = prevFile.offset;
            line = prevFile.line ?? 1;
          }
        }
        reread.add(file);
        const writer = store.seriesWriter(rid, metricKey(file), offset === 0, true);
        const ahead = offset === 0 ? ctx.readAhead?.take(rd.dir, file) : undefined;
        let read: Omit<MetricFileRead, 'deferred'>;
        if (ahead) read = putAhead(writer, ahead);
        else read = readMlflowMetricColumns(file, offset, line, (steps, times, values, from, to) => writer.pushRange(steps, times, values, from, to), ctx.now[file].size);
        writer.close();
        diagnostics.push(...read.diagnostics);
        points += read.points;
        const st = state.files[file];
        if (st) [st.offset, st.line, st.tail] = [read.endOffset, read.nextLine, read.tail];
      }
      for (const f of Object.keys(ctx.now)) if (!f.includes(`${path.sep}metrics${path.sep}`)) reread.add(f);
      reread.add(path.join(rd.dir, 'meta.yaml'));
      return { state, diagnostics, reread, points };
    },
    readPacked(store, readAhead, packed) {
      const { rid, diagnostics } = putHeader(store, readAhead.header(rd.dir)!, true);
      let points = 0;
      for (const file of metricFilesOf(packed.metricFiles)) {
        const writer = store.seriesWriter(rid, metricKey(file), true, true);
        const read = putAhead(writer, readAhead.take(rd.dir, file)!);
        writer.close();
        diagnostics.push(...read.diagnostics);
        points += read.points;
      }
      return { diagnostics, points };
    },
  };

  /** The run's row with its params, tags and artifacts (`clear`: its rows from an earlier read first). */
  function putHeader(store: Store, header: MlflowRunHeader, clear: boolean): { rid: number; diagnostics: Diagnostic[] } {
    if (clear) store.clearUnitRuns(key);
    let run = header.run;
    let diagnostics = header.diagnostics;
    // An `artifacts` folder that is a link out of the workspace and the store: not listed (a link to `/`).
    const artifactsDir = path.join(rd.dir, 'artifacts');
    if (run.artifacts.length > 0 && fs.lstatSync(artifactsDir, { throwIfNoEntry: false })?.isSymbolicLink() && !insideFolders(artifactsDir, allowedFolders(source, source.path))) {
      run = { ...run, artifacts: [] };
      diagnostics = [...diagnostics, { file: artifactsDir, severity: 'warning', message: outsideMessage('symbolic link', artifactsDir) }];
    }
    return { rid: store.putRun(key, { ...run, id: stableId('mlflow', source.path, run.nativeId), experimentId }), diagnostics };
  }

  /** The run's metric files among `files`, in the order their series are written. */
  function metricFilesOf(files: string[]): string[] {
    return files.filter((f) => f.startsWith(metricsDir)).sort();
  }

  function metricKey(file: string): string {
    const key = file.slice(metricsDir.length);
    return path.sep === '/' || !key.includes(path.sep) ? key : key.split(path.sep).join('/');
  }
}

/** A metric file a read-ahead thread read and encoded, written as a new series. */
function putAhead(writer: SeriesWriter, ahead: ReadAheadFile): Omit<MetricFileRead, 'deferred'> {
  writer.putEncoded(ahead.series);
  return { endOffset: ahead.endOffset, nextLine: ahead.nextLine, tail: ahead.tail, diagnostics: ahead.diagnostics, points: ahead.series.summary.count };
}

// ---- MLflow database ----

/**
 * An mlflow.db run's artifact folder, listed the same way by its unit's read and by its next fingerprints
 * (were they to differ, the unit would be read again on every pass).
 */
function listArtifactFolder(root: string, out: Listing, prev: UnitState | undefined): void {
  listTree(root, MAX_DEPTH, out, prev, 'fingerprints', MAX_ARTIFACTS + 1);
}

function mlflowDbUnit(source: DiscoveredSource): Unit {
  const key = `mlflow-db:${source.path}`;
  // The database and its write-ahead log.
  const dbFiles = [source.path, source.path + '-wal'];
  return {
    key,
    origin: { source },
    owns: (f) => f === source.path || f.startsWith(source.path + '-'),
    kind: 'mlflow-db',
    appendable: false,
    // The database and the artifact folders its runs had last time (a new artifact changes no row).
    fingerprint(prev) {
      const out = statFiles(dbFiles);
      for (const root of (prev?.extra?.artifactRoots as string[] | undefined) ?? []) listArtifactFolder(root, out, prev);
      return out;
    },
    read(ctx) {
      const { store } = ctx;
      store.clearUnitRuns(key);
      const rids = new Map<string, number>();
      // The state: the database's own files, and the artifact folders as listed now.
      const files: Record<string, FileState> = {};
      const dirs: Record<string, number> = {};
      for (const f of dbFiles) if (ctx.now[f]) files[f] = ctx.now[f];
      const artifactRoots: string[] = [];
      const artifactDiagnostics: Diagnostic[] = [];
      // Rows of one run arrive together, keys interleaved in logging order: one writer per key of the run.
      let writers = new Map<string, SeriesWriter>();
      let currentRun = '';
      let points = 0;
      const closeAll = () => {
        for (const w of writers.values()) w.close();
        writers = new Map();
      };
      const content = readMlflowDatabase(
        source.path,
        (experiments, runs) => {
          for (const e of experiments) {
            store.upsertExperiment(key, { id: stableId('mlflow-db', source.path, e.nativeId), source: source.path, format: 'mlflow-db', nativeId: e.nativeId, name: e.name, lifecycle: e.lifecycle, createdAt: e.createdAt });
          }
          for (const r of runs) {
            const id = stableId('mlflow-db', source.path, r.run.nativeId);
            let root = r.artifactUri === undefined ? undefined : localArtifactRoot(source.path, r.artifactUri);
            // Listed only inside the workspace or the database's folder (`file:///proc/self/root` is the whole disk).
            if (root !== undefined && !insideFolders(root, allowedFolders(source, path.dirname(source.path)))) {
              artifactDiagnostics.push({ file: source.path, severity: 'warning', message: `run ${r.run.nativeId}: ${outsideMessage(`artifact location ${r.artifactUri}:`, root)}` });
              root = undefined;
            }
            let artifacts = r.run.artifacts;
            if (root !== undefined) {
              const listing = statFiles([]);
              listArtifactFolder(root, listing, undefined);
              Object.assign(files, listing.files);
              Object.assign(dirs, listing.dirs);
              artifactRoots.push(root);
              artifacts = listedArtifacts(root, listing.files, artifactDiagnostics);
            }
            rids.set(r.run.nativeId, store.putRun(key, { ...r.run, artifacts, artifactDir: root, id, experimentId: stableId('mlflow-db', source.path, r.experimentNativeId) }));
          }
        },
        (uuid, metricKey, p) => {
          const rid = rids.get(uuid);
          if (rid === undefined) return;
          if (uuid !== currentRun) {
            closeAll();
            currentRun = uuid;
          }
          let w = writers.get(metricKey);
          if (!w) writers.set(metricKey, (w = store.seriesWriter(rid, metricKey, true, true)));
          w.push(p.step, p.time, p.value);
          points++;
        },
      );
      closeAll();
      store.clearModelsOfUnit(key);
      putRegisteredVersions(store, key, source.path, content.registered);
      for (const m of content.logged) putLoggedModel(store, key, source.path, stableId('mlflow-db', source.path, m.experimentId), m);
      return { state: { files, dirs, extra: { artifactRoots } }, diagnostics: [...content.diagnostics, ...artifactDiagnostics], points };
    },
  };
}

// ---- TensorBoard ----

function tensorboardUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const key = `tensorboard-run:${dir}`;
  const parent = path.dirname(dir);
  const experimentId = stableId('tensorboard', parent);
  const relParent = path.relative(source.root, parent) || path.basename(parent);
  return {
    key,
    origin: { source },
    owns: (f) => path.dirname(f) === dir && EVENT_FILE_RE.test(path.basename(f)),
    kind: 'tensorboard-run',
    appendable: true,
    fingerprint: () => listTensorboardRun(dir),
    probed: true,
    ahead: { kind: 'tensorboard', dir },
    read(ctx) {
      const { store } = ctx;
      const diagnostics: Diagnostic[] = [];
      const reread = new Set<string>();
      const incremental = ctx.incremental && appendsInOrder(Object.keys(ctx.now), ctx.changes);
      const prevExtra = incremental ? (ctx.prev?.extra as TensorboardExtra | undefined) : undefined;
      // A run never indexed may come read by a read-ahead thread: its series encoded, its extra complete.
      const ahead = ctx.prev === undefined ? ctx.readAhead?.tensorboard(dir) : undefined;
      const extra: TensorboardExtra = ahead?.extra ?? (prevExtra ? { ...prevExtra, kinds: { ...prevExtra.kinds }, params: { ...prevExtra.params } } : newTensorboardExtra());
      if (!incremental) store.clearUnitRuns(key);
      store.upsertExperiment(`tensorboard-experiment:${parent}`, { id: experimentId, source: parent, format: 'tensorboard', nativeId: parent, name: relParent.split(path.sep).join('/'), lifecycle: 'active' });
      const artifacts = ahead?.artifacts ?? tensorboardArtifacts(dir);
      const header = () => ({
        id: stableId('tensorboard', dir),
        experimentId,
        format: 'tensorboard' as const,
        nativeId: path.relative(source.root, dir).split(path.sep).join('/') || path.basename(dir),
        name: path.basename(dir),
        status: extra.status,
        lifecycle: 'active' as const,
        startTime: extra.startTime,
        endTime: extra.endTime,
        path: dir,
        params: extra.params,
        tags: {},
        artifacts,
      });
      const rid = store.putRun(key, header());
      const state: UnitState = { files: { ...ctx.now } };
      let points = 0;
      if (ahead) {
        for (const { tag, series } of ahead.series) {
          const writer = store.seriesWriter(rid, tag, true);
          writer.putEncoded(series);
          writer.close();
          points += series.summary.count;
        }
        for (const f of ahead.files) {
          reread.add(f.file);
          diagnostics.push(...f.diagnostics);
          state.files[f.file] = { ...ctx.now[f.file], offset: f.endOffset };
        }
      } else {
        // Each tag's points in columns written out whenever they fill (the native decoder writes into them).
        const writers = new Map<string, [DrainedColumns, SeriesWriter]>();
        const sink = tensorboardSink(extra, (tag, step, timeMs, value) => sink.target!(tag).push(step, timeMs, value));
        sink.target = (tag) => {
          let got = writers.get(tag);
          if (!got) {
            const w = store.seriesWriter(rid, tag, !incremental);
            const c = new DrainedColumns(({ cols, cap, n }) => {
              w.pushRange(cols, cols.subarray(cap), cols.subarray(2 * cap), 0, n);
              points += n;
            });
            writers.set(tag, (got = [c, w]));
          }
          return got[0];
        };
        for (const file of Object.keys(ctx.now).sort()) {
          const change = ctx.changes[file] ?? 'new';
          const prevFile = ctx.prev?.files[file];
          let offset = 0;
          if (incremental) {
            if (change === 'same') {
              state.files[file] = { ...ctx.now[file], offset: prevFile?.offset };
              continue;
            }
            if (change === 'append' && prevFile?.offset !== undefined) offset = prevFile.offset;
          }
          reread.add(file);
          const res = readEventFile(file, offset, extra.kinds, sink, ctx.cancelled);
          diagnostics.push(...res.diagnostics);
          state.files[file] = { ...ctx.now[file], offset: res.endOffset };
        }
        for (const [c, w] of writers.values()) {
          c.flush();
          w.close();
        }
        // The run's params, status and times, now that its events are read (a thread's came complete).
        store.putRun(key, header());
      }
      // A log directory whose records log nothing (a profiler's stub, a writer that wrote no event) is
      // not a run; it becomes one when its files log something.
      if (tensorboardRunIsEmpty(extra, store.seriesSummaries(rid).length)) store.clearUnitRuns(key);
      state.extra = extra as unknown as Record<string, unknown>;
      return { state, diagnostics, reread, points };
    },
  };
}
