/**
 * `runlens dataset …`: versions, statistics, diffs and checks of data files.
 *
 *   runlens dataset <file>                       versions from git history (.dvc, dvc.lock outs, files in git)
 *   runlens dataset stats <file[@REF]>           rows, columns, types, missing, class balance, duplicates
 *   runlens dataset diff <a[@REF]> [<b[@REF]>]   schema, rows, label shift, drift (KS / PSI); one file: its
 *                                                previous version against its newest
 *   runlens dataset check [dir|file...]          leakage between splits, split balance, duplicate rows
 */
import { toJson } from './json';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetHistory } from '../core/datasets/history';
import { statsOf } from '../core/datasets/versions';
import { classBalance, type TableStats } from '../core/datasets/stats';
import { diffTables, type TableDiff } from '../core/datasets/diff';
import { checkTables } from '../core/datasets/checks';
import { tableFiles } from '../core/datasets/files';
import { missingDvcOutput, missingDvcOutputMessage } from '../core/datasets/dvcOutput';
import type { Diagnostic } from '../core/model';
import { type Args, value } from './args';
import { formatTable } from './table';
import { ContentCache, cacheFileFor } from '../core/cache';
import { defaultIndexPath } from './workspace';
import { formatBytes } from '../core/format';

const USAGE = `usage: runlens dataset <file> [--all] [--json]          versions from git history
       runlens dataset stats <file[@REF]> [--label COL] [--json]
       runlens dataset diff <a[@REF]> [<b[@REF]>] [--label COL] [--json]
       runlens dataset check [dir|file...] [--label COL] [--json]
REF: a prefix of a version's md5 or git blob, of one of its commits, or ~N (N versions before the newest)
`;

export async function runDataset(rest: string[], args: Args): Promise<number> {
  const [sub, ...more] = rest;
  try {
    switch (sub) {
      case 'stats':
        return more.length === 1 ? await stats(more[0], args) : usage();
      case 'diff':
        return more.length === 1 || more.length === 2 ? await diff(more, args) : usage();
      case 'check':
        return await check(more, args);
      default:
        return rest.length === 1 ? await history(rest[0], args) : usage();
    }
  } catch (e) {
    process.stderr.write(`runlens: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
}

function usage(): number {
  process.stderr.write(USAGE);
  return 2;
}

const print = (s: string) => process.stdout.write(s + '\n');
const json = (v: unknown) => print(toJson(v));

async function history(file: string, args: Args): Promise<number> {
  // A DVC output not pulled has its versions in git all the same: say that it is not here, and go on.
  const missing = fs.existsSync(file) || fs.existsSync(file + '.dvc') ? undefined : missingDvcOutput(file);
  if (!missing && !fs.existsSync(file) && !fs.existsSync(file + '.dvc')) throw new Error(`no such file: ${file}`);
  if (missing) process.stderr.write(`runlens: ${missingDvcOutputMessage(file, missing)}\n`);
  let h;
  try {
    h = await datasetHistory(file, { allRefs: !!args.flags.all });
  } catch (e) {
    throw new Error(`cannot read the git history of ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (args.flags.json) {
    json(h.versions);
    return 0;
  }
  const by = { 'dvc-file': path.basename(h.trackedBy), 'dvc-lock': `the dvc.lock entry of ${path.relative(path.dirname(h.trackedBy), h.data)}`, git: 'git' }[h.tracker];
  print(`${file}: ${h.versions.length} versions in ${h.versions.reduce((n, v) => n + v.commits.length, 0)} commits, tracked by ${by} (newest first)`);
  if (h.remote) print(`DVC remote: ${h.remote.name}${h.remote.url ? ` (${h.remote.url})` : ''}${h.versions.some((v) => v.remote) ? '; versions that name another remote say so' : ''}`);
  print(
    formatTable(
      [h.tracker === 'git' ? 'BLOB' : 'MD5', 'SIZE', 'FILES', 'COMMITS', 'NEWEST', 'DATE', 'SUBJECT'],
      h.versions.map((v) => [v.id.slice(0, 12) + (v.remote ? ` @${v.remote}` : ''), v.size === undefined ? '' : formatBytes(v.size), v.nfiles === undefined ? '' : String(v.nfiles), String(v.commits.length), v.commits[0].sha.slice(0, 8), v.commits[0].date.slice(0, 10), v.commits[0].subject.slice(0, 60)]),
    ),
  );
  return 0;
}

const num = (x: number | undefined) => (x === undefined ? '' : Number.isInteger(x) ? String(x) : x.toPrecision(6));

/**
 * The content cache the statistics are kept in: beside the index (`--index`, `RUNLENS_INDEX`, or the
 * default cache folder); `--no-cache` computes everything again.
 */
function contentCache(args: Args): ContentCache {
  if (args.flags['no-cache']) return ContentCache.none();
  return ContentCache.open(cacheFileFor(value(args, 'index') ?? process.env.RUNLENS_INDEX ?? defaultIndexPath(process.cwd())));
}

async function withCache<T>(args: Args, fn: (cache: ContentCache) => Promise<T>): Promise<T> {
  const cache = contentCache(args);
  try {
    return await fn(cache);
  } finally {
    cache.close();
  }
}

async function stats(arg: string, args: Args): Promise<number> {
  const { label, stats: s } = await withCache(args, (cache) => statsOf(arg, { label: value(args, 'label'), cache }));
  if (args.flags.json) {
    // The numeric samples are for diffs; the JSON keeps the summaries.
    json({ ...s, columns: s.columns.map(({ values: _values, ...c }) => c) });
    return 0;
  }
  print(`${label}: ${s.rows} rows × ${s.columns.length} columns, ${formatBytes(s.bytes)}, md5 ${s.md5}`);
  print(
    formatTable(
      ['COLUMN', 'TYPE', 'MISSING', 'DISTINCT', 'MIN', 'MEAN', 'MAX', 'TOP'],
      s.columns.map((c) => [
        c.name,
        c.type,
        c.missing ? `${c.missing} (${((100 * c.missing) / Math.max(1, s.rows)).toFixed(1)} %)` : '0',
        `${c.distinct}${c.distinctCapped ? '+' : ''}`,
        num(c.min),
        num(c.mean),
        num(c.max),
        c.counts.slice(0, 3).map(([v, n]) => `${v.slice(0, 20)} (${n})`).join(', '),
      ]),
    ),
  );
  const balance = classBalance(s);
  if (balance) {
    print(`\nclass balance of ${s.label}: ${balance.length} classes`);
    print(formatTable(['CLASS', 'ROWS', 'SHARE'], balance.slice(0, 50).map((b) => [b.value, String(b.count), `${(100 * b.share).toFixed(1)} %`])));
  }
  print(`\n${s.duplicates} duplicate rows${s.duplicateRowsChecked < s.rows ? ` among the first ${s.duplicateRowsChecked}` : ''}${s.duplicateExamples[0] ? ` (line ${s.duplicateExamples[0].line} repeats line ${s.duplicateExamples[0].of})` : ''}`);
  printDiagnostics(s.diagnostics);
  return 0;
}

async function diff(refs: string[], args: Args): Promise<number> {
  const label = value(args, 'label');
  // One file: its previous version against its newest.
  const [a, b] = refs.length === 2 ? refs : [`${refs[0]}@~1`, `${refs[0]}@~0`];
  const [before, after] = await withCache(args, async (cache) => [await statsOf(a, { label, cache }), await statsOf(b, { label, cache })]);
  const d = diffTables(before.stats, after.stats);
  if (args.flags.json) {
    json({ before: before.label, after: after.label, ...d });
    return 0;
  }
  printDiff(before.label, after.label, before.stats, after.stats, d);
  return 0;
}

function printDiff(a: string, b: string, before: TableStats, after: TableStats, d: TableDiff): void {
  print(`before: ${a}\nafter:  ${b}`);
  const delta = d.rows.after - d.rows.before;
  print(`rows: ${d.rows.before} → ${d.rows.after} (${delta >= 0 ? '+' : ''}${delta})   columns: ${before.columns.length} → ${after.columns.length}`);
  if (d.added.length) print(`added columns: ${d.added.join(', ')}`);
  if (d.removed.length) print(`removed columns: ${d.removed.join(', ')}`);
  for (const r of d.retyped) print(`type of ${r.column}: ${r.before} → ${r.after}`);
  for (const m of d.missing) print(`missing in ${m.column}: ${m.before} → ${m.after}`);
  if (d.label) {
    print(`\nlabel ${d.label.column}: PSI ${d.label.psi.toFixed(4)} (${d.label.verdict})`);
    print(formatTable(['CLASS', 'BEFORE', 'AFTER'], d.label.classes.slice(0, 50).map((c) => [c.value, String(c.before), String(c.after)])));
  }
  if (d.drift.length) {
    print('\ndrift per column');
    print(
      formatTable(
        ['COLUMN', 'TEST', 'STATISTIC', 'P-VALUE', 'VERDICT'],
        d.drift.map((x) => [x.column, x.test === 'ks' ? `KS${x.sampled ? ' (sampled)' : ''}` : 'PSI', x.statistic.toFixed(4), x.pvalue === undefined ? '' : x.pvalue.toPrecision(3), x.verdict]),
      ),
    );
  }
  print(`\nduplicate rows: ${d.duplicates.before} → ${d.duplicates.after}`);
}

async function check(targets: string[], args: Args): Promise<number> {
  for (const t of targets) if (!fs.existsSync(t)) throw new Error(`no such file or folder: ${t}`);
  const files = tableFiles(targets.length ? targets : ['.']);
  const diagnostics = await checkTables(files, { label: value(args, 'label') });
  // The same exit code with and without --json: 1 when a problem was found.
  const found = diagnostics.some((d) => d.severity !== 'info') ? 1 : 0;
  if (args.flags.json) {
    json({ files: files.length, diagnostics });
    return found;
  }
  print(`${files.length} table files checked: ${diagnostics.filter((d) => d.severity !== 'info').length} problems`);
  printDiagnostics(diagnostics);
  return found;
}

function printDiagnostics(diagnostics: Diagnostic[]): void {
  for (const d of diagnostics) print(`${d.file}${d.line !== undefined ? `:${d.line}` : ''}: ${d.severity}: ${d.message}`);
}
