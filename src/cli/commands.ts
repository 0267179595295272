/** The CLI subcommands. Human output is a table; `--json` output is stable for scripts. */
import { compileFilter, compileSort } from '../core/index/query';
import { compareRuns } from '../core/analysis/compare';
import { runEnvironment } from '../core/environment';
import type { RunRow, Store } from '../core/index/store';
import type { Args } from './args';
import { UsageError, value } from './args';
import { formatNumber, formatRunDuration, formatTable, formatTime } from './table';
import { visible, visibleLines } from './terminal';
import { writeJson as json } from './json';
import { openWorkspace } from './workspace';
import { checkTableArgs, runRunsTable } from './runsTable';

// Human output: whatever a cell or a line holds, no control character reaches the terminal raw.
const out = (s: string) => process.stdout.write(visibleLines(s.endsWith('\n') ? s : s + '\n'));

export function runIndex(rest: string[], args: Args, problemsOnly = false): number {
  if (rest.length > 1) throw new UsageError(`usage: runlens ${problemsOnly ? 'problems' : 'index'} [dir]`);
  const { workspace, store, summary } = openWorkspace(rest[0], args, { pass: !problemsOnly });
  try {
    const counts = store.counts();
    const problems = store.diagnostics().filter((d) => d.severity !== 'info' || problemsOnly);
    if (args.flags.json) {
      json(problemsOnly ? problems : { workspace, index: store.file, summary, counts, problems: problems.length });
      return 0;
    }
    if (!problemsOnly && summary) {
      out(`Indexed ${workspace}`);
      out(`  index: ${store.file}`);
      out(`  ${summary.units} units from ${summary.sources} sources; ${summary.read} read (${summary.appended} appended), ${summary.removed} removed, ${summary.points} points in ${summary.ms.toFixed(0)} ms`);
      out(`  ${counts.runs} runs in ${counts.experiments} experiments, ${counts.series} metric series, ${counts.points} points`);
      out(`  by format: ${Object.entries(counts.byFormat).map(([f, n]) => `${f} ${n}`).join(', ')}`);
      out(`  problems: ${problems.length}${problems.length ? ' (runlens problems to list them)' : ''}`);
    } else {
      for (const d of problems) out(`${visible(d.file)}${d.line ? `:${d.line}` : ''}${d.offset !== undefined ? ` @${d.offset}` : ''}: ${d.severity}: ${visible(d.message)}`);
      if (problems.length === 0) out('no problems');
    }
    return 0;
  } finally {
    store.close();
  }
}

export function runRuns(rest: string[], args: Args): number {
  if (rest.length > 1) throw new UsageError('usage: runlens runs [dir] [--query Q] [--sort KEY] (quote a query that holds spaces)');
  if (checkTableArgs(args)) return runRunsTable(rest, args);
  const query = value(args, 'query') ?? '';
  const filter = compileFilter(query);
  const order = compileSort(value(args, 'sort'));
  const { store } = openWorkspace(rest[0], args);
  try {
    // Deleted runs (MLflow's trash) stay findable but, as in MLflow's UI, are listed only when asked for:
    // --deleted lists them alone, a query naming the lifecycle decides itself.
    const lifecycle = /\blifecycle\b/.test(query) ? undefined : args.flags.deleted ? 'deleted' : 'active';
    const where = lifecycle ? { sql: filter.sql ? `(${filter.sql}) AND r.lifecycle = '${lifecycle}'` : `r.lifecycle = '${lifecycle}'`, params: filter.params } : filter;
    const limit = args.flags.all ? -1 : Number(value(args, 'limit') ?? 50);
    const offset = Number(value(args, 'offset') ?? 0);
    const rows = store.queryRuns(where, order, limit, offset);
    const total = store.countRuns(where);
    if (args.flags.json) {
      json({ total, offset, runs: rows.map((r) => runJson(store, r, false)) });
      return 0;
    }
    const metricKey = sortMetric(value(args, 'sort'));
    const headers = ['ID', 'NAME', 'EXPERIMENT', 'FORMAT', 'STATUS', 'START', 'DURATION', metricKey ? metricKey.toUpperCase() : 'METRICS'];
    const table = rows.map((r) => {
      const series = store.seriesSummaries(r.rid);
      const metricCell = metricKey ? formatNumber(series.find((s) => s.key === metricKey)?.last) : String(series.length);
      return [r.id.slice(0, 10), r.name, r.experimentName, r.format, r.status + (r.lifecycle === 'deleted' ? ' (deleted)' : ''), formatTime(r.startTime), formatRunDuration(r), metricCell];
    });
    out(formatTable(headers, table));
    out(`${rows.length} of ${total} runs${total > rows.length + offset ? ` (--limit / --offset / --all for more)` : ''}`);
    return 0;
  } finally {
    store.close();
  }
}

function sortMetric(sort: string | undefined): string | undefined {
  const m = /^\s*metrics?\.(\S+)/.exec(sort ?? '');
  return m ? m[1].replace(/`/g, '') : undefined;
}

function resolveOne(store: Store, ref: string): RunRow {
  const rows = store.resolveRun(ref);
  if (rows.length === 0) throw new UsageError(`no run matches '${ref}'`);
  if (rows.length > 1) throw new UsageError(ambiguous(ref, rows));
  return rows[0];
}

/** The message for a reference that matches several runs: each candidate with its id and experiment. */
export function ambiguous(ref: string, rows: RunRow[]): string {
  const shown = rows.slice(0, 10).map((r) => `${r.id.slice(0, 10)} ${r.name} (experiment ${r.experimentName}, ${r.format})`);
  const more = rows.length > shown.length ? `, and ${rows.length >= 20 ? 'more' : rows.length - shown.length + ' more'}` : '';
  return `'${ref}' matches ${rows.length >= 20 ? 'at least 20' : rows.length} runs: ${shown.join('; ')}${more}; give one's id (or more of it)`;
}

function runJson(store: Store, r: RunRow, full: boolean) {
  const base = {
    id: r.id,
    nativeId: r.nativeId,
    name: r.name,
    experiment: r.experimentName,
    experimentId: r.experimentId,
    format: r.format,
    status: r.status,
    lifecycle: r.lifecycle,
    startTime: r.startTime,
    endTime: r.endTime,
    user: r.user,
    sourceScript: r.sourceScript,
    gitCommit: r.gitCommit,
    parentRunId: r.parentRunId,
    path: r.path,
    params: store.params(r.rid),
    metrics: Object.fromEntries(store.seriesSummaries(r.rid).map((s) => [s.key, s.last])),
  };
  if (!full) return base;
  const tags = store.tags(r.rid);
  const artifacts = store.artifacts(r.rid);
  return { ...base, tags, datasets: store.datasetInputs(r.rid), series: store.seriesSummaries(r.rid), artifacts, environment: runEnvironment(r, tags, artifacts) };
}

export function runShow(rest: string[], args: Args): number {
  if (rest.length !== 1) throw new UsageError('usage: runlens show <run>');
  const { store } = openWorkspace(undefined, args, { byRun: true });
  try {
    const r = resolveOne(store, rest[0]);
    if (args.flags.json) {
      json(runJson(store, r, true));
      return 0;
    }
    out(`${visible(r.name)}  (${r.id})`);
    const attrs: [string, string | null][] = [
      ['experiment', r.experimentName],
      ['format', r.format],
      ['native id', r.nativeId],
      ['status', r.status + (r.lifecycle === 'deleted' ? ' (deleted)' : '')],
      ['start', formatTime(r.startTime)],
      // A running run has no end yet; any other run without a time is shown as not knowing it.
      ['end', r.status === 'RUNNING' && r.endTime === null ? null : formatTime(r.endTime)],
      ['duration', formatRunDuration(r) || null],
      ['user', r.user],
      ['script', r.sourceScript],
      ['git commit', r.gitCommit],
      ['parent', r.parentRunId],
      ['path', r.path],
    ];
    for (const [k, v] of attrs) if (v) out(`  ${k.padEnd(11)} ${visible(v)}`);
    const env = runEnvironment(r, store.tags(r.rid), store.artifacts(r.rid));
    const facts = env.facts.filter((f) => !['script', 'git.commit', 'user'].includes(f.key));
    if (facts.length) out('\nEnvironment\n' + formatTable(['KEY', 'VALUE', 'FROM'], facts.map((f) => [f.key, f.value, f.from]), 80));
    if (env.packages.length) out(`\nPackages (${env.packages.length}, from ${env.packagesFrom})\n` + formatTable(['NAME', 'VERSION'], env.packages.map((p) => [p.name, p.version ?? p.spec]), 80));
    const params = store.params(r.rid);
    if (Object.keys(params).length) out('\nParams\n' + formatTable(['KEY', 'VALUE'], Object.entries(params), 80));
    const series = store.seriesSummaries(r.rid);
    if (series.length) out('\nMetrics\n' + formatTable(['KEY', 'LAST', 'STEP', 'MIN', 'MAX', 'POINTS'], series.map((s) => [s.key, formatNumber(s.last), formatNumber(s.lastStep), formatNumber(s.min), formatNumber(s.max), String(s.count)])));
    const tags = Object.entries(store.tags(r.rid)).filter(([k]) => !k.startsWith('mlflow.log-model') );
    if (tags.length) out('\nTags\n' + formatTable(['KEY', 'VALUE'], tags, 80));
    const datasets = store.datasetInputs(r.rid);
    if (datasets.length) out('\nDataset inputs\n' + formatTable(['NAME', 'DIGEST', 'CONTEXT', 'SOURCE'], datasets.map((d) => [d.name, d.digest, d.context ?? '', d.sourceType ?? '']), 80));
    const artifacts = store.artifacts(r.rid);
    if (artifacts.length) out('\nArtifacts\n' + formatTable(['PATH', 'SIZE', 'KIND'], artifacts.slice(0, 50).map((a) => [a.path, String(a.size), a.kind]), 80));
    return 0;
  } finally {
    store.close();
  }
}

export function runCompare(rest: string[], args: Args): number {
  if (rest.length < 2) throw new UsageError('usage: runlens compare <run> <run> [<run>...]');
  const { store } = openWorkspace(undefined, args, { byRun: true });
  try {
    const runs = rest.map((ref) => resolveOne(store, ref));
    const all = compareRuns(runs.map((r) => ({ id: r.id, name: r.name, params: store.params(r.rid), metrics: store.seriesSummaries(r.rid) })));
    // --only-diff: the params that differ, the metrics whose last value (or presence) differs.
    const cmp = args.flags['only-diff'] ? { params: all.params.filter((p) => p.differs), metrics: all.metrics.filter((m) => new Set(m.values.map((v) => (v ? v.last : null))).size > 1) } : all;
    if (args.flags.json) {
      json({
        runs: runs.map((r) => ({ id: r.id, name: r.name, format: r.format, experiment: r.experimentName })),
        params: Object.fromEntries(cmp.params.map((p) => [p.key, { values: p.values, differs: p.differs }])),
        metrics: Object.fromEntries(cmp.metrics.map((m) => [m.key, m.values])),
        best: Object.fromEntries(cmp.metrics.filter((m) => m.best >= 0).map((m) => [m.key, runs[m.best].id])),
      });
      return 0;
    }
    const head = ['', ...runs.map((r) => `${r.name} [${r.format}]`)];
    out(formatTable(head, [['id', ...runs.map((r) => r.id.slice(0, 10))], ['experiment', ...runs.map((r) => r.experimentName)], ['status', ...runs.map((r) => r.status)]]));
    if (cmp.params.length) {
      out('\nParams (* differs)');
      out(formatTable(['KEY', ...runs.map((r) => r.name)], cmp.params.map((p) => [`${p.differs ? '* ' : '  '}${p.key}`, ...p.values.map((v) => v ?? '—')])));
    }
    if (cmp.metrics.length) {
      out('\nMetrics (last value; * best, by ↑ higher or ↓ lower is better)');
      out(formatTable(['KEY', ...runs.map((r) => r.name)], cmp.metrics.map((m) => [`${m.key} ${m.direction === 'max' ? '↑' : '↓'}`, ...m.values.map((v, i) => (v ? `${i === m.best ? '* ' : ''}${formatNumber(v.last)}` : '—'))])));
    }
    return 0;
  } finally {
    store.close();
  }
}

export function runMetrics(rest: string[], args: Args): number {
  if (rest.length !== 2) throw new UsageError('usage: runlens metrics <run> <key>');
  const { store } = openWorkspace(undefined, args, { byRun: true });
  try {
    const r = resolveOne(store, rest[0]);
    const points = store.seriesPoints(r.rid, rest[1]);
    if (points.length === 0) {
      const keys = store.seriesSummaries(r.rid).map((s) => s.key);
      throw new UsageError(`run ${r.name} has no metric '${rest[1]}'${keys.length ? ` (it has: ${keys.join(', ')})` : ''}`);
    }
    if (args.flags.json) {
      json({ run: r.id, key: rest[1], points });
      return 0;
    }
    out(formatTable(['STEP', 'TIME', 'VALUE'], points.map((p) => [formatNumber(p.step), formatTime(p.time), formatNumber(p.value)])));
    return 0;
  } finally {
    store.close();
  }
}
