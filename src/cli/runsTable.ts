/**
 * `runlens runs --columns … [--only-diff] [--group-by COL]`: the Runs table as text, as `dvc exp show`
 * prints it — the same model (core/table) the editor's table pages through.
 */
import { RunsTable, type Cell, type SortKey } from '../core/table/runsTable';
import type { ColumnSpec, MetricAgg } from '../core/table/columns';
import { ATTRIBUTE_COLUMNS, parseColumn } from '../core/table/columns';
import type { Args } from './args';
import { UsageError, value } from './args';
import { formatDuration, formatNumber, formatTable, formatTime } from './table';
import { visibleLines } from './terminal';
import { writeJson as json } from './json';
import { openWorkspace } from './workspace';

const out = (s: string) => process.stdout.write(visibleLines(s.endsWith('\n') ? s : s + '\n'));

/** Without --columns: the attributes, then at most this many params and as many metrics. */
const DEFAULT_KEYS = 30;

/** Splits at commas outside backquotes and parentheses. */
function splitList(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const c of s) {
    if (c === '`') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    if (c === ',' && !quoted && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** `metrics.x`, `best(metrics.x)`, `min(…)`, `max(…)`, `latest(…)`; backquotes around a key are dropped. */
export function parseColumnArg(text: string): ColumnSpec {
  const m = /^(latest|min|max|best)\((.+)\)$/i.exec(text.trim());
  const id = (m ? m[2] : text).trim().replace(/`/g, '');
  const { kind } = parseColumn(id);
  if (m && kind !== 'metric') throw new UsageError(`${m[1]}() takes a metric column, not '${id}'`);
  return m ? { id, agg: m[1].toLowerCase() as MetricAgg } : { id };
}

export function parseSortArg(text: string): SortKey[] {
  return splitList(text).map((part) => {
    const m = /^(.+?)(?:\s+(asc|desc))?$/i.exec(part)!;
    return { column: parseColumnArg(m[1]), desc: (m[2] ?? '').toLowerCase() === 'desc' };
  });
}

function header(c: ColumnSpec): string {
  return c.agg && c.agg !== 'latest' ? `${c.agg}(${c.id})` : c.id;
}

function cellText(c: ColumnSpec, v: Cell): string {
  if (v === null) return '—';
  if (c.id === 'start') return formatTime(v as number);
  if (c.id === 'duration') return formatDuration(v as number);
  return typeof v === 'number' ? formatNumber(v) : v;
}

export function runRunsTable(rest: string[], args: Args): number {
  const query = value(args, 'query') ?? '';
  const sort = parseSortArg(value(args, 'sort') ?? '');
  const { store } = openWorkspace(rest[0], args);
  try {
    const table = new RunsTable(store, { filter: query, deleted: !!args.flags.deleted });
    const listed = value(args, 'columns');
    let columns: ColumnSpec[];
    if (listed) {
      columns = splitList(listed).map(parseColumnArg);
      // The name leads unless listed, so a row says which run it is.
      if (!columns.some((c) => c.id === 'name')) columns.unshift({ id: 'name' });
    }
    else {
      const all = table.catalogue().columns;
      columns = [
        ...Object.keys(ATTRIBUTE_COLUMNS).map((id) => ({ id })),
        ...all.filter((c) => c.kind === 'param').slice(0, DEFAULT_KEYS).map((c) => ({ id: c.id })),
        ...all.filter((c) => c.kind === 'metric').slice(0, DEFAULT_KEYS).map((c) => ({ id: c.id })),
      ];
    }
    // The name always leads, so a row says which run it is even when only differing columns are kept.
    if (args.flags['only-diff']) columns = [{ id: 'name' }, ...table.differing(columns.filter((c) => c.id !== 'name'))];
    const counts = table.counts();
    const groupBy = value(args, 'group-by');
    if (groupBy) {
      const by = parseColumnArg(groupBy);
      const metrics = columns.filter((c) => parseColumn(c.id).kind === 'metric' && c.agg !== 'atBest');
      const groups = table.groups(by, metrics);
      if (args.flags.json) {
        json({ shown: counts.shown, total: counts.total, groupBy: by.id, groups });
        return 0;
      }
      const head = [by.id.toUpperCase(), 'RUNS', ...metrics.flatMap((m) => [`mean ${header(m)}`, 'min', 'max'])];
      out(formatTable(head, groups.map((g) => [cellText(by, g.value), String(g.count), ...metrics.flatMap((m) => { const a = g.metrics[m.id]; return [formatNumber(a.mean), formatNumber(a.min), formatNumber(a.max)]; })])));
      out(`${groups.length} groups of ${counts.shown} of ${counts.total} runs shown`);
      return 0;
    }
    const limit = args.flags.all ? counts.shown : Number(value(args, 'limit') ?? 50);
    const offset = Number(value(args, 'offset') ?? 0);
    const rows = table.page({ columns, sort, offset, limit });
    if (args.flags.json) {
      json({ shown: counts.shown, total: counts.total, offset, columns: columns.map(header), rows: rows.map((r) => ({ id: r.id, cells: Object.fromEntries(columns.map((c, i) => [header(c), r.cells[i]])) })) });
      return 0;
    }
    out(formatTable(columns.map(header), rows.map((r) => columns.map((c, i) => cellText(c, r.cells[i])))));
    out(`${rows.length} rows of ${counts.shown} of ${counts.total} runs shown${counts.shown > rows.length + offset ? ' (--limit / --offset / --all for more)' : ''}`);
    return 0;
  } finally {
    store.close();
  }
}

export function checkTableArgs(args: Args): boolean {
  if (value(args, 'group-by') && args.flags['only-diff']) throw new UsageError('--group-by and --only-diff do not go together');
  return value(args, 'columns') !== undefined || !!args.flags['only-diff'] || value(args, 'group-by') !== undefined;
}
