/**
 * `runlens` — the headless main job: index a workspace of experiment files and query it.
 *
 *   runlens index [dir]                       index (incrementally) and print a summary
 *   runlens runs [dir] [--query Q] [--sort K] [--limit N] [--json]
 *   runlens show <run> [--json]
 *   runlens compare <run> <run>... [--json]
 *   runlens metrics <run> <key> [--json]
 *
 * With no directory the demo workspace shipped with Runlens is used. The index is a cache kept outside the
 * workspace (`--index FILE`, `RUNLENS_INDEX`, or ~/.cache/runlens/).
 */
import { runAnalyze } from './analyze';
import { runModel, runModels } from './model';
import { runDataset } from './dataset';
import { runLineage } from './lineage';
import { UsageError, parseArgs } from './args';
import { runCompare, runIndex, runMetrics, runRuns, runShow } from './commands';
import { QueryError } from '../core/index/query';
import { NativeModuleError } from '../core/index/sqlite';

const USAGE = `usage: runlens <command> [options]

commands:
  index [dir]                 index a workspace (default: the bundled demo workspace)
  runs [dir]                  list runs   --query Q  --sort "KEY [asc|desc]"  --limit N  --offset N  --all  --deleted  --json
  show <run>                  one run: attributes, params, tags, metrics, artifacts   --json
  compare <run> <run>...      params and metrics side by side   --json
  metrics <run> <key>         every point of one metric series   --json
  problems [dir]              diagnostics found while indexing   --json
  analyze <run|file>          error analysis of a prediction table (or a run's): per-class and averaged metrics
                              as scikit-learn computes them, segments, fairness, rare classes, worst errors
                              --truth COL  --pred COL  --score COL  --segment COL  --errors N  --json
                              --out FILE: also write the JSON report to FILE
                              --join DATASET --join-key COL [--join-on COL]: segment by a dataset's columns
                              (alias: evaluate)
  dataset <file>              the versions of a data file from git history: its .dvc file, its dvc.lock entry,
                              or the file itself in git (md5 or blob, size, commits)   --all: every ref   --json
  dataset stats <file[@REF]>  rows, columns, types, missing values, class balance, duplicates (streamed)
                              --label COL   --json
  dataset diff <a[@REF]> [<b[@REF]>]
                              schema, rows, label shift, drift per column (KS, PSI); one file: its previous
                              version against its newest. REF: md5/blob/commit prefix, or ~N versions back
  dataset check [dir|file...] leakage between train/val/test splits, split balance, duplicate rows; exit 1
                              when any is found   --label COL   --json
  lineage <ref>               what data and code made a run, a data file (PATH[@VERSION]) or a model, and what
                              came of it: DVC deps/outs, MLflow dataset inputs, data files named by params,
                              git commit, script, stages, model artifacts, logged models   --json
  model <file>...             what a model file is, from its header: safetensors, ONNX, Keras, PyTorch zip,
                              MLmodel, TF SavedModel, pickles (size and SHA-256; never loaded)   --json
  models [dir]                every model and its versions, each with the run that made it: MLflow registered
                              versions (stage, aliases), logged models, model files by content hash   --json

options:
  --dir DIR        workspace to index for show/compare/metrics (default: demo workspace)
  --index FILE     index database (default: ~/.cache/runlens/<workspace hash>.sqlite)
  --source FORMAT=PATH  add a folder with a forced format (mlflow, mlflow-db, tensorboard, lightning, huggingface, keras); repeatable
  --exclude GLOB   skip matching paths; repeatable
  --no-index       query the existing index without re-indexing
  --no-cache       dataset stats/diff: compute again instead of using the statistics kept by content hash
  -h, --help       this help

query syntax: params.lr < 0.01 and metrics.val_acc > 0.9 and tags.model = "resnet" and status = "FINISHED"
`;

export function main(argv: string[]): number | Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.help || args.positional.length === 0) {
    process.stdout.write(USAGE);
    return args.flags.help ? 0 : 2;
  }
  const [command, ...rest] = args.positional;
  try {
    switch (command) {
      case 'index':
        return runIndex(rest, args);
      case 'runs':
        return runRuns(rest, args);
      case 'show':
        return runShow(rest, args);
      case 'compare':
        return runCompare(rest, args);
      case 'metrics':
        return runMetrics(rest, args);
      case 'problems':
        return runIndex(rest, args, true);
      case 'analyze':
      case 'evaluate':
        return runAnalyze(rest, args);
      case 'models':
        return runModels(rest, args);
      case 'model':
        return runModel(rest, args);
      case 'dataset':
        return runDataset(rest, args);
      case 'lineage':
        return runLineage(rest, args);
      default:
        process.stderr.write(`runlens: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof QueryError) {
      process.stderr.write(`runlens: bad query: ${err.message} (column ${err.column + 1})\n  ${err.pointer.split('\n').join('\n  ')}\n`);
      return 2;
    }
    if (err instanceof NativeModuleError) {
      process.stderr.write(`runlens: ${err.message}\n`);
      return 3;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`runlens: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
