/**
 * Hugging Face Trainer output folders: `checkpoint-N/trainer_state.json` (cumulative `log_history`,
 * `best_metric`, `best_model_checkpoint`, `global_step`, the schedule), `adapter_config.json` /
 * `config.json` as params. The checkpoints of one training are one run; an output folder reused by
 * several trainings (different schedules or histories) yields one run per training. `training_args.bin`
 * and other pickles are listed, never unpickled. The `*_results.json` files `Trainer.save_metrics` writes
 * into the output folder (flat `train_*`, `eval_*`, … keys; `all_results.json` their union) are the
 * run's final metrics. None of these files records a wall time: the run's times come from its `runs/`
 * TensorBoard log (index/links.ts), or are unknown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, MetricPoint, RunStatus } from '../model';
import { parsePythonJson } from './json';
import { readTextFile, readRegularText } from './files';
import { flattenParams, scalarText } from './yaml';

export const CHECKPOINT_RE = /^checkpoint-(\d+)$/;
const STATE = 'trainer_state.json';
/** What `Trainer.save_metrics(split, …)` writes: `{split}_results.json`, and their union in all_results.json. */
export const HF_RESULTS_FILES = ['all_results.json', 'train_results.json', 'eval_results.json', 'test_results.json', 'predict_results.json'];

export interface HfTraining {
  /** The checkpoint (or output) folder whose trainer_state.json has the longest history. */
  latestDir: string;
  checkpointDirs: string[];
  globalStep: number;
  maxSteps?: number;
}

interface StateHead {
  dir: string;
  state: Record<string, unknown>;
}

/** trainer_state.json files of an output folder: its own and its checkpoints'. */
export function hfStateFiles(outputDir: string): string[] {
  const files: string[] = [];
  if (fs.existsSync(path.join(outputDir, STATE))) files.push(path.join(outputDir, STATE));
  for (const e of safeReaddir(outputDir)) {
    if (e.isDirectory() && CHECKPOINT_RE.test(e.name) && fs.existsSync(path.join(outputDir, e.name, STATE))) files.push(path.join(outputDir, e.name, STATE));
  }
  return files.sort();
}

/**
 * Groups checkpoints into trainings: same `max_steps`, `train_batch_size` and first logged entry. The
 * member with the largest `global_step` carries the full history.
 */
export function groupHfTrainings(outputDir: string, diagnostics: Diagnostic[]): { training: HfTraining; state: Record<string, unknown> }[] {
  const heads: StateHead[] = [];
  for (const file of hfStateFiles(outputDir)) {
    const state = readState(file, diagnostics);
    if (state) heads.push({ dir: path.dirname(file), state });
  }
  const groups = new Map<string, StateHead[]>();
  for (const h of heads) {
    const history = Array.isArray(h.state.log_history) ? h.state.log_history : [];
    const key = JSON.stringify([h.state.max_steps ?? null, h.state.train_batch_size ?? null, history[0] ?? null]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(h);
  }
  return [...groups.values()].map((members) => {
    members.sort((a, b) => step(a.state) - step(b.state) || a.dir.localeCompare(b.dir));
    const latest = members[members.length - 1];
    return {
      training: {
        latestDir: latest.dir,
        checkpointDirs: members.map((m) => m.dir).filter((d) => CHECKPOINT_RE.test(path.basename(d))),
        globalStep: step(latest.state),
        maxSteps: typeof latest.state.max_steps === 'number' ? latest.state.max_steps : undefined,
      },
      state: latest.state,
    };
  });
}

export interface HfRunData {
  params: Record<string, string>;
  tags: Record<string, string>;
  series: Map<string, MetricPoint[]>;
  status: RunStatus;
}

const STATE_PARAMS = ['max_steps', 'num_train_epochs', 'train_batch_size', 'logging_steps', 'eval_steps', 'save_steps'];

/** log_history → series (every numeric key but `step`, at that step); schedule and configs → params. */
export function readHfTraining(training: HfTraining, state: Record<string, unknown>, diagnostics: Diagnostic[]): HfRunData {
  const series = new Map<string, MetricPoint[]>();
  const history = Array.isArray(state.log_history) ? (state.log_history as Record<string, unknown>[]) : [];
  let finished = false;
  for (const entry of history) {
    if (!entry || typeof entry !== 'object') continue;
    const s = typeof entry.step === 'number' ? entry.step : NaN;
    if ('train_runtime' in entry) finished = true;
    for (const [k, v] of Object.entries(entry)) {
      if (k === 'step' || typeof v !== 'number') continue;
      let pts = series.get(k);
      if (!pts) series.set(k, (pts = []));
      pts.push({ step: s, time: NaN, value: v });
    }
  }
  const params: Record<string, string> = Object.create(null);
  for (const k of STATE_PARAMS) if (state[k] !== undefined && state[k] !== null) params[k] = scalarText(state[k]);
  for (const name of ['adapter_config.json', 'config.json']) {
    const file = path.join(training.latestDir, name);
    if (!fs.existsSync(file)) continue;
    const parsed = parsePythonJson(readRegularText(file), file);
    diagnostics.push(...parsed.diagnostics);
    const prefix = name === 'adapter_config.json' ? 'adapter' : 'model';
    Object.assign(params, flattenParams(parsed.value ?? {}, prefix));
  }
  const tags: Record<string, string> = Object.create(null);
  for (const k of ['best_metric', 'best_model_checkpoint', 'global_step', 'best_global_step']) {
    if (state[k] !== undefined && state[k] !== null) tags[`hf.${k}`] = scalarText(state[k]);
  }
  const done = finished || (training.maxSteps !== undefined && training.globalStep >= training.maxSteps);
  return { params, tags, series, status: done ? 'FINISHED' : 'UNKNOWN' };
}

/** The final metrics an output folder holds. */
export interface HfResults {
  /** The results files read, in the order read. */
  files: string[];
  metrics: Record<string, number>;
}

/**
 * The output folder's `*_results.json`: every numeric value (a split's own file over all_results.json,
 * which save_metrics rewrites from the same dict). undefined when there are none.
 */
export function readHfResults(outputDir: string, diagnostics: Diagnostic[]): HfResults | undefined {
  const out: HfResults = { files: [], metrics: {} };
  for (const name of HF_RESULTS_FILES) {
    const file = path.join(outputDir, name);
    if (!fs.existsSync(file)) continue;
    const text = readTextFile(file, diagnostics);
    if (text === undefined) continue;
    const parsed = parsePythonJson(text, file);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      if (parsed.diagnostics.length === 0) diagnostics.push({ file, line: 1, severity: 'error', message: `${name} is not a JSON object` });
      continue;
    }
    out.files.push(file);
    for (const [k, v] of Object.entries(parsed.value)) if (typeof v === 'number') out.metrics[k] = v;
  }
  return out.files.length ? out : undefined;
}

/**
 * The training the results belong to: the one whose log_history holds the results' train_runtime (the
 * Trainer logs it once, at the end), else the only one, else the training of the output folder's own
 * trainer_state.json (`save_state` writes it after training). -1 when none can be told.
 */
export function hfResultsOwner(results: HfResults, trainings: { training: HfTraining; state: Record<string, unknown> }[], outputDir: string): number {
  const runtime = results.metrics.train_runtime;
  if (runtime !== undefined) {
    const i = trainings.findIndex(({ state }) => Array.isArray(state.log_history) && state.log_history.some((e) => e && typeof e === 'object' && (e as Record<string, unknown>).train_runtime === runtime));
    if (i >= 0) return i;
  }
  if (trainings.length === 1) return 0;
  return trainings.findIndex(({ training }) => training.latestDir === outputDir);
}

/**
 * Adds the final metrics to a training's series: a value the history already has at its last step is
 * there; any other is one more point at the training's last step (as the Trainer logs a final
 * `evaluate()` at `global_step`), after the logged ones, so it is the series' latest.
 */
export function addHfResults(series: Map<string, MetricPoint[]>, results: HfResults, lastStep: number): void {
  for (const [k, value] of Object.entries(results.metrics)) {
    let pts = series.get(k);
    if (!pts) series.set(k, (pts = []));
    const last = pts.at(-1);
    if (last && last.step === lastStep && Object.is(last.value, value)) continue;
    pts.push({ step: lastStep, time: NaN, value });
  }
}

function readState(file: string, diagnostics: Diagnostic[]): Record<string, unknown> | undefined {
  const text = readTextFile(file, diagnostics);
  if (text === undefined) return undefined;
  const parsed = parsePythonJson(text, file);
  diagnostics.push(...parsed.diagnostics);
  if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    if (parsed.diagnostics.length === 0) diagnostics.push({ file, line: 1, severity: 'error', message: 'trainer_state.json is not a JSON object' });
    return undefined;
  }
  return parsed.value as Record<string, unknown>;
}

function step(state: Record<string, unknown>): number {
  return typeof state.global_step === 'number' ? state.global_step : -1;
}

function safeReaddir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
