/**
 * `runlens runs --query` as a user runs it: a whole process (Node's start, the bundle, opening the index,
 * the query, the table) over a workspace of N MLflow runs. The index is fresh — its last pass finished
 * within the freshness window (src/cli/workspace.ts) — so no pass is run; `--refresh` adds the warm pass a
 * query pays once the window has passed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeMlflowStore } from './generate';

export interface CliQueryResult {
  runs: number;
  cli: string;
  /** Median and spread of three runs each, in ms. */
  fresh: { ms: number; spread: [number, number] };
  refresh: { ms: number; spread: [number, number] };
  coldMs: number;
}

const QUERY = 'params.p00 < 0.01 and metrics.m0 > 0.5';
const SORT = 'metrics.m0 desc';

export function benchCliQuery(root: string, runs: number): CliQueryResult {
  const repo = path.resolve(__dirname, '..', '..');
  const bundle = path.join(repo, 'dist', 'cli.js');
  const cli = fs.existsSync(bundle) ? bundle : path.join(repo, 'out', 'src', 'cli', 'bin.js');
  const ws = path.join(root, `cli-${runs}`);
  if (!fs.existsSync(ws)) writeMlflowStore(ws, { runs, params: 5, metrics: 2, steps: 5, runsPerExperiment: 10_000 });
  const db = path.join(root, `cli-${runs}.sqlite`);
  // The window long enough for the three fresh runs; the pass that starts it is the `index` command's.
  const env = { ...process.env, RUNLENS_FRESH_SECONDS: '600' };
  const run = (...args: string[]) => {
    const t = performance.now();
    execFileSync(process.execPath, [cli, ...args, '--index', db], { env, maxBuffer: 1 << 26 });
    return performance.now() - t;
  };
  const coldMs = run('index', ws);
  const median = (f: () => number) => {
    const ms = [f(), f(), f()].sort((a, b) => a - b);
    return { ms: ms[1], spread: [ms[0], ms[2]] as [number, number] };
  };
  run('index', ws);
  const fresh = median(() => run('runs', ws, '--query', QUERY, '--sort', SORT));
  const refresh = median(() => run('runs', ws, '--query', QUERY, '--sort', SORT, '--refresh'));
  return { runs, cli: path.relative(repo, cli), fresh, refresh, coldMs };
}
