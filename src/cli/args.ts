/**
 * The argv parser: positional arguments, `--flag`, `--key value`, `--key=value`, repeatable keys. Every
 * option is declared (OPTIONS) and belongs to the commands that read it (COMMAND_OPTIONS): anything else is a
 * UsageError naming the closest known option, so a typo never swallows the next argument.
 */

export interface Args {
  positional: string[];
  flags: Record<string, boolean>;
  values: Record<string, string[]>;
}

type Kind = 'boolean' | 'string' | 'count';

/** Every option and what it takes; `count` is a whole number ≥ 0. */
const OPTIONS: Record<string, Kind> = {
  json: 'boolean',
  help: 'boolean',
  version: 'boolean',
  'no-index': 'boolean',
  refresh: 'boolean',
  'no-cache': 'boolean',
  all: 'boolean',
  deleted: 'boolean',
  dir: 'string',
  index: 'string',
  source: 'string',
  exclude: 'string',
  query: 'string',
  sort: 'string',
  limit: 'count',
  offset: 'count',
  truth: 'string',
  pred: 'string',
  score: 'string',
  segment: 'string',
  errors: 'count',
  task: 'string',
  out: 'string',
  join: 'string',
  'join-key': 'string',
  'join-on': 'string',
  label: 'string',
  columns: 'string',
  'only-diff': 'boolean',
  'group-by': 'string',
};

/** The options of every command that reads the index. */
const INDEXED = ['json', 'dir', 'index', 'source', 'exclude', 'no-index', 'refresh'];

export const COMMAND_OPTIONS: Record<string, string[]> = {
  index: INDEXED,
  runs: [...INDEXED, 'query', 'sort', 'limit', 'offset', 'all', 'deleted', 'columns', 'only-diff', 'group-by'],
  show: INDEXED,
  compare: [...INDEXED, 'only-diff'],
  metrics: INDEXED,
  problems: INDEXED,
  lineage: INDEXED,
  models: INDEXED,
  analyze: [...INDEXED, 'truth', 'pred', 'score', 'segment', 'task', 'errors', 'out', 'join', 'join-key', 'join-on'],
  model: ['json'],
  dataset: ['json', 'all', 'label', 'no-cache', 'index'],
};
COMMAND_OPTIONS.evaluate = COMMAND_OPTIONS.analyze;

/** Options every command (and no command) takes. */
const ALWAYS = ['help', 'version'];

export function parseArgs(argv: string[]): Args {
  const out: Args = { positional: [], flags: {}, values: {} };
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h') out.flags.help = true;
    else if (a === '-V') out.flags.version = true;
    else if (a === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    else if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const kind = OPTIONS[name];
      if (kind === undefined) {
        // Not known: remembered, and its value (if any) not taken, so the error names the option itself.
        unknown.push(name);
      } else if (kind === 'boolean') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        out.flags[name] = true;
      } else {
        const next = argv[i + 1];
        const value = eq >= 0 ? a.slice(eq + 1) : next !== undefined && !isOption(next) ? argv[++i] : undefined;
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
        if (kind === 'count' && !/^\d+$/.test(value.trim())) throw new UsageError(`--${name} takes a whole number, not '${value}'`);
        (out.values[name] ??= []).push(value);
      }
    } else out.positional.push(a);
  }
  const command = out.positional[0];
  const allowed = [...ALWAYS, ...(COMMAND_OPTIONS[command] ?? Object.keys(OPTIONS))];
  for (const name of [...unknown, ...[...Object.keys(out.flags), ...Object.keys(out.values)].filter((n) => !allowed.includes(n))]) {
    const known = OPTIONS[name] !== undefined;
    const near = closest(name, allowed);
    throw new UsageError(`${known ? `${command} takes no option` : 'unknown option'} --${name}${near ? ` (did you mean --${near}?)` : ''}`);
  }
  return out;
}

/** A known option (or `-h`): not taken as the value of the option before it. */
function isOption(a: string): boolean {
  if (a === '-h' || a === '-V') return true;
  if (!a.startsWith('--')) return false;
  const eq = a.indexOf('=');
  return OPTIONS[eq < 0 ? a.slice(2) : a.slice(2, eq)] !== undefined;
}

/** The known option nearest to a mistyped one, by edit distance. */
export function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

export function value(args: Args, name: string): string | undefined {
  const v = args.values[name];
  return v ? v[v.length - 1] : undefined;
}

/** A mistake in how the CLI was called or in what it was given: reported as one line, exit code 2. */
export class UsageError extends Error {}
