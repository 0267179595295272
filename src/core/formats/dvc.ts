/**
 * DVC projects and DVCLive output, read from the files (no `dvc` process): `dvc.yaml` stages (cmd, deps,
 * outs, params, metrics, plots), `dvc.lock` (md5 of every dep and out of the last run, the param values
 * used; the 2.0 schema and DVC 1.0's), params files (dvcParams.ts), metrics files (JSON/YAML/plain
 * number), DVCLive folders (`plots/metrics/**.tsv` step series, `metrics.json`, `params.yaml`), and DVC
 * 0.x stage files (`*.dvc` with `cmd`, outs marked `metric: true`). The workspace is one run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, MetricPoint } from '../model';
import { parseCsv } from './csv';
import { parsePythonJson } from './json';
import { readTextFile, readRegularText } from './files';
import { parseNumberText } from './lines';
import { parseYaml } from './yaml';
import { lockParams, paramsFilesOf, readDvcParams } from './dvcParams';

/**
 * How the reader sees a project's files: the disk for the workspace, a git commit's tree for a DVC
 * experiment (see dvcExperiments.ts). Paths are absolute, as on disk.
 */
export interface ProjectFiles {
  exists(file: string): boolean;
  text(file: string, diagnostics: Diagnostic[]): string | undefined;
  /** Entries of a folder: names, and whether each is a folder. */
  list(dir: string): { name: string; dir: boolean }[];
}

export const diskFiles: ProjectFiles = {
  exists: (file) => fs.existsSync(file),
  text: readTextFile,
  list: (dir) => safeDirents(dir).map((e) => ({ name: e.name, dir: e.isDirectory() || (e.isSymbolicLink() && !!fs.statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isDirectory()) })),
};

export interface DvcProject {
  params: Record<string, string>;
  tags: Record<string, string>;
  series: Map<string, MetricPoint[]>;
  gitCommit?: string;
  /**
   * Every file looked at, for fingerprints: those read, and those looked for and missing (a metrics file
   * not produced yet, the next commit's loose ref), whose appearing changes the run too.
   */
  files: string[];
  diagnostics: Diagnostic[];
}

/** A DVC project folder: `dvc.yaml`, or a DVC 0.x repo with stage files. */
export function isDvcProjectDir(dir: string, names: Set<string>): boolean {
  if (names.has('dvc.yaml')) return true;
  return names.has('.dvc') && [...names].some((n) => n.endsWith('.dvc') && n !== '.dvc' && isStageFile(path.join(dir, n)));
}

function isStageFile(file: string): boolean {
  try {
    return /^cmd:/m.test(readRegularText(file).slice(0, 4096));
  } catch {
    return false;
  }
}

/** The keys of a stage that name metrics files: DVC 2+ (`metrics`), and DVC 1.0's variants of it. */
const METRICS_KEYS = ['metrics', 'metrics_no_cache', 'metrics_persist', 'metrics_persist_no_cache'];

export function readDvcProject(dir: string, files: ProjectFiles = diskFiles): DvcProject {
  const p: DvcProject = { params: Object.create(null), tags: Object.create(null), series: new Map(), files: [], diagnostics: [] };
  const rel = (file: string) => path.relative(dir, file).split(path.sep).join('/') || '.';
  const textOf = (file: string) => (looked(file, p, files) ? files.text(file, p.diagnostics) : undefined);
  const yamlOf = (file: string): Record<string, any> | undefined => {
    const text = textOf(file);
    if (text === undefined) return undefined;
    const parsed = parseYaml(text, file);
    p.diagnostics.push(...parsed.diagnostics);
    return parsed.value && typeof parsed.value === 'object' ? (parsed.value as Record<string, any>) : undefined;
  };

  const metricFiles = new Set<string>();
  const addMetrics = (m: unknown) => {
    const name = typeof m === 'string' ? m : m && typeof m === 'object' ? Object.keys(m)[0] : undefined;
    if (name) metricFiles.add(path.posix.normalize(name));
  };
  const dvcYaml = yamlOf(path.join(dir, 'dvc.yaml'));
  for (const [name, stage] of Object.entries<any>(dvcYaml?.stages ?? {})) {
    if (!stage || typeof stage !== 'object') continue;
    if (typeof stage.cmd === 'string' || Array.isArray(stage.cmd)) p.tags[`dvc.stage.${name}.cmd`] = Array.isArray(stage.cmd) ? stage.cmd.join(' && ') : stage.cmd;
    for (const key of METRICS_KEYS) for (const m of Array.isArray(stage[key]) ? stage[key] : []) addMetrics(m);
  }
  for (const m of Array.isArray(dvcYaml?.metrics) ? dvcYaml.metrics : []) addMetrics(m);

  const lockFile = path.join(dir, 'dvc.lock');
  const lockText = textOf(lockFile);
  const lockParsed = lockText === undefined ? undefined : parseYaml(lockText, lockFile);
  p.diagnostics.push(...(lockParsed?.diagnostics ?? []));
  const lock = lockParsed?.value && typeof lockParsed.value === 'object' ? (lockParsed.value as Record<string, any>) : undefined;
  // Schema 2.0 keeps stages under `stages:`; the 1.0 lock file is the stages map itself.
  const lockStages = lock?.schema !== undefined ? lock?.stages : lock;
  for (const stage of Object.values<any>(lockStages && typeof lockStages === 'object' ? lockStages : {})) {
    for (const kind of ['deps', 'outs'] as const) {
      for (const entry of Array.isArray(stage?.[kind]) ? stage[kind] : []) {
        if (entry?.path && entry.md5) p.tags[`dvc.${kind === 'deps' ? 'dep' : 'out'}.${entry.path}`] = String(entry.md5);
      }
    }
  }

  // DVC 0.x stage files.
  for (const n of files.list(dir).map((e) => e.name).filter((n) => n.endsWith('.dvc') && n !== '.dvc')) {
    const stage = yamlOf(path.join(dir, n));
    if (!stage || typeof stage.cmd !== 'string') continue;
    p.tags[`dvc.stage.${n.slice(0, -4)}.cmd`] = stage.cmd;
    for (const out of stage.outs ?? []) if (out?.metric && out.path) metricFiles.add(out.path);
  }

  // DVCLive folders anywhere below (a few levels): each a `Live(dir=…)` of its own.
  const lives = findDvcliveDirs(dir, 3, files);
  p.params = readDvcParams(
    paramsFilesOf(dvcYaml),
    lives.map((live) => rel(path.join(live, 'params.yaml'))),
    lockParams(lockText, lockFile, p.diagnostics),
    { text: (f) => textOf(path.join(dir, f)), abs: (f) => path.join(dir, f) },
    p.diagnostics,
  );

  // Metrics: each pipeline metrics file, and each DVCLive folder (its plots and its summary, one series
  // per metric). A key that several of them have is named `<file or folder>:<key>`, as params are.
  const sources: { label: string; series: Map<string, MetricPoint[]> }[] = [];
  const liveSummaries = new Set(lives.map((live) => rel(path.join(live, 'metrics.json'))));
  for (const m of metricFiles) {
    if (liveSummaries.has(m)) continue; // read with its DVCLive folder
    const file = path.join(dir, m);
    if (!looked(file, p, files)) {
      p.diagnostics.push({ file, severity: 'info', message: 'metrics file named in the pipeline is not in the workspace (not produced yet, or not committed)' });
      continue;
    }
    const series = new Map<string, MetricPoint[]>();
    for (const [k, v] of readMetricsFile(file, '.', p, files)) series.set(k, [{ step: 0, time: NaN, value: v }]);
    sources.push({ label: m, series });
  }
  for (const live of lives) sources.push({ label: rel(live), series: readDvclive(live, metricFiles.has(rel(path.join(live, 'metrics.json'))), p, files) });
  const owners = new Map<string, number>();
  for (const s of sources) for (const k of s.series.keys()) owners.set(k, (owners.get(k) ?? 0) + 1);
  for (const s of sources) for (const [k, pts] of s.series) p.series.set(owners.get(k)! > 1 ? `${s.label}:${k}` : k, pts);

  if (files === diskFiles) p.gitCommit = gitHead(dir, p.files);
  return p;
}

/**
 * A DVCLive folder's metrics: the step series of `plots/metrics/**.tsv` (named by their path there, as
 * `log_metric` was given them: `train/loss`), each with the summary's value (`metrics.json`, written by
 * `Live.make_summary`) as its latest — one point more where the summary holds a value the plot has not,
 * such as a final evaluation — and the summary's values no plot has (`log_metric(…, plot=False)`).
 */
function readDvclive(live: string, named: boolean, p: DvcProject, files: ProjectFiles): Map<string, MetricPoint[]> {
  const series = new Map<string, MetricPoint[]>();
  const root = path.join(live, 'plots', 'metrics');
  for (const file of walkTsv(root, files)) {
    p.files.push(file);
    const key = path.relative(root, file).split(path.sep).join('/').replace(/\.tsv$/, '');
    const pts = readDvcliveTsv(file, key, p, files);
    if (pts) series.set(key, pts);
  }
  const summaryFile = path.join(live, 'metrics.json');
  if (!looked(summaryFile, p, files)) {
    if (named) p.diagnostics.push({ file: summaryFile, severity: 'info', message: 'metrics file named in the pipeline is not in the workspace (not produced yet, or not committed)' });
    return series;
  }
  const summary = readMetricsFile(summaryFile, '/', p, files);
  // The summary is of the step it names (DVCLive writes it), else of the plot's last step.
  const step = summary.get('step');
  for (const [k, value] of summary) {
    const pts = series.get(k);
    const last = pts?.[pts.length - 1];
    if (!pts || !last) series.set(k, [{ step: step ?? 0, time: NaN, value }]);
    else if (!(last.value === value || (Number.isNaN(last.value) && Number.isNaN(value)))) pts.push({ step: Math.max(last.step, step ?? -Infinity), time: NaN, value });
  }
  return series;
}

/**
 * Whether `file` is there, recorded among the project's files either way: one that is missing now changes
 * the run when it appears (DvcProject.files).
 */
function looked(file: string, p: DvcProject, files: ProjectFiles): boolean {
  p.files.push(file);
  return files.exists(file);
}

/**
 * Numbers of a metrics file (`looked` at first): JSON or YAML, nested keys joined with `sep` ('.' as
 * `dvc metrics show` names them, '/' for DVCLive's summary of `log_metric` names), or a file holding one number.
 */
function readMetricsFile(file: string, sep: string, p: DvcProject, files: ProjectFiles): Map<string, number> {
  const out = new Map<string, number>();
  const text = (files.text(file, p.diagnostics) ?? '').trim();
  const single = parseNumberText(text);
  if (single !== undefined) {
    out.set(path.basename(file).replace(/\.[^.]+$/, ''), single);
    return out;
  }
  const parsed = /\.json$/i.test(file) ? parsePythonJson(text, file) : parseYaml(text, file);
  p.diagnostics.push(...parsed.diagnostics);
  const walk = (v: unknown, prefix: string) => {
    if (typeof v === 'number') out.set(prefix, v);
    else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, prefix ? `${prefix}${sep}${k}` : k);
  };
  walk(parsed.value, '');
  return out;
}

/** `step<TAB>[timestamp<TAB>]<name>` rows, as DVCLive writes them. */
function readDvcliveTsv(file: string, key: string, p: DvcProject, files: ProjectFiles): MetricPoint[] | undefined {
  const table = parseCsv(files.text(file, p.diagnostics) ?? '', file, '\t');
  p.diagnostics.push(...table.diagnostics);
  const stepIdx = table.header.indexOf('step');
  const timeIdx = table.header.indexOf('timestamp');
  const name = path.basename(key);
  let valueIdx = table.header.indexOf(name);
  if (valueIdx < 0) valueIdx = table.header.findIndex((_h, i) => i !== stepIdx && i !== timeIdx);
  if (valueIdx < 0) {
    p.diagnostics.push({ file, line: 1, severity: 'error', message: 'no value column in the header' });
    return undefined;
  }
  const pts: MetricPoint[] = [];
  table.rows.forEach((row, i) => {
    const cell = (j: number) => (j >= 0 ? parseNumberText(row.cells[j] ?? '') : undefined);
    const value = cell(valueIdx);
    if (value === undefined) {
      p.diagnostics.push({ file, line: row.line, severity: 'error', message: `${JSON.stringify(row.cells[valueIdx] ?? '')} is not a number` });
      return;
    }
    pts.push({ step: cell(stepIdx) ?? i, time: cell(timeIdx) ?? NaN, value });
  });
  return pts;
}

export function findDvcliveDirs(dir: string, depth: number, files: ProjectFiles = diskFiles): string[] {
  const out: string[] = [];
  const visit = (d: string, level: number) => {
    if (files.exists(path.join(d, 'plots', 'metrics'))) out.push(d);
    if (level >= depth) return;
    for (const e of files.list(d)) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || !e.dir) continue;
      visit(path.join(d, e.name), level + 1);
    }
  };
  visit(dir, 0);
  return out;
}

function walkTsv(root: string, files: ProjectFiles): string[] {
  const out: string[] = [];
  for (const e of files.list(root)) {
    const full = path.join(root, e.name);
    if (e.dir) out.push(...walkTsv(full, files));
    else if (e.name.endsWith('.tsv')) out.push(full);
  }
  return out.sort();
}

/**
 * The commit checked out in the git repository holding `dir`, read from `.git` without running git. The
 * files that decide it (HEAD, the branch's loose ref, packed-refs) are added to `read`, if given: a commit
 * or a checkout changes one of them and nothing in the project.
 */
export function gitHead(dir: string, read?: string[]): string | undefined {
  try {
    return findGitHead(dir, read ?? []);
  } catch {
    return undefined; // an unreadable .git is no reason to fail the run
  }
}

function findGitHead(dir: string, read: string[]): string | undefined {
  for (let d = path.resolve(dir), i = 0; i < 30; i++) {
    const gitDir = path.join(d, '.git');
    if (fs.existsSync(path.join(gitDir, 'HEAD'))) {
      read.push(path.join(gitDir, 'HEAD'));
      const head = readRegularText(path.join(gitDir, 'HEAD')).trim();
      if (/^[0-9a-f]{40}$/.test(head)) return head;
      const ref = /^ref: (.+)$/.exec(head)?.[1];
      if (!ref) return undefined;
      const loose = path.join(gitDir, ref);
      // The loose ref is looked for even when missing: the next commit on the branch writes it.
      read.push(loose);
      if (fs.existsSync(loose)) return readRegularText(loose).trim();
      const packed = path.join(gitDir, 'packed-refs');
      read.push(packed);
      if (fs.existsSync(packed)) return readRegularText(packed).split('\n').find((l) => l.endsWith(` ${ref}`))?.slice(0, 40);
      return undefined;
    }
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
  return undefined;
}

function safeDirents(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
