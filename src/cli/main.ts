/**
 * `runlens` — the headless main job: index a folder of experiment files and query it.
 *
 *   runlens index [dir]                       index (incrementally) and print a summary
 *   runlens runs [dir] [--query Q] [--sort K] [--limit N] [--json]
 *   runlens show <run> [--json]
 *   runlens compare <run> <run>... [--json]
 *   runlens metrics <run> <key> [--json]
 *
 * With no folder the current directory is used (workspace.ts says how exactly). The index is a cache kept
 * outside the folder (`--index FILE`, `RUNLENS_INDEX`, or ~/.cache/runlens/).
 *
 * Exit codes, the same with and without --json: 0 fine; 1 findings (leakage between splits, model
 * warnings); 2 a usage or input error, told in one line; 3 Runlens itself failed (its native module, a bug).
 */
import { runAnalyze } from './analyze';
import { runModel, runModels } from './model';
import { runDataset } from './dataset';
import { runLineage } from './lineage';
import { UsageError, closest, parseArgs } from './args';
import { runCompare, runIndex, runMetrics, runRuns, runShow } from './commands';
import { commandUsage, usage, version } from './help';
import { visible } from './terminal';
import { QueryError } from '../core/index/query';
import { NativeModuleError } from '../core/index/sqlite';
import { IndexStorageError } from '../core/index/store';

export const EXIT = { ok: 0, findings: 1, usage: 2, failed: 3 } as const;

const COMMANDS = ['index', 'runs', 'show', 'compare', 'metrics', 'problems', 'analyze', 'evaluate', 'models', 'model', 'dataset', 'lineage'];

/** File-system errors a user's input causes (a path that is not there, not readable, not a folder). */
const INPUT_ERRNO = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'ENOSPC', 'ELOOP', 'ENAMETOOLONG']);

export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    return report(err);
  }
}

async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const [command, ...rest] = args.positional;
  if (args.flags.version) {
    process.stdout.write(`runlens ${version()}\n`);
    return EXIT.ok;
  }
  if (command === undefined) {
    (args.flags.help ? process.stdout : process.stderr).write(usage());
    return args.flags.help ? EXIT.ok : EXIT.usage;
  }
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command '${command}' (did you mean ${closest(command, COMMANDS)}? runlens --help lists them)`);
  if (args.flags.help) {
    process.stdout.write(commandUsage(command) ?? usage());
    return EXIT.ok;
  }
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
      return await runModels(rest, args);
    case 'model':
      return runModel(rest, args);
    case 'dataset':
      return await runDataset(rest, args);
    default:
      return await runLineage(rest, args);
  }
}

/** One line on stderr for any error, and its exit code; a stack only with RUNLENS_DEBUG=1. */
export function report(err: unknown): number {
  const say = (s: string) => process.stderr.write(`runlens: ${visible(s)}\n`);
  if (err instanceof QueryError) {
    process.stderr.write(`runlens: bad query: ${visible(err.message)} (column ${err.column + 1})\n  ${visible(err.query)}\n  ${' '.repeat(err.column)}^\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError || err instanceof IndexStorageError) {
    say(err.message);
    return EXIT.usage;
  }
  if (err instanceof NativeModuleError) {
    say(err.message);
    return EXIT.failed;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof code === 'string' && INPUT_ERRNO.has(code)) {
    say(err.message);
    return EXIT.usage;
  }
  say(`internal error: ${err instanceof Error ? err.message : String(err)}`);
  process.stderr.write(process.env.RUNLENS_DEBUG ? `${(err as Error)?.stack ?? ''}\n` : 'runlens: this is a bug in Runlens; RUNLENS_DEBUG=1 shows where it happened\n');
  return EXIT.failed;
}
