/**
 * Units for the training frameworks' own logs: Lightning version folders (CSV + hparams + event files
 * merged into one run), Hugging Face Trainer output folders (one run per training), Keras CSV histories.
 * These files are small or rewritten whole, so a change re-reads the unit.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DiscoveredSource } from '../discovery';
import type { Artifact, Diagnostic, MetricPoint, RunStatus } from '../model';
import { artifactKind } from '../model';
import { walkFiles } from '../formats/mlflow';
import { readLightningVersion } from '../formats/lightning';
import { groupHfTrainings, hfStateFiles } from '../formats/huggingface';
import { readHfTraining } from '../formats/huggingface';
import { readKerasCsv, readKerasHistoryJson } from '../formats/keras';
import { readWandbRun, wandbFile, wandbLogFile } from '../formats/wandb';
import { findDvcliveDirs, readDvcProject } from '../formats/dvc';
import { commitFiles, type DvcExperiment, gitDirs, listDvcExperiments } from '../formats/dvcExperiments';
import { EVENT_FILE_RE, readEventFile } from '../formats/tensorboard';
import type { RunInput, Store } from './store';
import { stableId } from './store';
import { listTree, statFiles } from './listing';
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
  const rid = store.putRun(unitKey, run);
  let points = 0;
  for (const [key, pts] of series) {
    const w = store.seriesWriter(rid, key, true);
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

function mtime(file: string): number | undefined {
  return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
}

// ---- Lightning ----

export function lightningUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const key = `lightning-run:${dir}`;
  const files = () => ['hparams.yaml', 'metrics.csv', ...safeNames(dir).filter((n) => EVENT_FILE_RE.test(n))].map((n) => path.join(dir, n));
  return {
    key,
    kind: 'lightning-run',
    origin: { source },
    appendable: false,
    owns: (f) => path.dirname(f) === dir,
    fingerprint: () => statFiles(files()),
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      store.clearUnitRuns(key);
      const v = readLightningVersion(dir);
      const diagnostics: Diagnostic[] = [...v.diagnostics];
      const series = v.series;
      const params = { ...v.params };
      // Event files of the same version: their scalars join the run (CSV values win for keys in both).
      const fromEvents = new Map<string, MetricPoint[]>();
      let status: RunStatus = 'UNKNOWN';
      let start: number | undefined;
      let end: number | undefined;
      for (const file of Object.keys(ctx.now).filter((f) => EVENT_FILE_RE.test(path.basename(f))).sort()) {
        const res = readEventFile(file, 0, {}, {
          scalar(tag, step, time, value) {
            let pts = fromEvents.get(tag);
            if (!pts) fromEvents.set(tag, (pts = []));
            pts.push({ step, time, value });
          },
          // Lightning writes hparams.yaml's nested keys to the hparams plugin again, '/'-joined: keep one.
          param: (k, val) => void (k in params || k.replace(/\//g, '.') in params || (params[k] = val)),
          status: (s) => void (status = s),
          wallTime(t) {
            if (t > 0) {
              start = start === undefined ? t : Math.min(start, t);
              end = end === undefined ? t : Math.max(end, t);
            }
          },
        });
        diagnostics.push(...res.diagnostics);
      }
      for (const [tag, pts] of fromEvents) if (!series.has(tag)) series.set(tag, pts);
      const hparams = path.join(dir, 'hparams.yaml');
      const csv = path.join(dir, 'metrics.csv');
      const run: RunInput = {
        id: stableId('lightning', dir),
        experimentId: experimentFor(store, source, 'lightning', path.dirname(dir)),
        format: 'lightning',
        nativeId: (path.relative(source.root, dir) || path.basename(dir)).split(path.sep).join('/'),
        name: path.basename(dir),
        status,
        lifecycle: 'active',
        // Without event files, the hparams file (written as fit starts) and the CSV (last flush) date the run.
        startTime: start ?? mtime(hparams),
        endTime: end ?? mtime(csv),
        path: dir,
        params,
        tags: {},
        artifacts: listArtifacts(dir, (rel) => EVENT_FILE_RE.test(path.basename(rel)) || rel === 'hparams.yaml' || rel === 'metrics.csv'),
      };
      const points = writeRun(store, key, run, series);
      return { state: { files: ctx.now }, diagnostics, points };
    },
  };
}

// ---- Hugging Face ----

export function huggingfaceUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const key = `huggingface-output:${dir}`;
  return {
    key,
    kind: 'huggingface-output',
    origin: { source },
    appendable: false,
    owns: (f) => path.basename(f) === 'trainer_state.json' && (path.dirname(f) === dir || path.dirname(path.dirname(f)) === dir),
    fingerprint: () => statFiles(hfStateFiles(dir)),
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      store.clearUnitRuns(key);
      const diagnostics: Diagnostic[] = [];
      const trainings = groupHfTrainings(dir, diagnostics);
      const experimentId = experimentFor(store, source, 'huggingface', path.dirname(dir));
      let points = 0;
      for (const { training, state } of trainings) {
        const data = readHfTraining(training, state, diagnostics);
        const several = trainings.length > 1;
        const stateFile = path.join(training.latestDir, 'trainer_state.json');
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
          startTime: undefined,
          endTime: mtime(stateFile),
          path: dir,
          params: data.params,
          tags: { ...data.tags, 'hf.checkpoints': training.checkpointDirs.map((d) => path.basename(d)).join(', ') },
          artifacts,
        };
        points += writeRun(store, key, run, data.series);
      }
      return { state: { files: ctx.now }, diagnostics, points };
    },
  };
}

// ---- Keras ----

export function kerasUnit(source: DiscoveredSource): Unit {
  const file = source.path;
  const key = `keras-log:${file}`;
  return {
    key,
    kind: 'keras-log',
    origin: { source },
    appendable: false,
    owns: (f) => f === file,
    fingerprint: () => statFiles([file]),
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      store.clearUnitRuns(key);
      const { series, diagnostics } = /\.json$/i.test(file) ? readKerasHistoryJson(file) : readKerasCsv(file);
      const dir = path.dirname(file);
      const run: RunInput = {
        id: stableId('keras', file),
        experimentId: experimentFor(store, source, 'keras', dir),
        format: 'keras',
        nativeId: (path.relative(source.root, file) || path.basename(file)).split(path.sep).join('/'),
        name: path.basename(file, path.extname(file)),
        status: 'UNKNOWN',
        lifecycle: 'active',
        endTime: mtime(file),
        path: file,
        params: {},
        tags: {},
        artifacts: [],
      };
      return { state: { files: ctx.now }, diagnostics, points: writeRun(store, key, run, series) };
    },
  };
}

// ---- Weights & Biases ----

export function wandbUnit(source: DiscoveredSource): Unit {
  const dir = source.path;
  const key = `wandb-run:${dir}`;
  const files = () =>
    ['config.yaml', 'wandb-summary.json', 'wandb-metadata.json', 'wandb-history.jsonl']
      .map((n) => wandbFile(dir, n))
      .concat(wandbLogFile(dir))
      .filter((f): f is string => f !== undefined);
  return {
    key,
    kind: 'wandb-run',
    origin: { source },
    appendable: false,
    owns: (f) => f.startsWith(dir + path.sep),
    fingerprint: () => statFiles(files()),
    read(ctx: UnitReadContext): UnitReadResult {
      const { store } = ctx;
      store.clearUnitRuns(key);
      const w = readWandbRun(dir);
      const run: RunInput = {
        id: stableId('wandb', dir),
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
        path: dir,
        params: w.params,
        tags: w.tags,
        artifacts: w.artifacts,
      };
      return { state: { files: ctx.now }, diagnostics: w.diagnostics, points: writeRun(store, key, run, w.series) };
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
    fingerprint(prev) {
      const core = ['dvc.yaml', 'dvc.lock', 'params.yaml', ...safeNames(dir).filter((n) => n.endsWith('.dvc') && n !== '.dvc')].map((n) => path.join(dir, n));
      const repo = gitDirs(dir);
      // Experiments live in git refs: a new, re-run or removed experiment changes these.
      if (repo) core.push(path.join(repo.gitDir, 'packed-refs'));
      const out = statFiles([...core, ...Object.keys(prev?.files ?? {})]);
      for (const live of findDvcliveDirs(dir, 3)) listTree(path.join(live, 'plots', 'metrics'), 6, out, prev, 'names');
      if (repo) listTree(path.join(repo.gitDir, 'refs', 'exps'), 8, out, prev, 'fingerprints');
      return out;
    },
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
        endTime: mtime(path.join(dir, 'dvc.lock')),
        gitCommit: project.gitCommit,
        path: dir,
        params: project.params,
        tags: project.tags,
        artifacts: [],
      };
      const files = statFiles(project.files, { files: { ...ctx.now }, dirs: {} }).files;
      let points = writeRun(store, key, run, project.series);
      const diagnostics = project.diagnostics;
      for (const exp of dvcExperimentRuns(dir, run.experimentId, diagnostics)) points += writeRun(store, key, exp.run, exp.series);
      return { state: { files }, diagnostics, points };
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
      if (rel && !changesFolder(repo.root, exp, rel)) continue;
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
          startTime: exp.time,
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

function changesFolder(root: string, exp: DvcExperiment, rel: string): boolean {
  try {
    const [a, b] = execFileSync('git', ['rev-parse', `${exp.commit}:${rel}`, `${exp.baseline}:${rel}`], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8').trim().split('\n');
    return a !== b;
  } catch {
    return true; // the folder is new in the experiment, or the baseline is gone
  }
}

function safeNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
