/**
 * Units for the training frameworks' own logs: Lightning version folders (CSV + hparams + event files
 * merged into one run), Hugging Face Trainer output folders (one run per training), Keras CSV histories.
 * These files are small or rewritten whole, so a change re-reads the unit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DiscoveredSource } from '../discovery';
import type { Artifact, Diagnostic, MetricPoint, RunStatus } from '../model';
import { artifactKind } from '../model';
import { walkFiles } from '../formats/mlflow';
import { type MetricsCsvPosition, readLightningParams, readMetricsCsvFrom } from '../formats/lightning';
import { addHfResults, CHECKPOINT_RE, groupHfTrainings, HF_RESULTS_FILES, hfResultsOwner, hfStateFiles, readHfResults, readHfTraining } from '../formats/huggingface';
import { readKerasHistoryJson } from '../formats/keras';
import { readWandbRun, readWandbRuns, type WandbHistoryPosition, type WandbRun, wandbFile, wandbLogFile, wandbLogPath } from '../formats/wandb';
import { diskFiles, findDvcliveDirs, type ProjectFiles, readDvcProject } from '../formats/dvc';
import { commitFiles, experimentChanges, gitDirs, listDvcExperiments } from '../formats/dvcExperiments';
import { EVENT_FILE_RE, readEventFile } from '../formats/tensorboard';
import type { TagKinds } from '../formats/tensorboard';
import type { RunInput, Store } from './store';
import { stableId } from './store';
import { appendsInOrder, type Listing, listTree, probeEntry, probeFolder, probePaths, recordEntry, statFiles } from './listing';
import type { Unit, UnitReadContext, UnitReadResult } from './units';

const MAX_ARTIFACTS = 2000;

function experimentFor(store: Store, source: DiscoveredSource, format: RunInput['format'], dir: string): string {
  const id = stableId(format, dir);
  const name = (path.relative(source.root, dir) || path.basename(dir)).split(path.sep).join('/');
  // Owned by no unit: dropped by the indexer once no run refers to it.
  store.upsertExperiment(`${format}-experiment:${dir}`, { id, source: dir, format, nativeId: dir, name, lifecycle: 'active' });
  return id;
}

/** Puts a run and replaces its series; returns the number of points written. */
function writeRun(store: Store, unitKey: string, run: RunInput, series: Map<string, MetricPoint[]>): number {
  return writeSeries(store, store.putRun(unitKey, run), series, true);
}

/**
 * Writes a run's series: each replaces the stored one or is appended to it (`replace`, for all keys or per
 * key). Returns the number of points written.
 */
function writeSeries(store: Store, rid: number, series: Map<string, MetricPoint[]>, replace: boolean | ((key: string) => boolean)): number {
  let points = 0;
  for (const [key, pts] of series) {
    const w = store.seriesWriter(rid, key, typeof replace === 'boolean' ? replace : replace(key));
    for (const p of pts) w.push(p.step, p.time, p.value);
    w.close();
    points += pts.length;
  }
  return points;
}

function listArtifacts(dir: string, skip: (rel: string) => boolean, maxDepth = 4): Artifact[] {
  const out: Artifact[] = [];
  walkFiles(dir, maxDepth, (_f, rel, size) => {
    if (!skip(rel) && out.length < MAX_ARTIFACTS) out.push({ path: rel, size, kind: artifactKind(rel) });
  });
  return out;
}

// ---- Lightning ----

/** What a Lightning version's incremental reads carry from one pass to the next. */
interface LightningExtra {
  params: Record<string, string>;
  csv?: MetricsCsvPosition;
  kinds: TagKinds;
  status: RunStatus;
  start?: number;
  end?: number;
}

/**
 * A Lightning version folder: `hparams.yaml`, the CSV logger's `metrics.csv` and the TensorBoard logger's
 * event files, one run. Appends are read from where the last pass stopped: new CSV rows (complete lines),
 * new event records. The CSV's values win for keys both loggers write. A rewritten CSV (the logger adds a
 * column by writing the file again), a changed `hparams.yaml` or a CSV that appears later is a full read.
 */
export function lightningUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const key = `lightning-run:${dir}`;
  const hparams = path.join(dir, 'hparams.yaml');
  const csv = path.join(dir, 'metrics.csv');
  const files = () => ['hparams.yaml', 'metrics.csv', ...safeNames(dir).filter((n) => EVENT_FILE_RE.test(n))].map((n) => path.join(dir, n));
  return {
    key,
    kind: 'lightning-run',
    origin: { source },
    appendable: true,
    owns: (f) => path.dirname(f) === dir,
    // The folder is listed for event files: its mtime stands for new ones.
    fingerprint: () => probeFolder(statFiles(files()), dir),
    probed: true,
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      const prev = ctx.prev?.extra as LightningExtra | undefined;
      const csvChange = ctx.now[csv] ? ctx.changes[csv] : undefined;
      const eventFiles = Object.keys(ctx.now).filter((f) => EVENT_FILE_RE.test(path.basename(f)));
      const incremental =
        ctx.incremental &&
        prev !== undefined &&
        ctx.changes[hparams] !== 'new' &&
        ctx.changes[hparams] !== 'append' &&
        (csvChange === undefined ? !prev.csv : csvChange === 'same' || (csvChange === 'append' && !!prev.csv)) &&
        appendsInOrder(eventFiles, ctx.changes);
      const diagnostics: Diagnostic[] = [];
      const extra: LightningExtra = incremental ? { ...prev, params: { ...prev.params }, kinds: { ...prev.kinds } } : { params: readLightningParams(dir, diagnostics), kinds: {}, status: 'UNKNOWN' };
      if (!incremental) store.clearUnitRuns(key);
      const reread = new Set<string>(incremental ? [] : Object.keys(ctx.now));
      const state = { files: { ...ctx.now } } as UnitReadResult['state'];
      const csvSeries = new Map<string, MetricPoint[]>();
      if (ctx.now[csv]) {
        if (!incremental || csvChange === 'append') {
          extra.csv = readMetricsCsvFrom(csv, incremental ? extra.csv : undefined, 'step', csvSeries, diagnostics);
          reread.add(csv);
        }
        state.files[csv] = { ...ctx.now[csv], offset: extra.csv?.offset };
      }
      // Event files of the same version: their scalars join the run, except for keys the CSV logger has.
      const csvKeys = new Set((extra.csv?.header ?? []).filter((h) => h !== 'step' && h !== ''));
      const fromEvents = new Map<string, MetricPoint[]>();
      for (const file of eventFiles.sort()) {
        const change = ctx.changes[file] ?? 'new';
        const offset = incremental && change === 'append' ? (ctx.prev?.files[file]?.offset ?? 0) : 0;
        if (incremental && change === 'same') {
          state.files[file] = { ...ctx.now[file], offset: ctx.prev?.files[file]?.offset };
          continue;
        }
        reread.add(file);
        const res = readEventFile(file, offset, extra.kinds, {
          scalar(tag, step, time, value) {
            if (csvKeys.has(tag)) return;
            let pts = fromEvents.get(tag);
            if (!pts) fromEvents.set(tag, (pts = []));
            pts.push({ step, time, value });
          },
          // Lightning writes hparams.yaml's nested keys to the hparams plugin again, '/'-joined: keep one.
          param: (k, val) => void (k in extra.params || k.replace(/\//g, '.') in extra.params || (extra.params[k] = val)),
          status: (st) => void (extra.status = st),
          wallTime(t) {
            if (t > 0) {
              extra.start = extra.start === undefined ? t : Math.min(extra.start, t);
              extra.end = extra.end === undefined ? t : Math.max(extra.end, t);
            }
          },
        }, ctx.cancelled);
        diagnostics.push(...res.diagnostics);
        state.files[file] = { ...ctx.now[file], offset: res.endOffset };
      }
      const run: RunInput = {
        id: stableId('lightning', dir),
        experimentId: experimentFor(store, source, 'lightning', path.dirname(dir)),
        format: 'lightning',
        nativeId: (path.relative(source.root, dir) || path.basename(dir)).split(path.sep).join('/'),
        name: path.basename(dir),
        status: extra.status,
        lifecycle: 'active',
        // Only the event files' records carry wall times (metrics.csv and hparams.yaml have none).
        startTime: extra.start,
        endTime: extra.end,
        path: dir,
        params: extra.params,
        tags: {},
        artifacts: listArtifacts(dir, (rel) => EVENT_FILE_RE.test(path.basename(rel)) || rel === 'hparams.yaml' || rel === 'metrics.csv'),
      };
      const rid = store.putRun(key, run);
      const points = writeSeries(store, rid, csvSeries, !incremental) + writeSeries(store, rid, fromEvents, !incremental);
      state.extra = extra as unknown as Record<string, unknown>;
      return { state, diagnostics, reread, points };
    },
  };
}

// ---- Hugging Face ----

/**
 * A Trainer output folder: one run per training (see formats/huggingface.ts), the folder's
 * `*_results.json` as the final metrics of the training they belong to. Nothing here records a wall
 * time: the runs' start and end come from their `runs/` TensorBoard logs (links.ts), else are unknown.
 */
export function huggingfaceUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const key = `huggingface-output:${dir}`;
  const results = HF_RESULTS_FILES.map((n) => path.join(dir, n));
  return {
    key,
    kind: 'huggingface-output',
    origin: { source },
    appendable: false,
    owns: (f) => (path.basename(f) === 'trainer_state.json' && (path.dirname(f) === dir || path.dirname(path.dirname(f)) === dir)) || results.includes(f),
    // The output folder is listed for checkpoints and results files, and each checkpoint for its
    // trainer_state.json: their mtimes stand for new ones.
    fingerprint: () => {
      const out = probeFolder(statFiles([...hfStateFiles(dir), ...results]), dir);
      for (const n of safeNames(dir)) if (CHECKPOINT_RE.test(n)) probeFolder(out, path.join(dir, n));
      return out;
    },
    probed: true,
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      store.clearUnitRuns(key);
      const diagnostics: Diagnostic[] = [];
      const trainings = groupHfTrainings(dir, diagnostics);
      const final = readHfResults(dir, diagnostics);
      const owner = final ? hfResultsOwner(final, trainings, dir) : -1;
      if (final && owner < 0) diagnostics.push({ file: final.files[0], severity: 'info', message: `${trainings.length} trainings wrote to this output folder and these results name none of them; they are not shown` });
      const experimentId = experimentFor(store, source, 'huggingface', path.dirname(dir));
      let points = 0;
      trainings.forEach(({ training, state }, i) => {
        const data = readHfTraining(training, state, diagnostics);
        if (final && i === owner) {
          addHfResults(data.series, final, hfLastStep(training.globalStep, state, final.metrics.train_runtime));
          // train_results.json is written once train() has returned.
          if (final.metrics.train_runtime !== undefined) data.status = 'FINISHED';
        }
        const several = trainings.length > 1;
        const artifacts: Artifact[] = [];
        for (const ckpt of training.checkpointDirs) {
          const base = path.basename(ckpt);
          walkFiles(ckpt, 3, (_f, rel, size) => {
            if (artifacts.length < MAX_ARTIFACTS) artifacts.push({ path: `${base}/${rel}`, size, kind: artifactKind(rel) });
          });
        }
        const run: RunInput = {
          id: stableId('huggingface', dir, training.checkpointDirs[0] ?? training.latestDir),
          experimentId,
          format: 'huggingface',
          nativeId: `${(path.relative(source.root, dir) || path.basename(dir)).split(path.sep).join('/')}@${training.maxSteps ?? training.globalStep}`,
          name: several ? `${path.basename(dir)} (${training.maxSteps ?? training.globalStep} steps)` : path.basename(dir),
          status: data.status,
          lifecycle: 'active',
          // Set by links.ts from the run's TensorBoard log, where it has one.
          startTime: undefined,
          endTime: undefined,
          path: dir,
          params: data.params,
          tags: { ...data.tags, 'hf.checkpoints': training.checkpointDirs.map((d) => path.basename(d)).join(', ') },
          artifacts,
        };
        points += writeRun(store, key, run, data.series);
      });
      return { state: { files: ctx.now }, diagnostics, points };
    },
  };
}

/**
 * The step the Trainer logs its final metrics at: that of the log entry with the results' train_runtime
 * (the end of training), else the training's last global step.
 */
function hfLastStep(globalStep: number, state: Record<string, unknown>, runtime: number | undefined): number {
  const history = Array.isArray(state.log_history) ? (state.log_history as Record<string, unknown>[]) : [];
  const end = runtime === undefined ? undefined : history.find((e) => e && typeof e === 'object' && e.train_runtime === runtime);
  if (end && typeof end.step === 'number') return end.step;
  let last = globalStep;
  for (const e of history) if (e && typeof e === 'object' && typeof e.step === 'number' && e.step > last) last = e.step;
  return last;
}

// ---- Keras ----

/**
 * A Keras CSVLogger file (one row per epoch, appended as training goes: read from the last complete row)
 * or a `history` JSON dump (read whole). `CSVLogger(append=True)` appends each `fit` to the same file
 * under the one header, its epochs from 0 again: each training is a run, the first one the file's
 * (`training_log`), the next ones numbered `training_log#2`, `#3`… in file order, so that appending
 * another training leaves the earlier runs as they were. Neither file records a time: the runs' times
 * are unknown.
 */
export function kerasUnit(source: DiscoveredSource): Unit {
  const file = source.path;
  const key = `keras-log:${file}`;
  const csv = !/\.json$/i.test(file);
  return {
    key,
    kind: 'keras-log',
    origin: { source },
    appendable: csv,
    owns: (f) => f === file,
    fingerprint: () => statFiles([file]),
    probed: true,
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      const prev = ctx.prev?.extra as { csv?: MetricsCsvPosition } | undefined;
      const incremental = csv && ctx.incremental && ctx.changes[file] === 'append' && !!prev?.csv;
      if (!incremental) store.clearUnitRuns(key);
      const trainings = new Map<number, Map<string, MetricPoint[]>>();
      let diagnostics: Diagnostic[];
      let position: MetricsCsvPosition | undefined;
      if (csv) {
        diagnostics = [];
        const seriesOf = (t: number) => {
          let m = trainings.get(t);
          if (!m) trainings.set(t, (m = new Map()));
          return m;
        };
        position = readMetricsCsvFrom(file, incremental ? prev!.csv : undefined, 'epoch', seriesOf, diagnostics);
      } else {
        const json = readKerasHistoryJson(file);
        diagnostics = json.diagnostics;
        trainings.set(0, json.series);
      }
      // The training the last read ended in, which this read continues (its series are appended to).
      const continued = incremental ? (prev!.csv!.training ?? 0) : -1;
      // A file with no rows yet is one run, as it was before trainings were told apart.
      if (trainings.size === 0 && !incremental) trainings.set(0, new Map());
      const dir = path.dirname(file);
      const experimentId = experimentFor(store, source, 'keras', dir);
      const rel = (path.relative(source.root, file) || path.basename(file)).split(path.sep).join('/');
      const base = path.basename(file, path.extname(file));
      let points = 0;
      for (const [t, series] of [...trainings].sort((x, y) => x[0] - y[0])) {
        const suffix = t === 0 ? '' : `#${t + 1}`;
        const run: RunInput = {
          id: t === 0 ? stableId('keras', file) : stableId('keras', file, suffix),
          experimentId,
          format: 'keras',
          nativeId: rel + suffix,
          name: base + suffix,
          status: 'UNKNOWN',
          lifecycle: 'active',
          path: file,
          params: {},
          tags: {},
          artifacts: [],
        };
        points += writeSeries(store, store.putRun(key, run), series, t !== continued);
      }
      const files = { ...ctx.now };
      if (position && files[file]) files[file] = { ...files[file], offset: position.offset };
      return { state: { files, extra: position ? { csv: position } : undefined }, diagnostics, reread: new Set([file]), points };
    },
  };
}

// ---- Weights & Biases ----

/** What a W&B run's incremental reads carry: where the history was read to, and which keys it has. */
interface WandbExtra {
  history?: WandbHistoryPosition;
  historyKeys: string[];
  /** Keys written last time from the summary alone (one point at the last step). */
  summaryOnly: string[];
}

/**
 * A W&B run folder. `wandb-history.jsonl` grows by appended rows while the run trains: only the new rows
 * are read; the config, summary and metadata files (rewritten in place) are read whole each time. Summary
 * values with no history are one point at the last step, so they are written again as the history grows.
 * Without the JSONL, the binary `.wandb` log is the history: read from the last whole record, with the
 * config, summary and run fields its earlier records set carried over.
 * A run id resumed in several folders (source.folders) is one unit, keyed by its last folder (the one a
 * live run writes to), read whole on each change: its history is merged in step order.
 */
const WANDB_FILES = ['config.yaml', 'wandb-summary.json', 'wandb-metadata.json', 'wandb-history.jsonl'];

export function wandbUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const dirs = source.folders ?? [dir];
  const key = `wandb-run:${dir}`;
  const small = new Set(['config.yaml', 'wandb-summary.json', 'wandb-metadata.json']);
  const files = () =>
    dirs
      .flatMap((d) => WANDB_FILES.map((n) => wandbFile(d, n)).concat(wandbLogFile(d)))
      .filter((f): f is string => f !== undefined);
  const toRun = (store: Store, w: WandbRun): RunInput => ({
    id: stableId('wandb', w.dirs[0]),
    experimentId: experimentFor(store, source, 'wandb', path.dirname(dir)),
    format: 'wandb',
    nativeId: w.runId,
    name: w.name,
    status: w.status,
    lifecycle: 'active',
    startTime: w.startTime,
    endTime: w.endTime,
    user: w.user,
    sourceScript: w.sourceScript,
    gitCommit: w.gitCommit,
    path: w.dirs[w.dirs.length - 1],
    artifactDir: w.artifactDir,
    params: w.params,
    tags: w.tags,
    artifacts: w.artifacts,
  });
  return {
    key,
    kind: 'wandb-run',
    origin: { source },
    appendable: dirs.length === 1,
    rewritable: (f) => small.has(path.basename(f)),
    owns: (f) => dirs.some((d) => f.startsWith(d + path.sep)),
    // Each file is looked for in two places (and the log under one name): every place is probed.
    fingerprint: () =>
      probePaths(
        statFiles(files()),
        dirs.flatMap((d) => [...WANDB_FILES.flatMap((n) => [path.join(d, 'files', n), path.join(d, n)]), wandbLogPath(d)]).filter((f): f is string => f !== undefined),
      ),
    probed: true,
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      if (dirs.length > 1) {
        store.clearUnitRuns(key);
        const runs = readWandbRuns(dirs);
        let points = 0;
        // A run's id is its first folder's: the same as before it was resumed.
        for (const w of runs) points += writeRun(store, key, toRun(store, w), w.series);
        return { state: { files: { ...ctx.now } }, diagnostics: runs.flatMap((w) => w.diagnostics), points };
      }
      const prev = ctx.prev?.extra as WandbExtra | undefined;
      const histFile = prev?.history?.file;
      const historySource = wandbFile(dir, 'wandb-history.jsonl') ?? wandbLogFile(dir);
      const incremental = ctx.incremental && !!histFile && histFile === historySource && (ctx.changes[histFile] === 'append' || ctx.changes[histFile] === 'same');
      if (!incremental) store.clearUnitRuns(key);
      const w = readWandbRun(dir, incremental ? { history: prev!.history!, historyKeys: prev!.historyKeys } : undefined);
      const run = toRun(store, w);
      const historyKeys = new Set(w.historyKeys);
      const summaryOnly = [...w.series.keys()].filter((k) => !historyKeys.has(k));
      let points: number;
      if (!incremental) points = writeRun(store, key, run, w.series);
      else {
        const rid = store.putRun(key, run);
        const before = new Set(prev!.historyKeys);
        // A key new to the history replaces its summary point; a summary-only key is written again.
        points = writeSeries(store, rid, w.series, (k) => !historyKeys.has(k) || !before.has(k));
        for (const k of prev!.summaryOnly) if (!w.series.has(k) && !historyKeys.has(k)) store.dropSeries(rid, k);
      }
      const state = { files: { ...ctx.now } } as UnitReadResult['state'];
      if (w.history && state.files[w.history.file]) state.files[w.history.file] = { ...state.files[w.history.file], offset: w.history.offset };
      state.extra = { history: w.history, historyKeys: w.historyKeys, summaryOnly } satisfies WandbExtra as unknown as Record<string, unknown>;
      return { state, diagnostics: w.diagnostics, reread: incremental ? new Set(Object.keys(ctx.now).filter((f) => f !== histFile || ctx.changes[f] !== 'same')) : undefined, points };
    },
  };
}

// ---- DVC ----

export function dvcUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const key = `dvc-project:${dir}`;
  return {
    key,
    kind: 'dvc-project',
    origin: { source },
    appendable: false,
    owns: (f) => f.startsWith(dir + path.sep),
    // Everything the listing looks at is a probe: the project folder (for new .dvc files), each `.git`
    // looked for above it, the folders walked for DVCLive output, the files; and the files the last read
    // found through dvc.yaml or git's HEAD (prev.files) or looked for in vain (extra.missing), so that a
    // read keeps no probes (listsFromState).
    fingerprint(prev) {
      // (The walk for DVCLive output below lists the project folder: new .dvc files change it.)
      const out = statFiles([]);
      const core = ['dvc.yaml', 'dvc.lock', 'params.yaml', ...safeNames(dir).filter((n) => n.endsWith('.dvc') && n !== '.dvc')].map((n) => path.join(dir, n));
      const repo = gitDirs(dir, (dotGit, st) => {
        // A `.git` file names the git folder: its contents count.
        if (recordEntry(out, dotGit, st) === 'file') statFiles([dotGit], out);
      });
      // Experiments live in git refs: a new, re-run or removed experiment changes these.
      if (repo) core.push(path.join(repo.gitDir, 'packed-refs'));
      const lives = findDvcliveDirs(dir, 3, probingFiles(out)).map((live) => path.join(live, 'plots', 'metrics'));
      // A DVCLive folder's files are listed below; each other file once.
      const inLive = (f: string) => lives.some((l) => f.startsWith(l + path.sep));
      const missing = (prev?.extra?.missing as string[] | undefined) ?? [];
      statFiles([...new Set([...core, ...Object.keys(prev?.files ?? {}), ...missing])].filter((f) => !inLive(f)), out);
      for (const live of lives) listTree(live, 6, out, prev, 'names');
      if (repo) listTree(path.join(repo.gitDir, 'refs', 'exps'), 8, out, prev, 'fingerprints');
      return out;
    },
    probed: true,
    listsFromState: true,
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      store.clearUnitRuns(key);
      const project = readDvcProject(dir);
      const run: RunInput = {
        id: stableId('dvc', dir),
        experimentId: experimentFor(store, source, 'dvc', dir),
        format: 'dvc',
        nativeId: 'workspace',
        name: 'workspace',
        status: fs.existsSync(path.join(dir, 'dvc.lock')) ? 'FINISHED' : 'UNKNOWN',
        lifecycle: 'active',
        // DVC records no time for the workspace (`dvc exp show` leaves its Created empty): unknown, not a
        // file's mtime, which a copy or a checkout changes.
        startTime: undefined,
        endTime: undefined,
        gitCommit: project.gitCommit,
        path: dir,
        params: project.params,
        tags: project.tags,
        artifacts: [],
      };
      const files = statFiles(project.files, { files: { ...ctx.now }, dirs: {} }).files;
      // Files looked for and not there (a metrics file not produced yet, the branch's next loose ref):
      // stated by the next passes, so that their appearing is a change.
      const missing = [...new Set(project.files.filter((f) => !(f in files)))];
      let points = writeRun(store, key, run, project.series);
      const diagnostics = project.diagnostics;
      for (const exp of dvcExperimentRuns(dir, run.experimentId, diagnostics)) points += writeRun(store, key, exp.run, exp.series);
      return { state: { files, extra: missing.length ? { missing } : undefined }, diagnostics, points };
    },
  };
}

/**
 * The project's DVC experiments (`refs/exps/…`), each read from its commit as a run of the project's
 * experiment. In a repository with several DVC projects, an experiment belongs to the project whose folder
 * it changed.
 */
function dvcExperimentRuns(dir: string, experimentId: string, diagnostics: Diagnostic[]): { run: RunInput; series: Map<string, MetricPoint[]> }[] {
  const repo = gitDirs(dir);
  if (!repo) return [];
  const rel = path.relative(repo.root, dir).split(path.sep).join('/');
  const out: { run: RunInput; series: Map<string, MetricPoint[]> }[] = [];
  for (const exp of listDvcExperiments(repo.root)) {
    try {
      if (rel && !experimentChanges(repo.root, exp, rel)) continue;
      const project = readDvcProject(dir, commitFiles(repo.root, exp.commit, dir));
      diagnostics.push(...project.diagnostics.filter((d) => d.severity !== 'info').map((d) => ({ ...d, message: `experiment ${exp.name} (${exp.commit.slice(0, 8)}): ${d.message}` })));
      out.push({
        run: {
          id: stableId('dvc-exp', dir, exp.ref),
          experimentId,
          format: 'dvc',
          nativeId: exp.name,
          name: exp.name,
          status: 'FINISHED',
          lifecycle: 'active',
          // The experiment's commit, made when `dvc exp run` finished (`dvc exp show`'s Created); its start
          // is not recorded.
          startTime: undefined,
          endTime: exp.time,
          gitCommit: exp.commit,
          path: dir,
          params: project.params,
          tags: { ...project.tags, 'dvc.exp.ref': exp.ref, 'dvc.exp.baseline': exp.baseline },
          artifacts: [],
        },
        series: project.series,
      });
    } catch (e) {
      diagnostics.push({ file: path.join(repo.gitDir, ...exp.ref.split('/')), severity: 'warning', message: `DVC experiment ${exp.name} could not be read from git: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return out;
}

/** The disk as a DVC project's reader sees it, each folder listed and path tested recorded among `out`'s probes. */
function probingFiles(out: Listing): ProjectFiles {
  return {
    exists: (file) => probeEntry(out, file) !== undefined,
    text: diskFiles.text,
    list: (folder) => {
      probeFolder(out, folder);
      return diskFiles.list(folder);
    },
  };
}

function safeNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
