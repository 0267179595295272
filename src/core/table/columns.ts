/**
 * The Runs table's columns: what a column id names (a run attribute, or a param, metric or tag key), the SQL
 * that reads its value for a run `r`, and the catalogue of every column an index holds. A metric column
 * shows its latest value or, on request, its min, max or best (min or max by the metric's direction).
 */
import { metricDirection } from '../analysis/compare';
import { NUMERIC_PARAM, QueryError } from '../index/query';
import type { Database } from '../index/sqlite';

export type ColumnKind = 'attribute' | 'param' | 'metric' | 'tag';

/** What a metric column shows of its series. `atBest`: its value at the step where the key metric is best. */
export type MetricAgg = 'latest' | 'min' | 'max' | 'best' | 'atBest';

export interface ColumnSpec {
  /** `name`, `status`, …, or `params.KEY`, `metrics.KEY`, `tags.KEY`. */
  id: string;
  agg?: MetricAgg;
}

export interface ColumnInfo {
  id: string;
  kind: ColumnKind;
  key: string;
  /** The key's prefix up to its first `/` (`train/`, `val/`), or '' — headers are grouped by it. */
  prefix: string;
}

export interface ColumnGroup {
  kind: ColumnKind;
  prefix: string;
  columns: ColumnInfo[];
}

/** The run attributes a table shows, in order, with the SQL over `runs r` / `experiments e`. */
export const ATTRIBUTE_COLUMNS: Record<string, { sql: string; numeric: boolean }> = {
  name: { sql: 'r.name', numeric: false },
  status: { sql: 'r.status', numeric: false },
  experiment: { sql: '(SELECT x.name FROM experiments x WHERE x.id = r.experiment_id)', numeric: false },
  format: { sql: 'r.format', numeric: false },
  start: { sql: 'r.start_time', numeric: true },
  duration: { sql: '(r.end_time - r.start_time)', numeric: true },
  commit: { sql: 'r.git_commit', numeric: false },
};

/** A column id resolved: its kind and key. Unknown ids are a QueryError naming them. */
export function parseColumn(id: string): { kind: ColumnKind; key: string } {
  if (ATTRIBUTE_COLUMNS[id]) return { kind: 'attribute', key: id };
  const m = /^(params?|metrics?|tags?)\.(.+)$/.exec(id);
  if (!m) throw new QueryError(`unknown column '${id}': use ${Object.keys(ATTRIBUTE_COLUMNS).join(', ')}, params.KEY, metrics.KEY or tags.KEY`, 0, id);
  const kind = m[1].startsWith('param') ? 'param' : m[1].startsWith('metric') ? 'metric' : 'tag';
  return { kind, key: m[2] };
}

/** The series summary column a metric aggregate reads (`atBest` is read from points, not SQL). */
export function metricField(key: string, agg: MetricAgg = 'latest'): 'last' | 'min' | 'max' {
  if (agg === 'min' || agg === 'max') return agg;
  if (agg === 'best') return metricDirection(key);
  return 'last';
}

/**
 * The SQL of a column's value for run `r` (a correlated subquery for keys, through the (rid, key) unique
 * indexes), and for sorting: a number where the value is one, the text beside it, so numbers sort as numbers
 * and strings as strings.
 */
export function columnSql(spec: ColumnSpec): { value: string; sortNumber: string | undefined; sortText: string | undefined; params: unknown[] } {
  const { kind, key } = parseColumn(spec.id);
  switch (kind) {
    case 'attribute': {
      const a = ATTRIBUTE_COLUMNS[key];
      return { value: a.sql, sortNumber: a.numeric ? a.sql : undefined, sortText: a.numeric ? undefined : a.sql, params: [] };
    }
    case 'metric': {
      if (spec.agg === 'atBest') throw new QueryError(`'${spec.id}' at the key metric's best step is read from its points and cannot be sorted, filtered or grouped by`, 0, spec.id);
      const v = `(SELECT s.${metricField(key, spec.agg)} FROM series s WHERE s.rid = r.rid AND s.key = ?)`;
      return { value: v, sortNumber: v, sortText: undefined, params: [key] };
    }
    case 'param': {
      const v = `(SELECT p.value FROM params p WHERE p.rid = r.rid AND p.key = ?)`;
      return { value: v, sortNumber: `(SELECT ${NUMERIC_PARAM} FROM params p WHERE p.rid = r.rid AND p.key = ?)`, sortText: v, params: [key] };
    }
    case 'tag': {
      const v = `(SELECT g.value FROM tags g WHERE g.rid = r.rid AND g.key = ?)`;
      return { value: v, sortNumber: undefined, sortText: v, params: [key] };
    }
  }
}

export function keyPrefix(key: string): string {
  const slash = key.indexOf('/');
  return slash > 0 ? key.slice(0, slash + 1) : '';
}

/**
 * The distinct keys of a table (params, tags or series), from its (key, …) summary index: one index seek
 * per key instead of a scan of every row (1,000 keys over 5 million rows in a few ms). Without that index
 * (a cold pass drops it until its end) a plain DISTINCT.
 */
function distinctKeys(db: Database, table: 'params' | 'tags' | 'series', index: string, scope?: { sql: string; params: unknown[] }): string[] {
  if (scope) {
    return db.prepare(`SELECT DISTINCT t.key FROM ${table} t WHERE t.rid IN (SELECT r.rid FROM runs r WHERE ${scope.sql}) ORDER BY t.key`).pluck().all(...scope.params) as string[];
  }
  const indexed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(index) !== undefined;
  if (!indexed) return db.prepare(`SELECT DISTINCT key FROM ${table} ORDER BY key`).pluck().all() as string[];
  return db
    .prepare(
      `WITH RECURSIVE k(key) AS (SELECT MIN(key) FROM ${table} UNION ALL SELECT (SELECT MIN(key) FROM ${table} WHERE key > k.key) FROM k WHERE k.key IS NOT NULL)
       SELECT key FROM k WHERE key IS NOT NULL`,
    )
    .pluck()
    .all() as string[];
}

/** Every column of the runs in scope (all runs without one): attributes, then params, metrics and tags. */
export function columnCatalogue(db: Database, scope?: { sql: string; params: unknown[] }): { columns: ColumnInfo[]; groups: ColumnGroup[] } {
  const columns: ColumnInfo[] = Object.keys(ATTRIBUTE_COLUMNS).map((id) => ({ id, kind: 'attribute', key: id, prefix: '' }));
  const of = (kind: ColumnKind, name: string, keys: string[]) => keys.map((key) => ({ id: `${name}.${key}`, kind, key, prefix: keyPrefix(key) }));
  columns.push(...of('param', 'params', distinctKeys(db, 'params', 'params_key', scope)));
  columns.push(...of('metric', 'metrics', distinctKeys(db, 'series', 'series_key', scope)));
  columns.push(...of('tag', 'tags', distinctKeys(db, 'tags', 'tags_key', scope)));
  const groups: ColumnGroup[] = [];
  const byName = new Map<string, ColumnGroup>();
  for (const c of columns) {
    const name = `${c.kind}\0${c.prefix}`;
    let g = byName.get(name);
    if (!g) {
      g = { kind: c.kind, prefix: c.prefix, columns: [] };
      byName.set(name, g);
      groups.push(g);
    }
    g.columns.push(c);
  }
  return { columns, groups };
}
