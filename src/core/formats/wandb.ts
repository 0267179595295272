/**
 * Weights & Biases offline runs (`wandb/run-*`, `wandb/offline-run-*`), in both layouts W&B has written:
 * files under `files/` (current) or beside the run (before 0.9). `config.yaml` (values under `value:`),
 * `wandb-summary.json`, `wandb-metadata.json` (git, program, python, host, state), history from
 * `wandb-history.jsonl`, or from the binary `run-<id>.wandb` transaction log when there is no JSONL.
 *
 * Status and times: the log's exit record says the run ended (FINISHED for exit code 0, FAILED otherwise);
 * it ended its runtime after it started (`_runtime` of wandb-summary.json, else the exit record's whole
 * seconds). The start is the metadata's `startedAt`, else the log's run record. Old runs without a log say
 * it in wandb-metadata.json (`state`, `exitcode`, `heartbeatAt`). Nothing else is a time: the folder's name
 * holds the local time, in no known zone. A run resumed in several folders (one run id) is one run:
 * readWandbRuns merges them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Artifact, Diagnostic, MetricPoint, RunStatus } from '../model';
import { artifactKind } from '../model';
import { parsePythonJson } from './json';
import { readTextFile } from './files';
import { readLines } from './lines';
import { walkFiles } from './mlflow';
import { dict, readWandbLog, type WandbLogPosition } from './wandbLog';
import { flattenParams, parseYaml, scalarText } from './yaml';

export const WANDB_RUN_DIR_RE = /^(offline-)?run-(\d{8}_\d{6})-([a-z0-9]+)$/;

export interface WandbRun {
  runId: string;
  name: string;
  status: RunStatus;
  startTime?: number;
  endTime?: number;
  user?: string;
  sourceScript?: string;
  gitCommit?: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  series: Map<string, MetricPoint[]>;
  artifacts: Artifact[];
  diagnostics: Diagnostic[];
  /** Where `wandb-history.jsonl` was read to, to read only what is appended next time. */
  history?: WandbHistoryPosition;
  /** Keys whose series come from the history (the others are summary values: one point at the last step). */
  historyKeys: string[];
  /** The W&B project the log's run record names (one run id in two projects is two runs). */
  project?: string;
  /** Whether the log's exit record is there: the run ended. */
  exited: boolean;
  /** Seconds it ran, as its summary or exit record says (counting the earlier parts of a resumed run). */
  runtime?: number;
  /** Where artifacts' paths start, when not the run folder (a run merged from several folders). */
  artifactDir?: string;
  /** The folders it was read from, oldest first. */
  dirs: string[];
}

export interface WandbHistoryPosition {
  /** `wandb-history.jsonl`, or the binary log when there is no JSONL. */
  file: string;
  offset: number;
  line: number;
  /** For the binary log: what its records had set (config, summary, run) by `offset`. */
  log?: WandbLogPosition;
  /** Rows read (the step of rows without `_step`), and the last step. */
  rows: number;
  lastStep: number;
}

const STATES: Record<string, RunStatus> = { finished: 'FINISHED', running: 'RUNNING', failed: 'FAILED', crashed: 'FAILED', killed: 'KILLED' };

/** The file of a run, in `files/` (current layout) or in the run folder itself (old layout). */
export function wandbFile(dir: string, name: string): string | undefined {
  for (const f of [path.join(dir, 'files', name), path.join(dir, name)]) if (fs.existsSync(f)) return f;
  return undefined;
}

export function wandbLogFile(dir: string): string | undefined {
  const f = wandbLogPath(dir);
  return f && fs.existsSync(f) ? f : undefined;
}

/** Where a run folder's binary log would be (`run-<id>.wandb`), whether or not it is there. */
export function wandbLogPath(dir: string): string | undefined {
  const m = WANDB_RUN_DIR_RE.exec(path.basename(dir));
  return m ? path.join(dir, `run-${m[3]}.wandb`) : undefined;
}

/**
 * Reads a run. With `from` (the history position of the last read, same file), only the history rows
 * appended since are read: `series` then holds the new history points and the summary values, and
 * `historyKeys` every key the history has had.
 */
export function readWandbRun(dir: string, from?: { history: WandbHistoryPosition; historyKeys: string[] }): WandbRun {
  const diagnostics: Diagnostic[] = [];
  const m = WANDB_RUN_DIR_RE.exec(path.basename(dir));
  const runId = m?.[3] ?? path.basename(dir);
  const run: WandbRun = { runId, name: runId, status: 'UNKNOWN', params: dict(), tags: dict(), series: new Map(), artifacts: [], diagnostics, historyKeys: [], exited: false, dirs: [dir] };
  const historyKeys = new Set(from?.historyKeys ?? []);

  const configFile = wandbFile(dir, 'config.yaml');
  if (configFile) {
    const parsed = parseYaml(readTextFile(configFile, diagnostics) ?? '', configFile);
    diagnostics.push(...parsed.diagnostics);
    const config = (parsed.value ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(config)) {
      if (k === 'wandb_version' || k === '_wandb') continue;
      const value = v && typeof v === 'object' && Object.hasOwn(v, 'value') ? (v as { value: unknown }).value : v;
      flattenParams(value, k, run.params);
      if (value === null || typeof value !== 'object') run.params[k] = scalarText(value);
    }
  }

  const metaFile = wandbFile(dir, 'wandb-metadata.json');
  if (metaFile) {
    const meta = parsePythonJson(readTextFile(metaFile, diagnostics) ?? '', metaFile);
    diagnostics.push(...meta.diagnostics);
    const md = (meta.value ?? {}) as Record<string, any>;
    if (typeof md.startedAt === 'string' && !Number.isNaN(Date.parse(md.startedAt + (/[zZ+]/.test(md.startedAt.slice(-6)) ? '' : 'Z')))) {
      run.startTime = Date.parse(md.startedAt + (/[zZ+]/.test(md.startedAt.slice(-6)) ? '' : 'Z'));
    }
    if (typeof md.heartbeatAt === 'string') run.endTime = Date.parse(md.heartbeatAt + (/[zZ+]/.test(md.heartbeatAt.slice(-6)) ? '' : 'Z'));
    if (typeof md.state === 'string') run.status = STATES[md.state] ?? 'UNKNOWN';
    if (typeof md.exitcode === 'number' && run.status === 'UNKNOWN') run.status = md.exitcode === 0 ? 'FINISHED' : 'FAILED';
    run.gitCommit = md.git?.commit ?? undefined;
    run.sourceScript = md.program ?? md.codePath ?? undefined;
    run.user = md.username ?? md.email ?? undefined;
    for (const k of ['host', 'python', 'os', 'executable', 'codePath', 'root']) if (typeof md[k] === 'string') run.tags[`wandb.${k}`] = md[k];
    if (typeof md.git?.remote === 'string') run.tags['wandb.git.remote'] = md.git.remote;
    if (Array.isArray(md.args)) run.tags['wandb.args'] = md.args.map(String).join(' ');
  }

  const historyFile = wandbFile(dir, 'wandb-history.jsonl');
  const logFile = wandbLogFile(dir);
  // The history source read last time, if it is still the one (the JSONL wins over the log).
  const resume = from && from.history.file === (historyFile ?? logFile) ? from.history : undefined;
  let lastStep = resume?.lastStep ?? 0;
  if (historyFile) {
    let index = resume?.rows ?? 0;
    const res = readLines(historyFile, resume?.offset ?? 0, resume?.line ?? 1, (line, lineNo) => {
      if (line.trim() === '') return;
      const parsed = parsePythonJson(line, historyFile);
      if (!parsed.value || typeof parsed.value !== 'object') {
        diagnostics.push({ file: historyFile, line: lineNo, severity: 'error', message: parsed.diagnostics[0]?.message ?? 'history line is not a JSON object' });
        return;
      }
      const row = parsed.value as Record<string, unknown>;
      const step = typeof row._step === 'number' ? row._step : index;
      const time = typeof row._timestamp === 'number' ? row._timestamp * 1000 : NaN;
      index++;
      lastStep = step;
      addNumbers(run.series, row, '', step, time);
    });
    if (res.pendingBytes > 0) diagnostics.push({ file: historyFile, line: res.nextLine, severity: 'info', message: 'last line has no newline yet (still being written?); it is read once complete' });
    for (const k of run.series.keys()) historyKeys.add(k);
    run.history = { file: historyFile, offset: res.endOffset, line: res.nextLine, rows: index, lastStep };
  } else if (logFile) {
    const log = readWandbLog(logFile, resume?.log);
    diagnostics.push(...log.diagnostics);
    for (const h of log.history) {
      const step = h.step ?? lastStep;
      lastStep = step;
      addNumbers(run.series, h.values, '', step, typeof h.values._timestamp === 'number' ? h.values._timestamp * 1000 : NaN);
    }
    for (const k of run.series.keys()) historyKeys.add(k);
    run.history = { file: logFile, offset: log.position.offset, line: 0, rows: 0, lastStep, log: log.position };
    Object.assign(run.params, log.config);
    if (log.run.displayName) run.name = log.run.displayName;
    if (log.run.gitCommit) run.gitCommit ??= log.run.gitCommit;
    if (log.run.startTime !== undefined) run.startTime ??= log.run.startTime;
    run.project = log.run.project;
    if (log.exit) {
      run.exited = true;
      run.status = log.exit.code === 0 ? 'FINISHED' : 'FAILED';
      run.runtime = log.exit.runtime ?? 0;
    }
    if (Object.keys(log.summary).length) summaryOnly(run, log.summary, lastStep, historyKeys);
  }

  run.historyKeys = [...historyKeys];
  const summaryFile = wandbFile(dir, 'wandb-summary.json');
  if (summaryFile) {
    const parsed = parsePythonJson(readTextFile(summaryFile, diagnostics) ?? '', summaryFile);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.value && typeof parsed.value === 'object') {
      const summary = parsed.value as Record<string, unknown>;
      summaryOnly(run, summary, lastStep, historyKeys);
      // The summary's runtime is to the microsecond; the exit record's in whole seconds.
      if (typeof summary._runtime === 'number' && Number.isFinite(summary._runtime)) run.runtime = summary._runtime;
    }
  }
  if (run.exited) run.endTime = run.startTime !== undefined && run.runtime !== undefined ? run.startTime + run.runtime * 1000 : undefined;

  walkFiles(dir, 4, (_f, rel, size) => {
    if (run.artifacts.length < 2000 && !/^(files\/)?(config\.yaml|wandb-(summary|metadata)\.json|wandb-history\.jsonl|wandb-events\.jsonl)$/.test(rel)) {
      run.artifacts.push({ path: rel, size, kind: artifactKind(rel) });
    }
  });
  return run;
}

/**
 * Reads the folders of one run id (a run resumed in each) as W&B shows them: one run per project the logs
 * name (a folder whose log names none goes with the one before it, or with the first that names one), its
 * parts in the order they started, the history of its folders in step order, the config and summary of
 * the later ones over the earlier, the status and name of the last, the start of the first and the end of
 * the last (a resumed part's runtime counts the parts before it too). Artifacts' paths start at the
 * folders' parent.
 */
export function readWandbRuns(dirs: string[]): WandbRun[] {
  const groups = new Map<string, WandbRun[]>();
  let lastProject: string | undefined;
  const read = dirs.map((dir) => readWandbRun(dir));
  // The names hold local times: a run resumed in another time zone is put in order by its recorded starts.
  if (read.every((p) => p.startTime !== undefined)) read.sort((a, b) => a.startTime! - b.startTime!);
  const firstProject = read.find((p) => p.project !== undefined)?.project ?? '';
  for (const part of read) {
    const dir = part.dirs[0];
    const project = part.project ?? lastProject ?? firstProject;
    lastProject = project;
    const parts = groups.get(project) ?? [];
    groups.set(project, parts);
    for (const a of part.artifacts) a.path = `${path.basename(dir)}/${a.path}`;
    part.artifactDir = path.dirname(dir);
    parts.push(part);
  }
  return [...groups.values()].map(mergeRuns);
}

function mergeRuns(parts: WandbRun[]): WandbRun {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const last = parts[parts.length - 1];
  const historyKeys = new Set(parts.flatMap((p) => p.historyKeys));
  const series = new Map<string, MetricPoint[]>();
  for (const p of parts) {
    for (const [k, pts] of p.series) {
      if (!historyKeys.has(k)) series.set(k, pts); // a summary value: the last folder's
      else if (p.historyKeys.includes(k)) series.set(k, (series.get(k) ?? []).concat(pts));
    }
  }
  // The summary point of a key with no history sits at the last step of all.
  const lastStep = Math.max(...[...series.entries()].filter(([k]) => historyKeys.has(k)).map(([, pts]) => pts.reduce((m, p) => Math.max(m, p.step), -Infinity)), -Infinity);
  for (const [k, pts] of series) {
    if (historyKeys.has(k)) pts.sort((a, b) => a.step - b.step);
    else if (Number.isFinite(lastStep)) series.set(k, pts.map((p) => ({ ...p, step: lastStep })));
  }
  // A resumed run's runtime goes on from the part before's: the last part ran for the difference.
  const before = parts[parts.length - 2].runtime;
  let endTime = last.endTime;
  if (last.exited && last.startTime !== undefined && last.runtime !== undefined && before !== undefined && last.runtime >= before) endTime = last.startTime + (last.runtime - before) * 1000;
  const named = [...parts].reverse().find((p) => p.name !== p.runId);
  return {
    ...last,
    name: named?.name ?? last.name,
    startTime: first.startTime ?? last.startTime,
    endTime,
    user: last.user ?? first.user,
    sourceScript: last.sourceScript ?? first.sourceScript,
    gitCommit: [...parts].reverse().find((p) => p.gitCommit)?.gitCommit,
    params: Object.assign(dict<string>(), ...parts.map((p) => p.params)),
    tags: Object.assign(dict<string>(), ...parts.map((p) => p.tags)),
    series,
    artifacts: parts.flatMap((p) => p.artifacts).slice(0, 2000),
    diagnostics: parts.flatMap((p) => p.diagnostics),
    historyKeys: [...historyKeys],
    history: undefined,
    dirs: parts.flatMap((p) => p.dirs),
  };
}

/** Summary values of keys with no history become one-point series (test metrics, say). */
function summaryOnly(run: WandbRun, summary: Record<string, unknown>, step: number, historyKeys: Set<string>): void {
  const extra = new Map<string, MetricPoint[]>();
  addNumbers(extra, summary, '', step, NaN);
  for (const [k, pts] of extra) if (!run.series.has(k) && !historyKeys.has(k)) run.series.set(k, pts.slice(-1));
}

/** Numbers of a logged row, nested dicts flattened with '.'; media (dicts with `_type`) and `_…` keys skipped. */
function addNumbers(series: Map<string, MetricPoint[]>, row: Record<string, unknown>, prefix: string, step: number, time: number): void {
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('_')) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number') {
      let pts = series.get(key);
      if (!pts) series.set(key, (pts = []));
      pts.push({ step, time, value: v });
    } else if (v && typeof v === 'object' && !Array.isArray(v) && !Object.hasOwn(v, '_type')) addNumbers(series, v as Record<string, unknown>, key, step, time);
  }
}
