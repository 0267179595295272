/**
 * The Runs table's model, for the CLI's `runs --columns` and the editor's table: counts, pages of rows for
 * chosen columns, which columns differ, and groups. Everything a page needs is asked of the index's SQL —
 * filter, sort (numbers as numbers, strings as strings, missing values last both ways) and LIMIT/OFFSET —
 * so a page of 100 rows of 100,000 runs reads those 100 rows' cells and nothing more.
 */
import { compileFilter, NUMERIC_PARAM, QueryError, type CompiledSql } from '../index/query';
import type { Store } from '../index/store';
import { metricDirection } from '../analysis/compare';
import { columnCatalogue, columnSql, metricField, parseColumn, type ColumnGroup, type ColumnInfo, type ColumnSpec } from './columns';

export interface TableScope {
  /** An experiment's id, or a source (a store's folder) whose experiments are shown. */
  experimentId?: string;
  source?: string;
}

export interface TableOptions {
  /** A filter in the query language (query.ts); '' for every run. */
  filter?: string;
  scope?: TableScope;
  /** Deleted runs (MLflow's trash) are left out, as in MLflow's UI, unless asked for or the filter names the lifecycle. */
  deleted?: boolean;
}

export interface SortKey {
  column: ColumnSpec;
  desc?: boolean;
}

export type Cell = string | number | null;

export interface TableRow {
  rid: number;
  id: string;
  /** Per chosen column, in their order; null where the run has no such value. */
  cells: Cell[];
}

export interface PageRequest {
  columns: ColumnSpec[];
  sort?: SortKey[];
  offset?: number;
  limit?: number;
  /** Only the runs of one group (groups()): its column and value, null for the runs without one. */
  group?: { column: ColumnSpec; value: Cell };
  /** The metric whose best step `atBest` columns are read at. */
  keyMetric?: string;
}

export interface GroupRow {
  value: Cell;
  count: number;
  /** Per metric column among those asked for: mean, min and max over the group's runs that have it. */
  metrics: Record<string, { mean: number | null; min: number | null; max: number | null }>;
}

const and = (...parts: CompiledSql[]): CompiledSql => {
  const kept = parts.filter((p) => p.sql !== '');
  return { sql: kept.map((p) => `(${p.sql})`).join(' AND '), params: kept.flatMap((p) => p.params) };
};

export class RunsTable {
  /** Runs in scope (the "M" of "N of M runs shown"). */
  private readonly scoped: CompiledSql;
  /** Runs in scope that pass the filter. */
  private readonly where: CompiledSql;
  /** The experiment or source scope alone: the columns offered are those of its runs. */
  private readonly place: CompiledSql;
  private readonly filterless: boolean;
  private leavesNothingOut: boolean | undefined;

  constructor(
    private readonly store: Store,
    options: TableOptions = {},
  ) {
    const filter = options.filter ?? '';
    const parts: CompiledSql[] = [];
    if (options.scope?.experimentId) parts.push({ sql: 'r.experiment_id = ?', params: [options.scope.experimentId] });
    if (options.scope?.source) parts.push({ sql: 'r.experiment_id IN (SELECT x.id FROM experiments x WHERE x.source = ?)', params: [options.scope.source] });
    this.place = and(...parts);
    if (!options.deleted && !/\blifecycle\b/.test(filter)) parts.push({ sql: "r.lifecycle = 'active'", params: [] });
    this.filterless = filter.trim() === '' && !options.scope?.experimentId && !options.scope?.source;
    this.scoped = and(...parts);
    this.where = and(this.scoped, compileFilter(filter));
  }

  /** The columns of the runs in scope, grouped by kind and key prefix. */
  catalogue(): { columns: ColumnInfo[]; groups: ColumnGroup[] } {
    return columnCatalogue(this.store.db, this.place.sql ? this.place : undefined);
  }

  /** How many runs are in scope (`total`) and how many of them the filter shows (`shown`). */
  counts(): { shown: number; total: number } {
    return { shown: this.store.countRuns(this.where), total: this.store.countRuns(this.scoped) };
  }

  /**
   * One page of rows: the page's run ids sorted and cut by SQL, then the chosen columns' cells of those runs
   * only. Ties (and no sort) in the tree's order: newest first, then by folder.
   */
  page(req: PageRequest): TableRow[] {
    const where = req.group ? and(this.where, groupCondition(req.group)) : this.where;
    const rids = this.pageRids(where, req.sort ?? [], req.offset ?? 0, req.limit ?? 100);
    if (rids.length === 0) return [];
    const sqlCols = req.columns.map((c) => (c.agg === 'atBest' ? undefined : columnSql(c)));
    const select = sqlCols.map((c, i) => (c ? `${c.value} AS c${i}` : `NULL AS c${i}`));
    const rows = this.store.db
      .prepare(`SELECT r.rid, r.id${select.map((s) => `, ${s}`).join('')} FROM json_each(?) j JOIN runs r ON r.rid = j.value ORDER BY j.key`)
      .raw()
      .all(...sqlCols.flatMap((c) => c?.params ?? []), JSON.stringify(rids)) as unknown[][];
    const out = rows.map((row) => ({ rid: row[0] as number, id: row[1] as string, cells: row.slice(2) as Cell[] }));
    const atBest = req.columns.map((c, i) => [c, i] as const).filter(([c]) => c.agg === 'atBest');
    if (atBest.length) {
      if (!req.keyMetric) throw new QueryError('a column at the best step needs a key metric', 0, atBest[0][0].id);
      for (const row of out) for (const [c, i] of atBest) row.cells[i] = this.valueAtBestStep(row.rid, parseColumn(c.id).key, req.keyMetric);
    }
    return out;
  }

  /** Whether the table shows every run of the index (asked once: a scan of the runs for a deleted one). */
  private unfiltered(): boolean {
    this.leavesNothingOut ??= this.filterless && this.store.db.prepare("SELECT NOT EXISTS (SELECT 1 FROM runs WHERE lifecycle != 'active')").pluck().get() === 1;
    return this.leavesNothingOut;
  }

  /**
   * The run ids of a page. Sorted first by a metric, the runs that have it are read in the order of its
   * summary index (series_key: key, last, rid), which stops at the page's end instead of sorting every run;
   * the runs without it follow, in the other keys' order.
   */
  private pageRids(where: CompiledSql, sort: SortKey[], offset: number, limit: number): number[] {
    const db = this.store.db;
    const first = sort[0];
    const kind = first && first.column.agg !== 'atBest' ? parseColumn(first.column.id).kind : undefined;
    if (kind !== 'metric') {
      const order = orderBy(sort);
      return db.prepare(`SELECT r.rid FROM runs r ${order.joins} WHERE ${where.sql || '1'} ORDER BY ${order.sql} LIMIT ? OFFSET ?`).pluck().all(...order.joinParams, ...where.params, limit, offset) as number[];
    }
    const key = parseColumn(first.column.id).key;
    const field = `s0.${metricField(key, first.column.agg)}`;
    const rest = orderBy(sort.slice(1));
    const dir = first.desc ? 'DESC' : 'ASC';
    // With nothing to leave out (no filter, no scope, no deleted run), the page's first value is found in the
    // summary index alone, and the page read from there: no walk over the runs before it.
    let skip = offset;
    let from = '';
    const fromParams: unknown[] = [];
    if (offset > 0 && this.unfiltered()) {
      const at = db.prepare(`SELECT ${field} FROM series s0 WHERE s0.key = ? AND ${field} IS NOT NULL ORDER BY ${field} ${dir} LIMIT 1 OFFSET ?`).pluck().get(key, offset) as number | undefined;
      if (at !== undefined) {
        const before = db.prepare(`SELECT COUNT(*) FROM series s0 WHERE s0.key = ? AND ${field} ${first.desc ? '>' : '<'} ?`).pluck().get(key, at) as number;
        skip = offset - before;
        from = ` AND ${field} ${first.desc ? '<=' : '>='} ?`;
        fromParams.push(at);
      }
    }
    const have = db
      .prepare(`SELECT r.rid FROM series s0 CROSS JOIN runs r ON r.rid = s0.rid ${rest.joins} WHERE s0.key = ? AND ${field} IS NOT NULL${from} AND ${where.sql || '1'} ORDER BY ${field} ${dir}, ${rest.sql} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...rest.joinParams, key, ...fromParams, ...where.params, limit, skip) as number[];
    if (have.length === limit) return have;
    const withIt = have.length > 0 ? offset + have.length : (db.prepare(`SELECT COUNT(*) FROM series s0 CROSS JOIN runs r ON r.rid = s0.rid WHERE s0.key = ? AND ${field} IS NOT NULL AND ${where.sql || '1'}`).pluck().get(key, ...where.params) as number);
    const without = db
      .prepare(`SELECT r.rid FROM runs r ${rest.joins} WHERE ${where.sql || '1'} AND r.rid NOT IN (SELECT s0.rid FROM series s0 WHERE s0.key = ? AND ${field} IS NOT NULL) ORDER BY ${rest.sql} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...rest.joinParams, ...where.params, key, limit - have.length, Math.max(0, offset - withIt)) as number[];
    return [...have, ...without];
  }

  /**
   * A metric's value at the step where the key metric is best (max or min by its direction; the first such
   * step): only where the metric was logged at exactly that step, else null — never a neighbour's value.
   */
  private valueAtBestStep(rid: number, key: string, keyMetric: string): number | null {
    const points = this.store.seriesPoints(rid, keyMetric);
    if (points.length === 0) return null;
    const max = metricDirection(keyMetric) === 'max';
    let best = -1;
    points.forEach((p, i) => {
      if (Number.isFinite(p.value) && (best < 0 || (max ? p.value > points[best].value : p.value < points[best].value))) best = i;
    });
    if (best < 0) return null;
    const step = points[best].step;
    if (key === keyMetric) return points[best].value;
    return this.store.seriesPoints(rid, key).find((p) => p.step === step)?.value ?? null;
  }

  /**
   * Which of the columns have more than one distinct value among the shown runs (a run without the value
   * counts as one more value): each asked as `SELECT DISTINCT … LIMIT 2`, which stops at the second value.
   */
  differing(columns: ColumnSpec[]): ColumnSpec[] {
    return columns.filter((c) => {
      if (c.agg === 'atBest') return true;
      const s = columnSql(c);
      const n = this.store.db
        .prepare(`SELECT COUNT(*) FROM (SELECT DISTINCT ${s.value} FROM runs r WHERE ${this.where.sql || '1'} LIMIT 2)`)
        .pluck()
        .get(...s.params, ...this.where.params) as number;
      return n > 1;
    });
  }

  /**
   * The shown runs grouped by a column's value (a param, tag, experiment or status): each group's count and,
   * for the metric columns asked for, mean / min / max over its runs that have the metric. Groups in value
   * order (numbers as numbers), the runs without a value last.
   */
  groups(by: ColumnSpec, metrics: ColumnSpec[] = []): GroupRow[] {
    const g = columnSql(by);
    const ms = metrics.filter((m) => parseColumn(m.id).kind === 'metric').map((m) => ({ spec: m, sql: columnSql(m) }));
    const aggs = ms.map((m, i) => `, AVG(m${i}), MIN(m${i}), MAX(m${i})`).join('');
    const inner = ms.map((m, i) => `, ${m.sql.value} AS m${i}`).join('');
    const sortNum = g.sortNumber ?? 'NULL';
    const rows = this.store.db
      .prepare(
        `SELECT gv, COUNT(*)${aggs} FROM (SELECT ${g.value} AS gv, ${sortNum} AS gn${inner} FROM runs r WHERE ${this.where.sql || '1'})
         GROUP BY gv ORDER BY gv IS NULL, MIN(gn) IS NULL, MIN(gn), gv`,
      )
      .raw()
      .all(...g.params, ...(g.sortNumber ? g.params : []), ...ms.flatMap((m) => m.sql.params), ...this.where.params) as unknown[][];
    return rows.map((row) => ({
      value: row[0] as Cell,
      count: row[1] as number,
      metrics: Object.fromEntries(ms.map((m, i) => [m.spec.id, { mean: row[2 + 3 * i] as number | null, min: row[3 + 3 * i] as number | null, max: row[4 + 3 * i] as number | null }])),
    }));
  }
}

/**
 * ORDER BY for sort keys: per key its number then its text, missing values last in either direction. Each
 * param, metric or tag key is LEFT JOINed once (`joins`, to follow `runs r`): one lookup per run and key.
 */
function orderBy(keys: SortKey[]): CompiledSql & { joins: string; joinParams: unknown[] } {
  const parts: string[] = [];
  const joins: string[] = [];
  const joinParams: unknown[] = [];
  keys.forEach((k, i) => {
    const dir = k.desc ? 'DESC' : 'ASC';
    const { kind, key } = parseColumn(k.column.id);
    const a = `k${i}`;
    if (kind === 'attribute') {
      const s = columnSql(k.column);
      parts.push(`${s.sortNumber ?? s.sortText} ${dir} NULLS LAST`);
      return;
    }
    if (k.column.agg === 'atBest') columnSql(k.column); // (throws: not sortable)
    joins.push(`LEFT JOIN ${kind === 'param' ? 'params' : kind === 'tag' ? 'tags' : 'series'} ${a} ON ${a}.rid = r.rid AND ${a}.key = ?`);
    joinParams.push(key);
    if (kind === 'metric') parts.push(`${a}.${metricField(key, k.column.agg)} ${dir} NULLS LAST`);
    else if (kind === 'tag') parts.push(`${a}.value ${dir} NULLS LAST`);
    else {
      // A param's value: a number sorts among numbers, before any text, in either direction; missing after both.
      const num = NUMERIC_PARAM.replace(/p\.value/g, `${a}.value`);
      parts.push(`${a}.value IS NULL`, `(${num}) IS NULL`, `${num} ${dir}`, `${a}.value ${dir}`);
    }
  });
  parts.push('r.start_time DESC', 'r.path', 'r.rid');
  return { sql: parts.join(', '), params: [], joins: joins.join(' '), joinParams };
}

function groupCondition(group: { column: ColumnSpec; value: Cell }): CompiledSql {
  const s = columnSql(group.column);
  return group.value === null ? { sql: `${s.value} IS NULL`, params: s.params } : { sql: `${s.value} = ?`, params: [...s.params, group.value] };
}
