/**
 * Hugging Face Trainer output folders: `checkpoint-N/trainer_state.json` (cumulative `log_history`,
 * `best_metric`, `best_model_checkpoint`, `global_step`, the schedule), `adapter_config.json` /
 * `config.json` as params. The checkpoints of one training are one run; an output folder reused by
 * several trainings (different schedules or histories) yields one run per training. `training_args.bin`
 * and other pickles are listed, never unpickled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, MetricPoint, RunStatus } from '../model';
import { parsePythonJson } from './json';
import { readTextFile, readRegularText } from './files';
import { flattenParams, scalarText } from './yaml';

export const CHECKPOINT_RE = /^checkpoint-(\d+)$/;
const STATE = 'trainer_state.json';

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
