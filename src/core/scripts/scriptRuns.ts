/**
 * Which indexed runs a script made, from what the formats record: MLflow's `mlflow.source.name` and W&B's
 * `program` (often an absolute path of another machine, so matched by their trailing path segments), the
 * `cmd` of a DVC stage, and the folders a script writes into — the string literals of the script that name
 * an existing folder (`TensorBoardLogger("tb_logs")`, `output_dir="results"`) and each framework's
 * default folder (`lightning_logs`, `runs`, `wandb`, `dvclive`) next to the script or at the root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRow, Store } from '../index/store';
import { metricDirection, pickKeyMetric } from '../analysis/compare';
import type { ScriptScan } from './python';

const DEFAULT_FOLDERS: Record<string, string[]> = {
  lightning: ['lightning_logs'],
  transformers: ['runs'],
  tensorboard: ['runs'],
  wandb: ['wandb'],
  dvclive: ['dvclive'],
};

const norm = (p: string) => p.replace(/\\/g, '/');
const inside = (child: string, dir: string) => child === dir || child.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

/** Folders (or files: a Keras CSV log) the script writes runs into, as absolute paths that exist. */
export function outputPlaces(script: string, scan: Pick<ScriptScan, 'literals' | 'frameworks'>, roots: string[]): string[] {
  const dir = path.dirname(script);
  const root = roots.find((r) => inside(script, r)) ?? dir;
  const names = new Set<string>(scan.literals.filter((l) => !/[\n\r\t<>|*?"]/.test(l) && !/^\w+:\/\//.test(l.replace(/^file:/, 'x://x'))));
  for (const f of scan.frameworks) for (const d of DEFAULT_FOLDERS[f] ?? []) names.add(d);
  const out = new Set<string>();
  for (const name of names) {
    const rel = name.replace(/^file:(\/\/)?/, '');
    for (const base of path.isAbsolute(rel) ? [''] : [dir, root]) {
      const abs = path.resolve(base, rel);
      // Never the script's own folder, the root or anything above them: that would claim every run.
      if (inside(dir, abs) || inside(root, abs) || !inside(abs, root)) continue;
      if (fs.existsSync(abs)) out.add(abs);
    }
  }
  return [...out];
}

/** Whether a recorded source path (`/home/me/proj/src/train.py`, `train.py`) names this script. */
export function sourceNames(source: string, script: string, root: string, runPath: string): boolean {
  const recorded = norm(source).split('/').filter(Boolean);
  const mine = norm(path.relative(root, script)).split('/').filter(Boolean);
  if (recorded.length === 0 || recorded[recorded.length - 1] !== mine[mine.length - 1]) return false;
  if (norm(source) === norm(script)) return true;
  let same = 0;
  while (same < Math.min(recorded.length, mine.length) && recorded[recorded.length - 1 - same] === mine[mine.length - 1 - same]) same++;
  if (same >= 2 || (same === mine.length && recorded.length === mine.length)) return true;
  // Only the file name agrees: the run must sit under the script's folder, and no file of the same name in
  // the recorded parent folder (a closer match) may exist there.
  const dir = path.dirname(script);
  if (!inside(runPath, dir)) return false;
  const parent = recorded[recorded.length - 2];
  return !parent || !fs.existsSync(path.join(dir, parent, recorded[recorded.length - 1]));
}

/** The runs of a script, newest first (deleted runs left out). */
export function runsOfScript(store: Store, script: string, scan: Pick<ScriptScan, 'literals' | 'frameworks'>, roots: string[], limit = 2000): RunRow[] {
  const root = roots.find((r) => inside(script, r)) ?? path.dirname(script);
  const base = path.basename(script);
  const like = (s: string) => s.replace(/[\\%_]/g, '\\$&');
  const places = outputPlaces(script, scan, roots);
  const clauses = ["r.source_script LIKE ? ESCAPE '\\'", "r.rid IN (SELECT rid FROM tags WHERE key LIKE 'dvc.stage.%.cmd' AND value LIKE ? ESCAPE '\\')"];
  const params: unknown[] = [`%${like(base)}`, `%${like(base)}%`];
  for (const p of places) {
    clauses.push("(r.path = ? OR r.path LIKE ? ESCAPE '\\')");
    params.push(p, `${like(p)}${like(path.sep)}%`);
  }
  const candidates = store.queryRuns({ sql: `r.lifecycle <> 'deleted' AND (${clauses.join(' OR ')})`, params }, { sql: '', params: [] }, limit, 0);
  const rel = norm(path.relative(root, script));
  return candidates.filter((r) => {
    if (places.some((p) => inside(r.path, p))) return true;
    if (r.sourceScript && sourceNames(r.sourceScript, script, root, r.path)) return true;
    // A DVC stage: its cmd names the script by its path relative to the dvc.yaml folder or the root.
    if (r.format === 'dvc') {
      const cmds = store.db.prepare("SELECT value FROM tags WHERE rid = ? AND key LIKE 'dvc.stage.%.cmd'").pluck().all(r.rid) as string[];
      const fromStage = norm(path.relative(r.path, script));
      return cmds.some((c) => new RegExp(`(^|[\\s/'"])(${escapeRe(fromStage)}|${escapeRe(rel)})($|[\\s'"])`).test(norm(c)));
    }
    return false;
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface BestRun {
  run: RunRow;
  key: string;
  value: number;
}

/**
 * The best of some runs by a metric's last value: the given key when the runs have it (a workspace-wide
 * `runlens.keyMetric` may belong to other runs), else the key metric guessed from their metrics.
 */
export function bestRun(store: Store, runs: RunRow[], key?: string): BestRun | undefined {
  const summaries = runs.map((run) => ({ run, series: store.seriesSummaries(run.rid) }));
  const keys = new Set(summaries.flatMap((s) => s.series.map((x) => x.key)));
  const metric = key && keys.has(key) ? key : pickKeyMetric([...keys]);
  if (!metric) return undefined;
  const sign = metricDirection(metric) === 'max' ? 1 : -1;
  let best: BestRun | undefined;
  for (const { run, series } of summaries) {
    const v = series.find((s) => s.key === metric)?.last;
    if (v === undefined || !Number.isFinite(v)) continue;
    if (!best || sign * v > sign * best.value) best = { run, key: metric, value: v };
  }
  return best;
}
