/**
 * `runlens runs --query` as a user runs it: a whole process (Node's start, the bundle, opening the index,
 * the check that a pass would change nothing, the query, the table) over a workspace of N MLflow runs. With
 * nothing changed since the last pass no pass is run (src/cli/workspace.ts: unchangedSincePass); with one
 * metric file appended to, the check finds it and a warm pass re-reads that run; `--refresh` always runs a
 * warm pass.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeMlflowStore } from './generate';

export interface CliQueryResult {
  runs: number;
  cli: string;
  /** Median and spread of three runs each, in ms. */
  unchanged: { ms: number; spread: [number, number] };
  oneChanged: { ms: number; spread: [number, number] };
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
  const run = (...args: string[]) => {
    const t = performance.now();
    execFileSync(process.execPath, [cli, ...args, '--index', db], { maxBuffer: 1 << 26 });
    return performance.now() - t;
  };
  const coldMs = run('index', ws);
  const median = (f: () => number) => {
    const ms = [f(), f(), f()].sort((a, b) => a - b);
    return { ms: ms[1], spread: [ms[0], ms[2]] as [number, number] };
  };
  run('index', ws);
  const query = ['runs', ws, '--query', QUERY, '--sort', SORT];
  const unchanged = median(() => run(...query));
  // One point appended to one run's metric file before each query (the bench's own workspace).
  const exp = path.join(ws, 'mlruns', fs.readdirSync(path.join(ws, 'mlruns')).sort()[0]);
  const metric = path.join(exp, fs.readdirSync(exp).filter((n) => n !== 'meta.yaml').sort()[0], 'metrics', 'm0');
  let step = 1_000_000;
  const oneChanged = median(() => {
    fs.appendFileSync(metric, `1702400000000 0.5 ${step++}\n`);
    return run(...query);
  });
  const refresh = median(() => run(...query, '--refresh'));
  return { runs, cli: path.relative(repo, cli), unchanged, oneChanged, refresh, coldMs };
}
