/** The CLI's help: one entry per command (`runlens <command> --help`), the whole list for `runlens --help`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_OPTIONS } from './args';

const COMMANDS: Record<string, string> = {
  index: `index [dir]                 index a folder (default: the current directory) and summarise`,
  runs: `runs [dir]                  list runs   --query Q  --sort "KEY [asc|desc]"  --limit N  --offset N  --all
                              --deleted (only deleted runs)  --json
                              --columns 'params.lr,metrics.val_acc,best(metrics.val_loss)': a table of those columns
                              (attributes name, status, experiment, format, start, duration, commit; params.K,
                              metrics.K with latest/min/max/best(), tags.K), sorted by --sort over any of them
                              --only-diff: only the columns whose values differ   --group-by COL: count and
                              mean/min/max of each metric column per value of a param, tag, experiment or status`,
  show: `show <run>                  one run: attributes, params, tags, metrics, artifacts   --json`,
  compare: `compare <run> <run>...      params and metrics side by side   --only-diff  --json`,
  metrics: `metrics <run> <key>         every point of one metric series   --json`,
  problems: `problems [dir]              diagnostics found while indexing   --json`,
  analyze: `analyze <run|file>          error analysis of a prediction table (or a run's): per-class and averaged metrics
                              as scikit-learn computes them, segments, fairness, rare classes, worst errors
                              --truth COL  --pred COL  --score COL  --segment COL  --errors N  --json
                              --task regression|classification: instead of the table's own evidence
                              --out FILE: also write the JSON report to FILE
                              --join DATASET --join-key COL [--join-on COL]: segment by a dataset's columns
                              (alias: evaluate)`,
  dataset: `dataset <file>              the versions of a data file from git history: its .dvc file, its dvc.lock entry,
                              or the file itself in git (md5 or blob, size, commits)   --all: every ref   --json
  dataset stats <file[@REF]>  rows, columns, types, missing values, class balance, duplicates (streamed)
                              --label COL   --json
  dataset diff <a[@REF]> [<b[@REF]>]
                              schema, rows, label shift, drift per column (KS, PSI); one file: its previous
                              version against its newest. REF: md5/blob/commit prefix, or ~N versions back
  dataset check [dir|file...] leakage between train/val/test splits, split balance, duplicate rows; exit 1
                              when any is found   --label COL   --json`,
  lineage: `lineage <ref>               what data and code made a run, a data file (PATH[@VERSION]) or a model, and what
                              came of it: DVC deps/outs, MLflow dataset inputs, data files named by params,
                              git commit, script, stages, model artifacts, logged models   --json`,
  model: `model <file>...             what a model file is, from its header: safetensors, ONNX, Keras, PyTorch zip,
                              MLmodel, TF SavedModel, pickles (size and SHA-256; never loaded)   --json`,
  models: `models [dir]                every model and its versions, each with the run that made it: MLflow registered
                              versions (stage, aliases), logged models, model files by content hash   --json`,
};

const OPTION_HELP: Record<string, string> = {
  dir: `--dir DIR        the folder to work on (default: see "folder" below)`,
  index: `--index FILE     index database (default: ~/.cache/runlens/<folder name>-<hash>.sqlite; RUNLENS_INDEX)`,
  source: `--source FORMAT=PATH  add a folder with a forced format (mlflow, mlflow-db, tensorboard, lightning, huggingface, keras, wandb, dvc); repeatable`,
  exclude: `--exclude GLOB   skip matching paths; repeatable`,
  'no-index': `--no-index       answer from the index as it is, without a pass`,
  refresh: `--refresh        run a pass first even if the index is fresh`,
  'no-cache': `--no-cache       dataset stats/diff: compute again instead of using the statistics kept by content hash`,
  json: `--json           machine-readable output (NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity")`,
};

const FOOTER = `folder: the one given; else the folder an --index was built from; else the current directory or its
nearest parent indexed before; for a command naming a run, else the folder indexed last.
freshness: a query command answers from the index when a pass would change nothing (checked without
walking the folder) and runs a pass first otherwise; --refresh always, --no-index never.
exit codes: 0 fine, 1 findings (leakage, model warnings), 2 usage or input error, 3 Runlens failed.
query syntax: params.lr < 0.01 and metrics.val_acc > 0.9 and tags.model = "resnet" and status = "FINISHED"
  and start_time > "2024-05-01" and duration > 2h   (times: ISO dates, UTC unless a zone is given, or epoch ms;
  durations: ms, s, m, h, d, e.g. 1h30m, or milliseconds)
`;

export function usage(): string {
  const commands = Object.values(COMMANDS).map((c) => `  ${c}`).join('\n');
  const options = Object.values(OPTION_HELP).map((o) => `  ${o}`).join('\n');
  return `usage: runlens <command> [options]\n\ncommands:\n${commands}\n\noptions:\n${options}\n  -h, --help       this help (runlens <command> --help: one command's)\n  -V, --version    the version\n\n${FOOTER}`;
}

export function commandUsage(command: string): string | undefined {
  const text = COMMANDS[command === 'evaluate' ? 'analyze' : command];
  if (!text) return undefined;
  const options = (COMMAND_OPTIONS[command] ?? []).filter((o) => OPTION_HELP[o]).map((o) => `  ${OPTION_HELP[o]}`);
  return `usage: runlens ${text}\n${options.length ? `\noptions:\n${options.join('\n')}\n` : ''}\n${FOOTER}`;
}

/** The version in the package.json beside the bundle or the compiled sources. */
export function version(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'runlens' && pkg.version) return pkg.version;
    } catch {
      // Not here: one folder up.
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}
